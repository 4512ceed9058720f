"""Fit time on an idle machine and next to one competing CPU-bound process.

``python -m benchmarks.threads`` times the default regressor's fit on 10^4
``LinearGaussian`` simulations (seed 0), each in a fresh process that first
does a small warm-up fit (imports), in four settings: the estimator's own
thread count (``n_threads=1``, the default) and torch's default (one thread
per core, ``n_threads=None``, what every fit did before), each on the idle
machine and with a ``while True: pass`` process started beside it; the
default's idle and loaded fits alternate three times. The children inherit
no ``OMP_NUM_THREADS``, so torch's default is what a user gets. It prints one
JSON object; the target is loaded at most 1.5 times idle with the default,
and the default idle no slower than torch's default idle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

N_SIMULATIONS = 10_000
DEFAULT, TORCH_DEFAULT = "n_threads=1 (default)", "n_threads=None (torch default)"
SETTINGS = {DEFAULT: "1", TORCH_DEFAULT: "none"}
LOADS = ("idle", "one competing process")


def child(n_threads: str) -> dict[str, Any]:
    import torch

    from sgnn_sklearn import SimulationGroundedRegressor
    from sgnn_sklearn.simulators import LinearGaussian

    from ._common import SEED, timed

    threads = None if n_threads == "none" else int(n_threads)
    sim = LinearGaussian()
    SimulationGroundedRegressor(sim, 200, max_epochs=1, n_threads=threads).fit()
    est = SimulationGroundedRegressor(
        sim, N_SIMULATIONS, n_threads=threads, random_state=SEED
    )
    with timed() as t:
        est.fit()
    return {
        "torch_threads_of_caller": torch.get_num_threads(),
        "fit_wall_s": t["wall_s"],
        "fit_cpu_s": t["cpu_s"],
        "epochs": est.n_epochs_,
    }


def _time_fit(n_threads: str) -> dict[str, Any]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
    }
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.threads", n_threads],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextmanager
def _load(kind: str) -> Iterator[None]:
    """Nothing for "idle"; otherwise one CPU-bound process running beside the body."""
    if kind == "idle":
        yield
        return
    competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(1.0)
    try:
        yield
    finally:
        competitor.kill()
        competitor.wait()


def run(quick: bool = False, repeats: int = 3) -> dict[str, Any]:
    """Idle and loaded fits in alternation, so that drifting background load
    (other users of a shared machine) falls alike on both of each pair."""
    plan = [(DEFAULT, load) for _ in range(1 if quick else repeats) for load in LOADS]
    if not quick:
        plan += [(TORCH_DEFAULT, load) for load in LOADS]
    rows = []
    for setting, load in plan:
        with _load(load):
            row = {"setting": setting, "load": load, "loadavg_before": os.getloadavg()}
            row.update(_time_fit(SETTINGS[setting]))
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    def pair_ratios(setting: str) -> list[float]:
        wall = [r["fit_wall_s"] for r in rows if r["setting"] == setting]
        return [
            loaded / idle for idle, loaded in zip(wall[::2], wall[1::2], strict=True)
        ]

    def idle(setting: str) -> float:
        return float(
            np.median(
                [
                    r["fit_wall_s"]
                    for r in rows
                    if r["setting"] == setting and r["load"] == "idle"
                ]
            )
        )

    ratios = {"default loaded / default idle": float(np.median(pair_ratios(DEFAULT)))}
    if not quick:
        ratios["torch default loaded / idle"] = pair_ratios(TORCH_DEFAULT)[0]
        ratios["default idle / torch default idle"] = idle(DEFAULT) / idle(
            TORCH_DEFAULT
        )
    return {
        "rows": rows,
        "ratios": ratios,
        "notes": [
            f"Default regressor on {N_SIMULATIONS} LinearGaussian simulations, "
            "seed 0, one fresh process per row (after a warm-up fit); the "
            "competing process is `while True: pass`. 'idle' means no process "
            "started by this benchmark: the machine's own load average is in "
            "loadavg_before. Idle and loaded fits alternate; a ratio is the "
            "median over the pairs.",
            "Ratios: " + ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()) + ".",
        ],
    }


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(child(sys.argv[1])))
    else:
        print(json.dumps(run(), indent=1))
