"""The ``memory`` parameter: simulate once, refit from the cache."""

import numpy as np
import pytest
from joblib import Memory
from sklearn.model_selection import GridSearchCV, cross_val_score

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian
from sgnn_sklearn.simulators import _parallel as parallel

FAST = dict(hidden_layer_sizes=(4,), max_epochs=2, random_state=0)


class Calls:
    """Counts the simulator's calls from outside it.

    A counter inside the simulator (a class attribute its ``simulate``
    increments) would be part of the cache key, which covers the code and
    the class attributes, and change it at every call.
    """

    n_calls = 0


@pytest.fixture
def counting(monkeypatch):
    real = parallel._simulate_chunk

    def spy(*args, **kwargs):
        Calls.n_calls += 1
        return real(*args, **kwargs)

    Calls.n_calls = 0
    monkeypatch.setattr(parallel, "_simulate_chunk", spy)
    return LinearGaussian(n_features=3)


def _real_data():
    real = LinearGaussian(n_features=3).simulate(60, random_state=1)
    return real.X, real.y


@pytest.mark.parametrize("cached", [False, True])
def test_grid_search_simulates_once_with_memory(counting, tmp_path, cached):
    X, y = _real_data()
    est = SimulationGroundedRegressor(
        counting, 300, real_data="ignore", memory=tmp_path if cached else None, **FAST
    )
    search = GridSearchCV(est, {"lr": [1e-3, 1e-2]}, cv=2).fit(X, y)
    n_fits = 2 * 2 + 1
    assert Calls.n_calls == (1 if cached else n_fits)
    assert np.isfinite(search.best_score_)


def test_cross_val_score_simulates_once_with_a_joblib_memory(counting, tmp_path):
    X, y = _real_data()
    est = SimulationGroundedRegressor(
        counting, 300, real_data="ignore", memory=Memory(tmp_path, verbose=0), **FAST
    )
    cross_val_score(est, X, y, cv=3)
    assert Calls.n_calls == 1


def test_cached_fit_equals_uncached_fit(counting, tmp_path):
    test = counting.simulate(20, random_state=2).X
    plain = SimulationGroundedRegressor(counting, 300, **FAST).fit().predict(test)
    kwargs = dict(memory=str(tmp_path), **FAST)
    first = SimulationGroundedRegressor(counting, 300, **kwargs).fit().predict(test)
    Calls.n_calls = 0
    again = SimulationGroundedRegressor(counting, 300, **kwargs).fit().predict(test)
    assert Calls.n_calls == 0
    np.testing.assert_array_equal(plain, first)
    np.testing.assert_array_equal(plain, again)


@pytest.mark.parametrize(
    "change",
    [
        dict(simulator__noise_std=2.0),
        dict(n_simulations=301),
        dict(random_state=1),
    ],
)
def test_cache_key_is_simulator_parameters_budget_and_seed(counting, tmp_path, change):
    est = SimulationGroundedRegressor(counting, 300, memory=tmp_path, **FAST)
    est.fit()
    est.fit()
    assert Calls.n_calls == 1
    est.set_params(**change).fit()
    assert Calls.n_calls == 2


def test_memory_without_an_int_random_state_warns(tmp_path):
    est = SimulationGroundedRegressor(
        LinearGaussian(), 50, max_epochs=1, memory=tmp_path, random_state=None
    )
    with pytest.warns(UserWarning, match="random_state to an int"):
        est.fit()


def test_bad_memory_is_rejected():
    est = SimulationGroundedRegressor(LinearGaussian(), 50, memory=42)
    with pytest.raises(ValueError, match="memory"):
        est.fit()
