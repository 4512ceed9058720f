"""The misspecification experiment's network and test generators, for benchmarks.

The gap test's power (``gap_test_power.py``) and the conformal intervals'
coverage (``conformal_coverage.py``) are measured on the same SGNN and the
same five generators of real series as the ``misspecification`` experiment:
an SIR simulator of 60 days of reported incidence, and test series that are
well specified, overdispersed, delayed, cut by an intervention, or all three
(built by the experiment from the public observation-model wrappers of
:mod:`sgnn_sklearn.simulators`).
"""

from __future__ import annotations

import os
import platform
import time
from typing import Any

import torch

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.experiments._misspecification import (
    N_DAYS,
    scenarios,
    simulation_trained,
)
from sgnn_sklearn.simulators import SIR


def trained_network(seed: int, what: str) -> SimulationGroundedRegressor:
    """The experiment's SGNN at its full budget (20,000 simulations).

    Prints the machine, its load and ``what`` is measured first, and the
    training time after: every figure is stated with where it was measured.
    """
    torch.set_num_threads(1)  # the measurements share a loaded machine
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}; seed {seed}, {what}"
    )
    start = time.perf_counter()
    est = simulation_trained(SIR(n_days=N_DAYS), quick=False, seed=seed)
    print(
        f"SGNN trained in {time.perf_counter() - start:.0f} s ({est.n_epochs_} "
        f"epochs); {len(est.memory_bank_.reference_embeddings)} held-out simulations"
    )
    return est


def generators() -> dict[str, Any]:
    """The five generators of "real" series, the well-specified one first."""
    return scenarios(SIR(n_days=N_DAYS))
