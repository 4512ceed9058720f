"""Simulating through joblib's Ray backend gives what the default backend gives.

Ray's backend cannot stream results back (``return_as="generator"``); the
simulations then come back group by group as lists. That fallback is tested
on every run with a local backend that refuses generators; Ray itself starts
a local cluster (half a minute or more on a busy 2-core machine), so its
tests are marked slow.
"""

import numpy as np
import pytest
from joblib import parallel_config, register_parallel_backend
from joblib._parallel_backends import ThreadingBackend

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian, simulate_chunked

SIM = LinearGaussian(n_features=3)
FIT = dict(hidden_layer_sizes=(8,), max_epochs=2, random_state=0)


class NoGenerators(ThreadingBackend):
    """A backend that, like Ray's, cannot return results as a generator."""

    supports_return_generator = False


register_parallel_backend("no_generators", NoGenerators)


def _same_as_one_job(backend, n_jobs=2):
    serial = simulate_chunked(SIM, 1000, random_state=0, chunk_size=128, n_jobs=1)
    with parallel_config(backend=backend, n_jobs=n_jobs):
        other = simulate_chunked(SIM, 1000, random_state=0, chunk_size=128)
    np.testing.assert_array_equal(serial.X, other.X)
    np.testing.assert_array_equal(serial.y, other.y)
    test = SIM.simulate(20, random_state=1).X
    expected = SimulationGroundedRegressor(SIM, 9000, n_jobs=1, **FIT).fit()
    with parallel_config(backend=backend, n_jobs=n_jobs):
        fitted = SimulationGroundedRegressor(SIM, 9000, **FIT).fit()
    np.testing.assert_array_equal(expected.predict(test), fitted.predict(test))


def test_a_backend_without_generators_gives_the_same_results():
    _same_as_one_job("no_generators")


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    from ray.util.joblib import register_ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    register_ray()
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_backend_gives_the_same_simulations_and_fit_as_one_job(ray_cluster):
    _same_as_one_job("ray")
