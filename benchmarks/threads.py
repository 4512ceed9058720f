"""Fit time on an idle machine and next to one competing CPU-bound process.

``python -m benchmarks.threads`` times the default regressor's fit on 10^4
``LinearGaussian`` simulations (seed 0), each in a fresh process that first
does a small warm-up fit (imports), in four settings: the estimator's own
thread count (``n_threads=1``, the default) and torch's default (one thread
per core, ``n_threads=None``, what every fit did before), each on the idle
machine and with a ``while True: pass`` process started beside it. The
children inherit no ``OMP_NUM_THREADS``, so torch's default is what a user
gets. It prints one JSON object; the target is loaded at most 1.5 times idle
with the default, and the default idle no slower than torch's default idle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

N_SIMULATIONS = 10_000
SETTINGS = {"n_threads=1 (default)": "1", "n_threads=None (torch default)": "none"}


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


def run(quick: bool = False) -> dict[str, Any]:
    del quick  # one size: the 10^4
    rows = []
    for load in ("idle", "one competing process"):
        competitor = None
        if load != "idle":
            competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(1.0)
        try:
            for label, n_threads in SETTINGS.items():
                row = {"setting": label, "load": load}
                row["loadavg_before"] = os.getloadavg()
                row.update(_time_fit(n_threads))
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
        finally:
            if competitor is not None:
                competitor.kill()
                competitor.wait()
    wall = {(r["setting"], r["load"]): r["fit_wall_s"] for r in rows}
    default, before = SETTINGS
    ratios = {
        "default loaded / default idle": wall[default, "one competing process"]
        / wall[default, "idle"],
        "torch default loaded / idle": wall[before, "one competing process"]
        / wall[before, "idle"],
        "default idle / torch default idle": wall[default, "idle"]
        / wall[before, "idle"],
    }
    return {
        "rows": rows,
        "ratios": ratios,
        "notes": [
            f"Default regressor on {N_SIMULATIONS} LinearGaussian simulations, "
            "seed 0, one fresh process per row (after a warm-up fit); the "
            "competing process is `while True: pass`. 'idle' means no process "
            "started by this benchmark: the machine's own load average is in "
            "loadavg_before.",
            "Ratios: " + ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()) + ".",
        ],
    }


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(child(sys.argv[1])))
    else:
        print(json.dumps(run(), indent=1))
