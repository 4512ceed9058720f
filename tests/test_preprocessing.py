"""preprocessor="auto": counts spanning orders of magnitude are seen as log(1 + x)."""

import numpy as np
import pytest

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.preprocessing import LogCounts, _counts
from sgnn_sklearn.simulators import (
    SIR,
    BinomialPrevalence,
    FunctionSimulator,
    LinearGaussian,
    TruncatedSimulator,
)

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


def _wide_counts_at_once(X, per_feature=False):
    """``are_wide_counts`` as it read the whole array at once."""
    finite = X[np.isfinite(X)]
    if not finite.size:
        return False
    whole = bool(np.all(finite >= 0) and np.all(finite == np.floor(finite)))
    if per_feature:
        high, low = np.nanmax(X, axis=0), np.nanmin(X, axis=0)
        seen = np.isfinite(high)
        spans = 1 + high[seen] >= _counts.MIN_LARGEST_COUNT * (1 + low[seen])
        return whole and bool(spans.any())
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


@pytest.mark.parametrize(
    "smallest, largest, wide",  # of the last feature; the others hold 10-40
    [(0.0, 99.0, True), (0.0, 98.0, False), (3.0, 399.0, True), (3.0, 398.0, False)],
)
def test_per_feature_span_is_read_across_blocks(monkeypatch, smallest, largest, wide):
    monkeypatch.setattr(_counts, "CHECK_BLOCK_VALUES", 7)
    X = np.random.default_rng(0).integers(10, 41, size=(10, 4)).astype(float)
    X[2, 3], X[8, 3], X[5, 1] = smallest, largest, np.nan
    assert _counts.are_wide_counts(X, per_feature=True) is wide
    assert _wide_counts_at_once(X, per_feature=True) is wide
    # The whole-prior rule reads any value of 100 or more as wide.
    assert _counts.are_wide_counts(X) is (largest >= 100)


def test_large_counts_alike_in_every_feature_are_not_wide_per_feature():
    X = np.random.default_rng(1).poisson([300.0, 40.0, 2.0], size=(500, 3))
    assert _counts.are_wide_counts(X)
    assert not _counts.are_wide_counts(X, per_feature=True)
    X[7, 2] = 0.0
    X[9, 2] = 150.0  # one feature spanning two orders of magnitude suffices
    assert _counts.are_wide_counts(X, per_feature=True)
    assert not _counts.are_wide_counts([[-1.0, 300.0]], per_feature=True)
    assert not _counts.are_wide_counts(np.empty((0, 3)), per_feature=True)


# Twenty Poisson counts of one rate: across the prior they span 1-1000, around
# one series' posterior (sd about 5) a few tens.
COUNTS = FunctionSimulator(
    lambda p, rng: rng.poisson(p["rate"], size=20).astype(float),
    {"rate": (1.0, 1000.0)},
)


def test_a_prior_narrowed_to_one_posterior_keeps_the_counts_raw():
    amortised = SimulationGroundedRegressor(COUNTS, **FAST).fit()
    assert isinstance(amortised.preprocessor_, LogCounts)
    narrow = TruncatedSimulator(COUNTS, {"rate": (400.0, 450.0)})
    wide = TruncatedSimulator(COUNTS, {"rate": (1.0, 500.0)})
    assert SimulationGroundedRegressor(narrow, **FAST).fit().preprocessor_ is None
    fit_wide = SimulationGroundedRegressor(wide, **FAST).fit()
    assert isinstance(fit_wide.preprocessor_, LogCounts)
    # A preprocessor passed by hand is kept on a narrowed prior too.
    by_hand = SimulationGroundedRegressor(narrow, preprocessor=LogCounts(), **FAST)
    assert isinstance(by_hand.fit().preprocessor_, LogCounts)


def test_refinement_rounds_choose_the_inputs_on_the_narrowed_prior():
    amortised = SimulationGroundedRegressor(
        COUNTS, n_simulations=1000, random_state=0
    ).fit()
    x = COUNTS.simulate(1, random_state=2).X
    refined = amortised.refine(x, n_rounds=1, n_estimators=1)
    low, high = refined.simulator_.bounds["rate"]
    assert high - low < 200  # the box is narrow: its counts span a small factor
    assert isinstance(amortised.preprocessor_, LogCounts)
    assert refined.preprocessor_ is None
