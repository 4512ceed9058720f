"""The two non-Gaussian benchmark problems and their reference posteriors."""

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone

from sgnn_sklearn.diagnostics import posterior_mass_inside, reference_posterior
from sgnn_sklearn.simulators import BinomialPrevalence, QuadraticGaussian


@pytest.mark.parametrize("sim", [QuadraticGaussian(), BinomialPrevalence()])
def test_shapes_determinism_and_clone(sim):
    a = sim.simulate(20, random_state=3)
    b = clone(sim).simulate(20, random_state=3)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.X.shape == (20, len(sim.feature_names)) and a.y.shape == (20,)
    assert np.isfinite(sim.log_likelihood(a.params, a.X)).all()


def test_quadratic_gaussian_posterior_has_two_peaks():
    sim = QuadraticGaussian()
    rng = np.random.default_rng(0)
    params = np.array([[1.3]] * 40)
    X = sim.simulate_from_params(params, rng).X
    post = reference_posterior(sim, X)
    assert post.converged.all()
    theta = post.draws[..., 0]
    mass_below_zero = np.sum(post.weights * (theta < 0), axis=1)
    # The sign is uncertain, but the direct measurement tilts it: on average
    # more mass on the true side, and for most observations both peaks count.
    assert mass_below_zero.mean() < 0.5
    assert np.mean((mass_below_zero > 0.05) & (mass_below_zero < 0.95)) > 0.5
    # Almost no mass near 0, where the mean often falls.
    near_zero = np.sum(post.weights * (np.abs(theta) < 0.5), axis=1)
    assert near_zero.max() < 0.01
    # A Gaussian interval around the mean does not hold 90% of this posterior.
    z = stats.norm.ppf(0.95)
    gauss = posterior_mass_inside(
        post, post.mean - z * post.std, post.mean + z * post.std
    )
    assert np.abs(gauss - 0.9).max() > 0.03


def test_binomial_prevalence_posterior_is_the_truncated_beta():
    sim = BinomialPrevalence()
    data = sim.simulate(30, random_state=1)
    post = reference_posterior(sim, data.X)
    assert post.converged.all()
    exact = sim.posterior_mean(data.X)
    assert np.abs((post.mean - exact) / post.std).max() < 1e-3
    k = data.X.sum(axis=1)
    beta = stats.beta(1 + k, 1 + 50 - k)
    lo, hi = beta.cdf(0.0), beta.cdf(0.3)
    q90 = beta.ppf(lo + 0.9 * (hi - lo))
    assert np.abs(post.quantiles(0.9)[:, 0] - q90).max() < 1e-3
    # Skewed: for few positives the mean is well above the median.
    few = k <= 2
    assert few.any()
    median = post.quantiles(0.5)[:, 0]
    assert np.all((post.mean - median)[few] > 0.1 * post.std[few])


def test_bad_settings_and_inputs():
    with pytest.raises(ValueError, match="at least 2"):
        QuadraticGaussian(n_features=1).simulate(2)
    with pytest.raises(ValueError, match="noise_std must be a positive number"):
        QuadraticGaussian(noise_std=0.0).simulate(2)
    with pytest.raises(ValueError, match=r"X has shape \(1, 3\); expected \(1, 8\)"):
        QuadraticGaussian().log_likelihood([[0.0]], [[0.0] * 3])
    with pytest.raises(ValueError, match=r"prevalence must be in \[0, 1\]"):
        BinomialPrevalence(prevalence=(0.5, 1.5)).simulate(50, random_state=0)
    with pytest.raises(ValueError, match="whole counts from 0 to batch_size=10"):
        BinomialPrevalence().log_likelihood([[0.1]], [[11.0, 0, 0, 0, 0]])
