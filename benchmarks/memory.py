"""Peak resident memory of a fit, offline against online, each in its own process.

``python -m benchmarks.memory MODE N_SIMULATIONS THREADS [NAME=VALUE ...]``
runs one fit and prints its figures as JSON (``NAME=VALUE`` sets a string
option of the regressor, ``observation_noise=fresh`` say, or ``None`` for
``NAME=None``); :func:`run`
starts one such process per configuration and reads the peak resident set
size during the fit (Linux ``VmHWM``, restarted after imports and a warm-up
fit, so it is the fit's own peak on top of what the process already held);
``fit_added_over_float32_data`` divides the fit's share by the size of the
simulated inputs as float32.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from typing import Any

EPOCHS = 2


def child(
    mode: str, n: int, threads: int, options: dict[str, str] | None = None
) -> dict[str, Any]:
    import torch

    torch.set_num_threads(threads)
    from sgnn_sklearn import SimulationGroundedRegressor
    from sgnn_sklearn.simulators import SIR

    from ._common import SEED, current_rss_mb, peak_rss_mb, reset_peak_rss, timed

    est = SimulationGroundedRegressor(
        SIR(),
        n,
        simulation=mode,
        max_epochs=EPOCHS,
        random_state=SEED,
        **{k: None if v == "None" else v for k, v in (options or {}).items()},
    )
    SimulationGroundedRegressor(SIR(), 100, max_epochs=1).fit()  # imports
    gc.collect()
    restarted = reset_peak_rss()
    baseline = current_rss_mb()
    with timed() as t:
        est.fit()
    data_mb = est.n_simulations_ * est.n_features_in_ * 4 / 2**20
    return {
        "float32_data_mb": data_mb,
        "fit_added_over_float32_data": (peak_rss_mb() - baseline) / data_mb,
        "mode": mode,
        "options": options or {},
        "n_simulations": n,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_fit_mb": baseline,
        "fit_added_mb": peak_rss_mb() - baseline,
        "peak_restarted": restarted,
        "fit_wall_s": t["wall_s"],
        "fit_cpu_s": t["cpu_s"],
        "simulations_drawn": est.n_simulations_,
    }


def run(quick: bool, threads: int) -> dict[str, Any]:
    budgets = (10_000, 100_000) if quick else (100_000, 1_000_000)
    rows = []
    for mode in ("offline", "online"):
        for n in budgets:
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.memory", mode, str(n), str(threads)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    ratios = {}
    for mode in ("offline", "online"):
        small, large = (r["peak_rss_mb"] for r in rows if r["mode"] == mode)
        ratios[mode] = large / small
    return {
        "rows": rows,
        "ratios": ratios,
        "notes": [
            f"SIR (60 days), default regressor, {EPOCHS} epochs, one fresh process "
            "per row; peak_rss_mb is the process's peak resident memory during the "
            "fit (VmHWM restarted after imports and a warm-up fit), imports "
            "included; fit_added_mb is that peak less the memory held before.",
            "Peak at the larger budget over the smaller: "
            + ", ".join(f"{m} {r:.3f}x" for m, r in ratios.items())
            + ".",
        ],
    }


if __name__ == "__main__":
    mode, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    options = dict(arg.split("=", 1) for arg in sys.argv[4:])
    print(json.dumps(child(mode, n, threads, options)))
