"""The simulation gap test: level, power, determinism, bad input, fit's warning."""

import copy
import dataclasses
import warnings

import numpy as np
import pytest
from _fitted_estimators import BUDGET, fitted_regressor, linear
from sklearn.exceptions import NotFittedError

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.diagnostics import (
    SimulationGapTest,
    SimulationGapWarning,
    simulation_gap_test,
)
from sgnn_sklearn.diagnostics._gap_test import (
    _standardised,
    embedding_gap_test,
    warn_if_distinguishable,
)
from sgnn_sklearn.simulators import LinearGaussian


def _mixture_kernel_mmd2(real, reference):
    """The unbiased MMD^2 written out pair by pair, as Gretton et al. define it."""
    pooled = _standardised(np.concatenate((real, reference)))
    x, y = pooled[: len(real)], pooled[len(real) :]
    distances = np.sqrt(((pooled[:, None] - pooled[None]) ** 2).sum(-1))
    h = np.median(distances[~np.eye(len(pooled), dtype=bool)])

    def k(a, b):
        d2 = ((a[:, None] - b[None]) ** 2).sum(-1)
        return np.mean(
            [np.exp(-d2 / (2 * (h * s) ** 2)) for s in (1, 0.5, 0.25, 0.125)], 0
        )

    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    n, m = len(x), len(y)
    return (
        (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * kxy.mean()
    )


def test_statistic_is_the_unbiased_mmd():
    rng = np.random.default_rng(0)
    real, reference = rng.normal(size=(12, 3)) + 0.5, rng.normal(size=(30, 3))
    result = embedding_gap_test(real, reference, n_permutations=19, random_state=0)
    assert result.statistic == pytest.approx(_mixture_kernel_mmd2(real, reference))


def test_level_holds_when_both_sets_come_from_one_distribution():
    """Over fresh draws of both sets, the test rejects about alpha of the time."""
    rng = np.random.default_rng(1)
    pvalues = [
        embedding_gap_test(
            rng.normal(size=(15, 4)),
            rng.normal(size=(45, 4)),
            n_permutations=99,
            random_state=i,
        ).pvalue
        for i in range(200)
    ]
    # p-values of a valid test are (super-)uniform.
    assert np.mean(np.array(pvalues) <= 0.05) <= 0.09
    assert 0.4 < np.mean(pvalues) < 0.6


def test_effect_size_reads_as_an_auc():
    rng = np.random.default_rng(2)
    reference = rng.normal(size=(300, 2))
    same = embedding_gap_test(rng.normal(size=(100, 2)), reference, random_state=0)
    apart = embedding_gap_test(rng.normal(size=(100, 2)) + 4, reference, random_state=0)
    assert abs(same.effect_size - 0.5) < 0.08
    assert apart.effect_size > 0.97 and apart.pvalue == 0.001


def test_detects_a_noisier_process_and_not_the_simulator_itself():
    est = fitted_regressor()
    same = simulation_gap_test(
        est, linear().simulate(100, random_state=11).X, random_state=0
    )
    noisier = LinearGaussian(n_features=4, noise_std=1.0)
    gap = simulation_gap_test(
        est, noisier.simulate(100, random_state=11).X, random_state=0
    )
    assert not same.rejected and same.pvalue > 0.05
    assert gap.rejected and gap.effect_size > same.effect_size + 0.1
    assert "last hidden layer" in gap.representation
    assert (gap.n_real, gap.n_reference, gap.n_permutations) == (100, 600, 999)


def test_deterministic_given_random_state():
    est = fitted_regressor()
    X = LinearGaussian(n_features=4, noise_std=0.7).simulate(60, random_state=3).X
    first = simulation_gap_test(est, X, random_state=5)
    assert first == simulation_gap_test(est, X, random_state=5)
    assert first.statistic == simulation_gap_test(est, X, random_state=6).statistic


def test_more_than_500_real_series_are_subsampled():
    est = fitted_regressor()
    result = simulation_gap_test(
        est, linear().simulate(700, random_state=4).X, n_permutations=9, random_state=0
    )
    assert result.n_real == 500


def test_readable_repr():
    result = SimulationGapTest(0.01, 0.2, 0.55, "embedding", 40, 300, 99, 1.0, 0.05)
    text = repr(result)
    assert "not rejected" in text and "p-value 0.2" in text and "AUC) 0.55" in text


@pytest.mark.parametrize(
    "X, message",
    [
        (np.zeros((9, 4)), "at least 10 real series"),
        (np.zeros((20, 3)), "X_real has 3 features, but .* with 4"),
        (np.where(np.eye(20, 4) > 0, np.nan, 0.0), "missing or infinite values in 4"),
        (np.full((20, 4), np.inf), "missing or infinite values in 20"),
    ],
)
def test_bad_real_series_are_refused_clearly(X, message):
    with pytest.raises(ValueError, match=message):
        simulation_gap_test(fitted_regressor(), X)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(alpha=1.0), "alpha must be in"),
        (dict(n_permutations=0), "n_permutations"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulation_gap_test(fitted_regressor(), np.zeros((20, 4)), **kwargs)


def test_needs_a_fitted_estimator_with_simulations():
    with pytest.raises(NotFittedError):
        simulation_gap_test(SimulationGroundedRegressor(), np.zeros((20, 4)))
    X = np.random.default_rng(0).normal(size=(30, 4))
    est = SimulationGroundedRegressor(max_epochs=2).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="no simulator"):
        simulation_gap_test(est, X)


def test_fit_with_real_series_warns_when_the_test_rejects():
    est = SimulationGroundedRegressor(linear(), **BUDGET)
    # A mild mismatch: few rows leave the support, but the set is told apart.
    real = LinearGaussian(n_features=4, noise_std=0.8).simulate(150, random_state=7)
    with pytest.warns(SimulationGapWarning, match=r"gap test: p-value 0\.00\d") as got:
        est.fit(real.X)
    message = str(got[-1].message)
    assert "effect size AUC" in message and "SplitConformalRegressor" in message
    assert not any("outside the simulated support" in str(w.message) for w in got)


def test_fit_with_too_few_real_series_runs_no_test():
    est = SimulationGroundedRegressor(linear(), **BUDGET)
    real = LinearGaussian(n_features=4, noise_std=0.8).simulate(9, random_state=7)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SimulationGapWarning)
        est.fit(real.X)


def test_fit_hook_is_silent_without_a_memory_bank():
    with warnings.catch_warnings():
        warnings.simplefilter("error", SimulationGapWarning)
        warn_if_distinguishable(None, np.zeros((50, 3)), 0)


# -- reference="fresh" ---------------------------------------------------------


def test_fresh_reference_detects_a_noisier_process_and_not_the_simulator_itself():
    est = fitted_regressor()
    noisier = LinearGaussian(n_features=4, noise_std=1.0).simulate(100, random_state=11)
    gap = simulation_gap_test(est, noisier.X, reference="fresh", random_state=0)
    assert gap.rejected and gap.reference == "fresh"
    # As many fresh simulations as the fit held out, unless told otherwise.
    assert gap.n_reference == len(est.memory_bank_.reference_embeddings)
    assert "vs 600 fresh simulations" in repr(gap)
    small = simulation_gap_test(
        est, noisier.X, reference="fresh", n_reference=250, random_state=0
    )
    assert small.n_reference == 250
    assert small == simulation_gap_test(
        est, noisier.X, reference="fresh", n_reference=250, random_state=0
    )


def test_fresh_references_keep_the_level_test_by_test():
    # Against one fit's held-out simulations, 20 draws of series the
    # simulator made were rejected 8 times (tests/test_diagnostics.py). With
    # a fresh reference for each test, the tests are independent, each at the
    # 5% level: 4 of these 40 are rejected (2 expected; 4 or more has
    # probability 0.14), and 7 or more would have probability 0.003.
    sim = linear()
    est = SimulationGroundedRegressor(
        sim, **dict(BUDGET, n_simulations=1000, max_epochs=10)
    ).fit()
    rejected = [
        simulation_gap_test(
            est,
            sim.simulate(300, random_state=draw).X,
            reference="fresh",
            random_state=draw,
        ).rejected
        for draw in range(40)
    ]
    assert sum(rejected) <= 6


def test_fresh_reference_needs_no_memory_bank_but_a_simulator():
    sim = linear()
    est = SimulationGroundedRegressor(
        sim,
        600,
        hidden_layer_sizes=(16,),
        max_epochs=3,
        memory_bank_size=0,
        random_state=0,
    ).fit()
    X = sim.simulate(50, random_state=1).X
    with pytest.raises(ValueError, match="memory_bank_size=0"):
        simulation_gap_test(est, X)
    assert (
        simulation_gap_test(est, X, reference="fresh", random_state=0).n_reference
        == 200
    )
    labelled = np.random.default_rng(0).normal(size=(30, 4))
    plain = SimulationGroundedRegressor(max_epochs=2).fit(labelled, labelled[:, 0])
    with pytest.raises(ValueError, match="no simulator"):
        simulation_gap_test(plain, labelled, reference="fresh")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(reference="new"), "reference must be 'held-out' or 'fresh'"),
        (dict(n_reference=100), "applies to reference='fresh' only"),
        (dict(reference="fresh", n_reference=0), "n_reference"),
    ],
)
def test_bad_reference_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulation_gap_test(fitted_regressor(), np.zeros((20, 4)), **kwargs)


class _EveryTenthBroken:
    """The test simulator with every tenth simulation incomplete."""

    def simulate(self, n_samples, random_state=None):
        drawn = linear().simulate(n_samples, random_state=random_state)
        X = drawn.X.copy()
        X[::10, 0] = np.nan
        return dataclasses.replace(drawn, X=X)


def test_incomplete_fresh_simulations_are_dropped_and_counted():
    est = copy.copy(fitted_regressor())
    est.simulator_ = _EveryTenthBroken()
    X = linear().simulate(50, random_state=1).X
    with pytest.warns(UserWarning, match="60 of the 600 fresh simulations"):
        gap = simulation_gap_test(est, X, reference="fresh", random_state=0)
    assert gap.n_reference == 540


def test_fresh_simulations_follow_the_estimators_fault_policy():
    est = copy.copy(fitted_regressor())
    est.simulator_ = _EveryTenthBroken()
    est.on_invalid = "raise"
    X = linear().simulate(50, random_state=1).X
    with pytest.raises(ValueError, match="NaN or inf"):
        simulation_gap_test(est, X, reference="fresh", random_state=0)
