"""preprocessor="auto": counts spanning orders of magnitude are seen as log(1 + x)."""

import numpy as np
import pytest

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.preprocessing import LogCounts, _counts
from sgnn_sklearn.simulators import SIR, BinomialPrevalence, LinearGaussian

FAST = dict(n_simulations=400, max_epochs=2, hidden_layer_sizes=(16,), random_state=0)


@pytest.mark.parametrize(
    "sim, chosen",
    [(SIR(n_days=20), LogCounts), (LinearGaussian(), type(None))],
)
def test_auto_chooses_the_log_for_wide_counts_only(sim, chosen):
    est = SimulationGroundedRegressor(sim, **FAST).fit()
    assert isinstance(est.preprocessor_, chosen)


def test_small_counts_keep_their_scale():
    est = SimulationGroundedRegressor(BinomialPrevalence(), **FAST).fit()
    assert est.preprocessor_ is None


def test_auto_is_the_log_transform_passed_by_hand():
    sim = SIR(n_days=20)
    X = sim.simulate(30, random_state=1).X
    auto = SimulationGroundedRegressor(sim, **FAST).fit()
    by_hand = SimulationGroundedRegressor(sim, preprocessor=LogCounts(), **FAST).fit()
    raw = SimulationGroundedRegressor(sim, preprocessor=None, **FAST).fit()
    assert np.array_equal(auto.predict(X), by_hand.predict(X))
    assert not np.array_equal(auto.predict(X), raw.predict(X))
    assert raw.preprocessor_ is None


def test_a_negative_real_value_is_refused_with_what_to_do():
    sim = SIR(n_days=20)
    est = SimulationGroundedRegressor(sim, **FAST).fit()
    X = sim.simulate(5, random_state=1).X
    X[3, 4] = -2.0
    with pytest.raises(
        ValueError,
        match=r"LogCounts takes counts.*1 negative value.*row 3.*preprocessor=None",
    ):
        est.predict(X)


def test_nan_passes_through_to_the_estimators_own_check():
    out = LogCounts().fit([[1.0, 2.0]]).transform([[np.nan, 3.0]])
    assert np.isnan(out[0, 0]) and out[0, 1] == np.log1p(3.0)


def _wide_counts_at_once(X):
    """``are_wide_counts`` as it read the whole array at once."""
    finite = X[np.isfinite(X)]
    if not finite.size:
        return False
    whole = bool(np.all(finite >= 0) and np.all(finite == np.floor(finite)))
    return whole and float(finite.max()) >= _counts.MIN_LARGEST_COUNT


@pytest.mark.parametrize(
    "last",  # what the last block holds; the first blocks hold counts below 100
    [5.0, 150.0, -1.0, 2.5, np.nan, np.inf, 99.0],
)
def test_counts_are_recognised_in_any_block(monkeypatch, last):
    monkeypatch.setattr(_counts, "CHECK_BLOCK_VALUES", 7)
    X = np.random.default_rng(0).poisson(20.0, size=(10, 4)).astype(float)
    X[9, 3] = last
    assert _counts.are_wide_counts(X) == _wide_counts_at_once(X)
    assert _counts.are_wide_counts(X) == (last == 150.0)
    X[:] = np.nan
    assert not _counts.are_wide_counts(X)
