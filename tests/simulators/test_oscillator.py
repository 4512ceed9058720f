"""DampedOscillator: the curve-fitting benchmark, its likelihood and posterior."""

import numpy as np
import pytest
from sklearn.base import clone

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.baselines import MaximumLikelihoodRegressor
from sgnn_sklearn.diagnostics import reference_posterior
from sgnn_sklearn.simulators import DampedOscillator


def test_shapes_determinism_and_clone():
    sim = DampedOscillator()
    a = sim.simulate(30, random_state=3)
    b = clone(sim).simulate(30, random_state=3)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.X.shape == (30, 40) and a.y.shape == (30, 3)
    assert a.param_names == ("amplitude", "damping", "frequency")
    np.testing.assert_array_equal(a.y, a.params)
    low, high = np.array(sim.param_bounds()).T
    assert np.all((a.params >= low) & (a.params <= high))
    assert not np.array_equal(a.X, sim.simulate(30, random_state=4).X)
    one = DampedOscillator(targets=("frequency",)).simulate(5, random_state=0)
    assert one.y.shape == (5,)
    np.testing.assert_array_equal(one.y, one.params[:, 2])


def test_series_is_the_damped_cosine_plus_noise_of_the_stated_sd():
    sim = DampedOscillator(n_times=5, t_max=4.0, noise_std=0.3)
    params = np.array([[1.5, 0.2, 2.0]])
    t = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    curve = 1.5 * np.exp(-0.2 * t) * np.cos(2.0 * t)
    np.testing.assert_allclose(sim.mean_trajectory(params)[0], curve)
    X = sim.simulate_from_params(np.repeat(params, 20_000, 0), random_state=0).X
    np.testing.assert_allclose(X.mean(axis=0), curve, atol=0.01)
    np.testing.assert_allclose(X.std(axis=0), 0.3, rtol=0.03)


def test_log_likelihood_is_the_gaussian_density_written_out():
    sim = DampedOscillator(n_times=7, noise_std=0.25)
    data = sim.simulate(6, random_state=1)
    params = sim.sample_params(6, random_state=2)
    t = np.linspace(0.0, 10.0, 7)
    expected = []
    for (a, g, w), x in zip(params, data.X, strict=True):
        r = x - a * np.exp(-g * t) * np.cos(w * t)
        expected.append(
            -0.5 * np.sum(r**2) / 0.25**2 - 7 * np.log(0.25 * np.sqrt(2 * np.pi))
        )
    np.testing.assert_allclose(sim.log_likelihood(params, data.X), expected)


def test_reference_posterior_of_the_frequency_matches_direct_quadrature():
    # Amplitude and damping known: a one-dimensional posterior, integrated
    # here on a very fine grid with the likelihood written out.
    sim = DampedOscillator(amplitude=1.0, damping=0.2, targets=("frequency",))
    data = sim.simulate(5, random_state=0)
    post = reference_posterior(sim, data.X)
    assert post.converged.all()
    w = np.linspace(0.5, 3.0, 200_001)
    t = sim.times
    curves = np.exp(-0.2 * t) * np.cos(w[:, None] * t)
    for i, x in enumerate(data.X):
        log_lik = -0.5 * np.sum((x - curves) ** 2, axis=1) / 0.1**2
        weights = np.exp(log_lik - log_lik.max())
        mean = np.sum(w * weights) / weights.sum()
        sd = np.sqrt(np.sum((w - mean) ** 2 * weights) / weights.sum())
        assert abs(post.mean[i] - mean) < 1e-3 * sd
        assert abs(post.std[i] / sd - 1) < 1e-3


def test_reference_posterior_of_all_three_parameters_holds_the_truth():
    sim = DampedOscillator()
    data = sim.simulate(10, random_state=5)
    # The default grid (16 and 32 points per parameter) moves some posterior
    # means by a few tenths of a posterior sd: coarse, but enough here.
    post = reference_posterior(sim, data.X, tol=0.5)
    assert post.converged.all() and post.mean.shape == (10, 3)
    # The truth lies within a few posterior sds; the posterior is narrower
    # than the prior (sd of U(a, b) is (b - a) / sqrt(12)).
    z = (data.y - post.mean) / post.std
    assert np.abs(z).max() < 5
    prior_sd = np.array([1.5, 0.45, 2.5]) / np.sqrt(12)
    assert np.all(np.median(post.std, axis=0) < 0.5 * prior_sd)


def test_maximum_likelihood_regressor_fits_it():
    sim = DampedOscillator(noise_std=0.02)
    data = sim.simulate(8, random_state=0)
    mle = MaximumLikelihoodRegressor(sim, random_state=0).fit(data.X)
    estimate = mle.predict(data.X)
    assert estimate.shape == (8, 3)
    np.testing.assert_allclose(estimate, data.y, rtol=0.05)


def test_regressor_trains_on_fresh_observation_noise():
    sim = DampedOscillator(n_times=10)
    est = SimulationGroundedRegressor(
        sim, 200, max_epochs=2, observation_noise="fresh", random_state=0
    ).fit()
    assert est.predict(sim.simulate(3, random_state=1).X).shape == (3, 3)


def test_bad_settings_and_inputs():
    with pytest.raises(ValueError, match="n_times must be at least 2"):
        DampedOscillator(n_times=1).simulate(2)
    with pytest.raises(ValueError, match="noise_std must be a positive number"):
        DampedOscillator(noise_std=0.0).simulate(2)
    with pytest.raises(ValueError, match="t_max must be a positive number"):
        DampedOscillator(t_max=-1.0).simulate(2)
    with pytest.raises(ValueError, match=r"unknown target\(s\) \['phase'\]"):
        DampedOscillator(targets=("phase",)).simulate(2)
    with pytest.raises(ValueError, match=r"X has shape \(1, 3\); expected \(1, 40\)"):
        DampedOscillator().log_likelihood([[1.0, 0.1, 1.0]], [[0.0] * 3])
