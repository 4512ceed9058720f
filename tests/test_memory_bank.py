"""The memory bank's held-out reference distances: computed at fit, kept, and right."""

import pickle
import tempfile
import warnings

import numpy as np
from sklearn.neighbors import NearestNeighbors

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.estimators._memory import GAP_NEIGHBORS
from sgnn_sklearn.simulators import LinearGaussian

FAST = dict(max_epochs=2, hidden_layer_sizes=(8,), random_state=0)


def _brute_reference(bank, n_neighbors):
    search = NearestNeighbors(n_neighbors=n_neighbors, algorithm="brute")
    search.fit(bank.embeddings)
    distances = search.kneighbors(bank.reference_embeddings)[0]
    return np.sort(distances.mean(axis=1))


def test_reference_distances_are_computed_at_fit_and_equal_a_fresh_search():
    bank = SimulationGroundedRegressor(LinearGaussian(), 300, **FAST).fit().memory_bank_
    assert set(bank._reference_distances) == {GAP_NEIGHBORS}
    np.testing.assert_array_equal(
        bank.reference_distances(GAP_NEIGHBORS), _brute_reference(bank, GAP_NEIGHBORS)
    )
    # Another number of neighbours is searched for when asked.
    np.testing.assert_array_equal(
        bank.reference_distances(2), _brute_reference(bank, 2)
    )


def test_a_cached_fit_brings_its_reference_distances_and_old_banks_still_work():
    sim = LinearGaussian()
    real = sim.simulate(40, random_state=1)
    with tempfile.TemporaryDirectory() as cache, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = SimulationGroundedRegressor(
            sim, 300, memory=cache, real_data="ignore", **FAST
        )
        first = est.fit(real.X, real.y).memory_bank_
        again = est.fit(real.X, real.y).memory_bank_
    assert again is not first and GAP_NEIGHBORS in again._reference_distances
    np.testing.assert_array_equal(
        again.reference_distances(GAP_NEIGHBORS),
        first.reference_distances(GAP_NEIGHBORS),
    )
    # A bank pickled before the memo existed has no attribute: computed on demand.
    old = pickle.loads(pickle.dumps(first))
    del old.__dict__["_reference_distances"]
    np.testing.assert_array_equal(
        old.support_percentile(first.embeddings[:7])[2],
        first.reference_distances(GAP_NEIGHBORS),
    )


def test_a_shrunk_bank_searches_its_own_reference():
    est = SimulationGroundedRegressor(LinearGaussian(), 400, **FAST).fit()
    est.shrink_memory_bank(20)
    bank = est.memory_bank_
    np.testing.assert_array_equal(
        bank.reference_distances(GAP_NEIGHBORS), _brute_reference(bank, GAP_NEIGHBORS)
    )
