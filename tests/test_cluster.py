"""Simulating through joblib: Dask gives the same results, failures name their chunk."""

import numpy as np
import pytest
from joblib import parallel_config, register_parallel_backend
from joblib._parallel_backends import ThreadingBackend

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian, simulate_chunked
from sgnn_sklearn.simulators._parallel import chunk_seeds


class FailsOnSeed(LinearGaussian):
    """Raises for one chunk's seed, as a simulator that breaks mid-way."""

    def __init__(self, fail_seed=-1, n_features=5):
        super().__init__(n_features=n_features)
        self.fail_seed = fail_seed

    def simulate(self, n_samples, random_state=None):
        if random_state == self.fail_seed:
            raise FloatingPointError("solver diverged")
        return super().simulate(n_samples, random_state)


class LosesThirdTask(ThreadingBackend):
    """A joblib backend whose third task is lost, as a worker that dies."""

    def configure(self, *args, **kwargs):
        self.n_submitted = 0
        return super().configure(*args, **kwargs)

    def submit(self, func, callback=None):
        self.n_submitted += 1
        if self.n_submitted == 3:

            def func():
                raise ConnectionError("worker lost")

        return super().submit(func, callback)


register_parallel_backend("loses_third_task", LosesThirdTask)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_backend_gives_the_same_simulations_as_one_job(dask_client):
    sim = LinearGaussian()
    serial = simulate_chunked(sim, 1000, random_state=0, chunk_size=128, n_jobs=1)
    with parallel_config(backend="dask"):
        on_dask = simulate_chunked(sim, 1000, random_state=0, chunk_size=128)
    np.testing.assert_array_equal(serial.X, on_dask.X)
    np.testing.assert_array_equal(serial.y, on_dask.y)


def test_dask_backend_gives_the_same_fitted_estimator(dask_client):
    sim = LinearGaussian(n_features=3)
    test = sim.simulate(20, random_state=1).X
    kwargs = dict(hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
    serial = SimulationGroundedRegressor(sim, 9000, n_jobs=1, **kwargs).fit()
    with parallel_config(backend="dask"):
        on_dask = SimulationGroundedRegressor(sim, 9000, **kwargs).fit()
    np.testing.assert_array_equal(serial.predict(test), on_dask.predict(test))


def test_a_failing_chunk_on_dask_is_named(dask_client):
    fail_seed = chunk_seeds(500, 0, 100)[2][1]
    with parallel_config(backend="dask"):
        with pytest.raises(FloatingPointError, match="chunk 3 of 5") as info:
            simulate_chunked(
                FailsOnSeed(fail_seed), 500, random_state=0, chunk_size=100
            )
    assert f"random_state={fail_seed}" in "".join(info.value.__notes__)


class FailsOnSecondCall(LinearGaussian):
    n_calls = 0

    def simulate(self, n_samples, random_state=None):
        type(self).n_calls += 1
        if type(self).n_calls == 2:
            raise FloatingPointError("solver diverged")
        return super().simulate(n_samples, random_state)


@pytest.mark.parametrize(
    "simulation, chunk", [("offline", "chunk 2 of 3"), ("online", "chunk 1 of 3")]
)
def test_a_failing_chunk_in_fit_is_named(simulation, chunk):
    FailsOnSecondCall.n_calls = 0
    est = SimulationGroundedRegressor(
        FailsOnSecondCall(), 20_000, simulation=simulation, random_state=0
    )
    with pytest.raises(FloatingPointError, match=chunk):
        est.fit()


def test_a_backend_that_fails_mid_way_names_the_chunk_and_drops_nothing():
    with parallel_config(backend="loses_third_task", n_jobs=2):
        with pytest.raises(RuntimeError, match=r"chunks? [\d, ]+ of 5") as info:
            simulate_chunked(LinearGaussian(), 500, random_state=0, chunk_size=100)
    assert isinstance(info.value.__cause__, ConnectionError)
    assert "incomplete" in str(info.value)
