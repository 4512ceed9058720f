"""Where the default fit's time goes, phase by phase and thread by thread.

``python -m benchmarks.fit_phases`` fits the default regressor on 10^5
``SIR()`` simulations (seed 0) with each phase wrapped in a timer of the CPU
of the thread that runs it (``time.thread_time``): the noise draws and their
encoding of each epoch (on a background thread when drawn ahead; the
encoding is also counted apart, with the first draw's), the training steps,
the fetching of mini-batches, validation, the whole epoch loop, the variance
head. It prints one JSON object: wall and CPU of the whole fit, epochs, and
each phase's CPU seconds. The wrappers cost a little time of their own;
the fit's bits are unchanged.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import skorch.dataset
import skorch.net

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.estimators import (
    _batches,
    _ensemble,
    _fresh_noise,
    _input_encoding,
    _uncertainty,
)
from sgnn_sklearn.simulators import SIR

from ._common import SEED, timed

N_SIMULATIONS = 100_000


def _timing(owner: Any, name: str, phase: str, seconds: dict[str, float]) -> None:
    """Replace ``owner.name`` by a wrapper adding its thread's CPU to ``phase``."""
    function: Callable[..., Any] = getattr(owner, name)

    def timed_call(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[phase] += time.thread_time() - start

    setattr(owner, name, timed_call)


def run() -> dict[str, Any]:
    seconds: dict[str, float] = defaultdict(float)
    for owner, name, phase in [
        (_ensemble.EnsembleBase, "_simulate", "latent trajectories and first draw"),
        (_fresh_noise.FreshObservations, "_inputs", "fresh noise drawn and encoded"),
        (_input_encoding.InputEncodingMixin, "_transform_inputs", "encoding"),
        (skorch.net.NeuralNet, "train_step", "training steps"),
        (skorch.net.NeuralNet, "validation_step", "validation"),
        (skorch.dataset.Dataset, "__getitem__", "mini-batches fetched by skorch"),
        (_batches.ArrayRows, "__getitem__", "mini-batches fetched by numpy"),
        (skorch.net.NeuralNet, "run_single_epoch", "epoch loop"),
        (_uncertainty, "fit_variance_head", "variance head"),
    ]:
        _timing(owner, name, phase, seconds)
    est = SimulationGroundedRegressor(SIR(), N_SIMULATIONS, random_state=SEED)
    load = os.getloadavg()
    with timed() as t:
        est.fit()
    return {
        "n_simulations": N_SIMULATIONS,
        "fit_wall_s": t["wall_s"],
        "fit_cpu_s": t["cpu_s"],
        "epochs": est.n_epochs_,
        "load_average": [load, os.getloadavg()],
        "phase_cpu_s": dict(seconds),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
