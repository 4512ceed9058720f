"""Fits running at once in threads are bit-identical to the same fits run in turn.

Each training draws from a torch generator of its own (see
``sgnn_sklearn.estimators._seeding``), seeded as torch's global generator
was before, so results for a given ``random_state`` are also unchanged.
"""

import threading
from contextlib import contextmanager

import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.estimators import _training

SMALL = dict(
    n_simulations=200,
    hidden_layer_sizes=(8,),
    dropout=0.3,
    max_epochs=2,
    batch_size=16,
)


def _fit_and_predict(est, X, *fit_args):
    est.fit(*fit_args)
    if isinstance(est, SimulationGroundedClassifier):
        return est.predict_proba(X)
    return np.stack(est.predict(X, return_std=True))


def _cases(linear, mixture):
    real = linear.simulate(40, random_state=1)
    return [
        (
            SimulationGroundedRegressor(linear, random_state=0, **SMALL),
            (real.X, real.y),
        ),
        (
            SimulationGroundedRegressor(
                linear, random_state=1, architecture="cnn", **SMALL
            ),
            (),
        ),
        (SimulationGroundedClassifier(mixture, random_state=2, **SMALL), ()),
    ]


def test_fits_in_threads_at_once_equal_the_same_fits_in_turn(linear, mixture):
    X = linear.simulate(30, random_state=5).X
    cases = _cases(linear, mixture)
    in_turn = [_fit_and_predict(est, X, *args) for est, args in cases]
    results = [None] * len(cases)
    barrier = threading.Barrier(len(cases))

    def run(i):
        est, args = cases[i]
        barrier.wait()
        results[i] = _fit_and_predict(est, X, *args)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(cases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for expected, actual in zip(in_turn, results, strict=True):
        np.testing.assert_array_equal(actual, expected)


def test_grid_search_with_the_threading_backend_equals_a_sequential_one(linear):
    est = SimulationGroundedRegressor(linear, random_state=0, **SMALL)
    grid = {"dropout": [0.2, 0.4]}
    real = linear.simulate(60, random_state=1)

    def scores(n_jobs):
        search = GridSearchCV(est, grid, cv=2, n_jobs=n_jobs)
        with joblib.parallel_config(backend="threading"):
            search.fit(real.X, real.y)
        return search.cv_results_["split0_test_score"]

    np.testing.assert_array_equal(scores(2), scores(1))


@contextmanager
def _global_seeding(seed):
    """How training was seeded before generators of its own: the global one."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


@pytest.mark.parametrize("case", [0, 1, 2])
def test_results_for_a_random_state_are_those_of_the_global_generator(
    linear, mixture, monkeypatch, case
):
    X = linear.simulate(30, random_state=5).X
    est, args = _cases(linear, mixture)[case]
    ours = _fit_and_predict(est, X, *args)
    monkeypatch.setattr(_training, "fit_generator", _global_seeding)
    np.testing.assert_array_equal(_fit_and_predict(est, X, *args), ours)


def test_fitting_leaves_the_global_generator_alone(linear):
    before = torch.get_rng_state()
    SimulationGroundedRegressor(linear, random_state=0, **SMALL).fit()
    assert torch.equal(torch.get_rng_state(), before)
