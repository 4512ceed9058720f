"""Predictive uncertainty of the regressor: return_std, intervals, quantiles."""

import numpy as np
import pytest
import torch
from _fitted_estimators import BUDGET, fitted_regressor, linear

from benchmarks.uncertainty_consistency import SquaredLossOnly
from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.diagnostics import interval_coverage
from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator

# Over seeds 0-3 this budget gives a mean std / exact std of 0.985-1.02 and a
# 90% coverage of 0.894-0.906 on 4000 held-out simulations.
BUDGET = {k: v for k, v in BUDGET.items() if k != "random_state"}


@pytest.fixture(scope="module")
def simulator():
    return linear()


@pytest.fixture(scope="module")
def fitted():
    return fitted_regressor()


@pytest.fixture(scope="module")
def held_out(simulator):
    return simulator.simulate(4000, random_state=123)


def test_return_std_follows_gaussian_process_regressor(fitted, held_out):
    mean, std = fitted.predict(held_out.X, return_std=True)
    assert mean.shape == std.shape == (len(held_out.X),)
    np.testing.assert_array_equal(mean, fitted.predict(held_out.X))
    assert np.all(std > 0)


def test_90_percent_intervals_cover_88_to_92_percent(fitted, held_out):
    lower, upper = fitted.predict_interval(held_out.X, coverage=0.9)
    assert np.all(lower < upper)
    assert 0.88 <= interval_coverage(held_out.y, lower, upper) <= 0.92


def test_std_is_within_10_percent_of_the_exact_posterior_std(
    fitted, held_out, simulator
):
    _, std = fitted.predict(held_out.X, return_std=True)
    exact = simulator.posterior_std()[0]
    relative_error = np.abs(std / exact - 1)
    assert abs(std.mean() / exact - 1) < 0.1
    assert np.median(relative_error) < 0.1
    assert np.mean(relative_error < 0.2) > 0.9


def test_variance_head_leaves_the_mean_bit_identical(simulator, held_out):
    settings = dict(BUDGET, n_simulations=1000, max_epochs=10, memory_bank_size=0)
    settings["random_state"] = 0
    with_head = SimulationGroundedRegressor(simulator, **settings).fit()
    plain_mean = SquaredLossOnly(simulator, **settings).fit().predict(held_out.X)
    np.testing.assert_array_equal(with_head.predict(held_out.X), plain_mean)
    exact = simulator.posterior_mean(held_out.X)
    assert np.mean((with_head.predict(held_out.X) - exact) ** 2) == np.mean(
        (plain_mean - exact) ** 2
    )


def test_quantiles_and_intervals_agree(fitted, held_out):
    X = held_out.X[:50]
    quantiles = fitted.predict_quantiles(X, [0.05, 0.5, 0.95])
    assert quantiles.shape == (50, 3)
    assert np.all(np.diff(quantiles, axis=1) > 0)
    lower, upper = fitted.predict_interval(X, coverage=0.9)
    np.testing.assert_allclose(quantiles[:, 0], lower)
    np.testing.assert_allclose(quantiles[:, 2], upper)
    np.testing.assert_allclose(quantiles[:, 1], fitted.predict(X))
    assert fitted.predict_quantiles(X, 0.5).shape == (50, 1)


def test_wider_coverage_gives_wider_intervals(fitted, held_out):
    narrow = np.subtract(*fitted.predict_interval(held_out.X[:20], 0.5)[::-1])
    wide = np.subtract(*fitted.predict_interval(held_out.X[:20], 0.99)[::-1])
    assert np.all(wide > narrow)


def test_multi_target_std_has_the_shape_of_the_mean():
    sim = LinearGaussian(n_features=6, n_params=3)
    est = SimulationGroundedRegressor(
        sim, random_state=0, **dict(BUDGET, n_simulations=1500, max_epochs=20)
    ).fit()
    X = sim.simulate(7, random_state=1).X
    mean, std = est.predict(X, return_std=True)
    assert mean.shape == std.shape == (7, 3)
    lower, upper = est.predict_interval(X)
    assert lower.shape == upper.shape == (7, 3)
    assert est.predict_quantiles(X, [0.1, 0.9]).shape == (7, 3, 2)


def test_std_is_in_the_units_of_the_targets(held_out):
    """Targets scaled by 100 give a std 100 times larger."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = X[:, 0] + 0.5 * rng.normal(size=600)
    settings = dict(hidden_layer_sizes=(16,), max_epochs=30, lr=1e-2, random_state=0)
    small = SimulationGroundedRegressor(**settings).fit(X, y)
    large = SimulationGroundedRegressor(**settings).fit(X, 100 * y)
    np.testing.assert_allclose(
        large.predict(X[:5], return_std=True)[1],
        100 * small.predict(X[:5], return_std=True)[1],
        rtol=1e-4,
    )
    assert 0.3 < np.median(small.predict(X, return_std=True)[1]) < 0.8


def test_std_is_reproducible_with_random_state(simulator, held_out):
    settings = dict(BUDGET, n_simulations=800, max_epochs=10, random_state=3)
    a = SimulationGroundedRegressor(simulator, **settings).fit()
    b = SimulationGroundedRegressor(simulator, **settings).fit()
    np.testing.assert_array_equal(
        a.predict(held_out.X[:100], return_std=True)[1],
        b.predict(held_out.X[:100], return_std=True)[1],
    )


@pytest.mark.parametrize("coverage", [0, 1, 1.5, -0.1, "0.9", True, np.nan])
def test_bad_coverage_is_rejected(fitted, held_out, coverage):
    with pytest.raises(ValueError, match="coverage must be a number strictly between"):
        fitted.predict_interval(held_out.X[:3], coverage=coverage)


@pytest.mark.parametrize("quantiles", [[0.0, 0.5], [1.0], [[0.1, 0.2]], [np.nan]])
def test_bad_quantiles_are_rejected(fitted, held_out, quantiles):
    with pytest.raises(ValueError, match="quantiles must be"):
        fitted.predict_quantiles(held_out.X[:3], quantiles)


def test_uncertainty_before_fit_raises_not_fitted():
    from sklearn.exceptions import NotFittedError

    est = SimulationGroundedRegressor()
    with pytest.raises(NotFittedError):
        est.predict(np.zeros((2, 3)), return_std=True)
    with pytest.raises(NotFittedError):
        est.predict_interval(np.zeros((2, 3)))


def test_architecture_without_embed_is_rejected_clearly():
    class NoEmbed(torch.nn.Module):
        def __init__(self, n_features, n_outputs, hidden_layer_sizes, dropout):
            super().__init__()
            self.linear = torch.nn.Linear(n_features, n_outputs)

        def forward(self, X):
            return self.linear(X)

    est = SimulationGroundedRegressor(architecture=NoEmbed, max_epochs=2)
    with pytest.raises(TypeError, match="has no embed"):
        est.fit(np.zeros((30, 2)), np.zeros(30))
    clf = SimulationGroundedClassifier(
        LinearGaussian(), architecture=NoEmbed, n_simulations=50, max_epochs=1
    )
    with pytest.raises(TypeError, match="has no embed"):
        clf.fit(MixtureSimulator([("a", LinearGaussian()), ("b", LinearGaussian())]))


def test_online_training_has_std_and_a_memory_bank(simulator, held_out):
    """Online, the variance head and the bank come from the fixed first chunk."""
    est = SimulationGroundedRegressor(
        simulator,
        simulation="online",
        random_state=0,
        **dict(BUDGET, n_simulations=1000, max_epochs=10),
    ).fit()
    _, std = est.predict(held_out.X, return_std=True)
    assert abs(std.mean() / simulator.posterior_std()[0] - 1) < 0.2
    # the chunk's 200 validation rows are the reference, the other 800 the bank
    assert len(est.memory_bank_) == 800
    assert len(est.memory_bank_.reference_inputs) == 200
    explanation = est.explain_mechanism(held_out.X[:5], n_neighbors=20)
    assert explanation.param_mean.shape == (5, 1)
    assert 0.8 < est.simulation_gap(held_out.X[:1000]).score < 1.25
