"""Diagnostics: simulation gap, fit-time warning, coverage, SBC, reliability."""

import numpy as np
import pytest
from _fitted_estimators import (
    BUDGET,
    fitted_classifier,
    fitted_regressor,
    linear,
    overlapping_mixture,
)
from scipy.stats import spearmanr
from sklearn.exceptions import NotFittedError

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.diagnostics import (
    SimulationGapWarning,
    coverage_curve,
    interval_coverage,
    posterior_draws,
    reliability_curve,
    sbc_ranks,
    simulation_gap,
    simulation_gap_test,
)
from sgnn_sklearn.simulators import LinearGaussian

SMALL = dict(BUDGET, n_simulations=1000, max_epochs=10)


@pytest.fixture(scope="module")
def simulator():
    return linear()  # noise_std=0.5


@pytest.fixture(scope="module")
def regressor():
    return fitted_regressor()


# -- simulation gap ---------------------------------------------------------------


def test_data_from_the_simulator_show_no_gap(regressor, simulator):
    gap = regressor.simulation_gap(simulator.simulate(2000, random_state=1).X)
    assert 0.85 < gap.score < 1.2
    assert gap.outside_fraction < 0.05
    assert 0.4 < gap.percentile.mean() < 0.6  # percentiles are about uniform
    assert gap.distance.shape == gap.percentile.shape == (2000,)


def test_gap_rises_with_misspecification_and_tracks_the_error(regressor):
    scores, outside, errors = [], [], []
    for noise in (0.5, 0.75, 1.0, 1.5):
        real = LinearGaussian(n_features=4, noise_std=noise).simulate(
            1000, random_state=2
        )
        gap = regressor.simulation_gap(real.X)
        scores.append(gap.score)
        outside.append(gap.outside_fraction)
        errors.append(np.mean((regressor.predict(real.X) - real.y) ** 2))
    assert np.all(np.diff(scores) > 0)
    assert np.all(np.diff(outside) > 0)
    assert np.all(np.diff(errors) > 0)
    assert spearmanr(scores, errors)[0] == 1.0
    assert scores[-1] > 2 * scores[0]


def test_gap_rises_with_a_shift(regressor, simulator):
    X = simulator.simulate(1000, random_state=3).X
    scores = [simulation_gap(regressor, X + shift).score for shift in (0, 1, 2, 4)]
    assert np.all(np.diff(scores) > 0)


def test_gap_is_available_on_the_classifier():
    clf = fitted_classifier()
    X = overlapping_mixture().simulate(500, random_state=1).X
    gap = clf.simulation_gap(X)
    assert gap.outside_fraction < 0.05
    assert gap.score < clf.simulation_gap(3 * X + 2).score


def test_fit_warns_when_most_real_rows_lie_outside_the_support(simulator):
    real = LinearGaussian(n_features=4, noise_std=2.0).simulate(300, random_state=4)
    est = SimulationGroundedRegressor(simulator, **SMALL)
    with pytest.warns(
        SimulationGapWarning,
        match=r"of 300 real rows \(\d+%\) lie "
        "outside the simulated support",
    ) as caught:
        est.fit(real.X, real.y)
    assert "times that of held-out simulations" in str(caught[0].message)
    with pytest.warns(SimulationGapWarning):
        est.fit(real.X)


def test_fit_warns_on_data_the_simulator_reproduces_at_about_its_level(simulator):
    # The fit's gap warning is the gap test at the 5% level, with the fit's
    # own seed. Its level holds over draws of both the real series and the
    # held-out simulations it compares them with; against one fit's held-out
    # set it can reject more often (one fit here: 8 of 20 real draws, its 200
    # held-out series being an unusual sample), so each of 20 small fits is
    # tested on one draw of series the simulator reproduces.
    rejected = []
    for seed in range(20):
        est = SimulationGroundedRegressor(
            simulator, 600, hidden_layer_sizes=(16,), max_epochs=5, random_state=seed
        ).fit()
        real = simulator.simulate(300, random_state=100 + seed).X
        gap = simulation_gap_test(est, real, random_state=est._seeds["memory"])
        rejected.append(gap.rejected)
    assert sum(rejected) <= 3  # 4 or more of 20 at the 5% level: p = 0.016


def test_gap_before_fit_and_without_simulator():
    with pytest.raises(NotFittedError):
        SimulationGroundedRegressor().simulation_gap(np.zeros((2, 3)))
    X = np.random.default_rng(0).normal(size=(30, 3))
    est = SimulationGroundedRegressor(max_epochs=2).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="no simulator"):
        est.simulation_gap(X)


def test_gap_bad_n_neighbors(regressor, simulator):
    X = simulator.simulate(5, random_state=0).X
    with pytest.raises(ValueError, match="n_neighbors must be a positive integer"):
        regressor.simulation_gap(X, n_neighbors=0)
    with pytest.raises(ValueError, match="larger than the memory bank"):
        regressor.simulation_gap(X, n_neighbors=10**6)


# -- coverage -------------------------------------------------------------------


def test_interval_coverage():
    assert interval_coverage([0, 1, 2, 3], [0, 0, 0, 0], [1, 1, 1, 1]) == 0.5
    per_target = interval_coverage(
        [[0, 5], [1, np.nan]], [[0, 0], [0, 0]], [[1, 1], [1, 1]]
    )
    np.testing.assert_array_equal(per_target, [1.0, 0.0])  # NaN truth left out
    with pytest.raises(ValueError, match="same 1-D or 2-D shape"):
        interval_coverage([1, 2], [0], [3])


def test_coverage_curve_is_on_the_diagonal(regressor, simulator):
    test = simulator.simulate(4000, random_state=6)
    curve = coverage_curve(regressor, test.X, test.y, coverages=[0.5, 0.8, 0.9])
    assert curve.target_names == ("theta0",)
    assert curve.max_error < 0.03


# -- SBC ------------------------------------------------------------------------


def test_sbc_ranks_are_uniform_for_the_regressor(regressor, simulator):
    test = simulator.simulate(2000, random_state=7)
    sbc = sbc_ranks(test.y, posterior_draws(regressor, test.X, 99, random_state=0))
    assert sbc.ranks.shape == (2000,)
    assert sbc.n_draws == 99
    assert sbc.pvalue() > 0.001
    assert sbc.histogram().sum() == 2000


def test_sbc_detects_an_overconfident_posterior(regressor, simulator):
    test = simulator.simulate(2000, random_state=7)
    mean, std = regressor.predict(test.X, return_std=True)
    rng = np.random.default_rng(0)
    narrow = mean[:, None] + 0.5 * std[:, None] * rng.standard_normal((2000, 99))
    sbc = sbc_ranks(test.y, narrow)
    assert sbc.pvalue() < 1e-6
    counts = sbc.histogram()
    assert counts[0] > 2 * counts[5] and counts[-1] > 2 * counts[5]  # U shape


def test_sbc_from_the_neighbors(regressor, simulator):
    test = simulator.simulate(1000, random_state=8)
    draws = posterior_draws(regressor, test.X, 99, method="neighbors")
    assert draws.shape == (1000, 99, 1)
    assert sbc_ranks(test.params, draws).pvalue().shape == (1,)


def test_sbc_bad_input(regressor):
    with pytest.raises(ValueError, match="draws must have shape"):
        sbc_ranks(np.zeros(3), np.zeros((4, 10)))
    with pytest.raises(ValueError, match="finite"):
        sbc_ranks(np.zeros(2), np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="method must be"):
        posterior_draws(regressor, np.zeros((2, 4)), method="bootstrap")


def test_gaussian_draws_need_a_regressor():
    with pytest.raises(TypeError, match="method='neighbors'"):
        posterior_draws(fitted_classifier(), np.zeros((2, 4)))


# -- reliability ----------------------------------------------------------------


def test_classifier_probabilities_are_reliable():
    clf = fitted_classifier()
    test = overlapping_mixture().simulate(2000, random_state=9)
    curve = reliability_curve(test.mechanism, clf.predict_proba(test.X), clf.classes_)
    assert curve.counts.sum() == 2 * 2000
    assert curve.expected_calibration_error < 0.03


def test_reliability_detects_overconfidence():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=4000)
    y = (rng.uniform(size=4000) < p).astype(int)
    sharpened = np.clip(2 * p - 0.5, 0, 1)
    good = reliability_curve(y, np.c_[1 - p, p])
    bad = reliability_curve(y, np.c_[1 - sharpened, sharpened])
    assert good.expected_calibration_error < 0.03
    assert bad.expected_calibration_error > 0.1


def test_reliability_bad_input():
    with pytest.raises(ValueError, match="pass classes="):
        reliability_curve([0, 1, 2], np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="expects y_true of shape"):
        reliability_curve([0, 1], np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="n_bins must be"):
        reliability_curve([0, 1], np.full((2, 2), 0.5), n_bins=0)
