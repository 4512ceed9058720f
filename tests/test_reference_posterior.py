"""The reference posterior: exact where it must be, and honest about convergence."""

import numpy as np
import pytest
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from sgnn_sklearn.diagnostics import (
    posterior_mass_inside,
    posterior_mean_distance,
    reference_posterior,
)
from sgnn_sklearn.simulators import SIR, FunctionSimulator, LinearGaussian, Simulator


class GridLinearGaussian(Simulator):
    """LinearGaussian with a likelihood, so that the grid must find its posterior."""

    prior_params = ("theta0", "theta1")

    def __init__(self, theta0=(-10.0, 10.0), theta1=(-10.0, 10.0)):
        self.theta0 = theta0
        self.theta1 = theta1

    # A prior this wide next to the likelihood is flat: the posterior is
    # LinearGaussian's with an infinite prior sd (the truncation at +-10,
    # over 12 posterior sds away, changes nothing at this precision).
    exact = LinearGaussian(n_features=3, n_params=2, noise_std=0.5, prior_std=1e8)

    @property
    def feature_names(self):
        return self.exact.feature_names

    @property
    def target_names(self):
        return ("theta0", "theta1")

    def sample_params(self, n_samples, random_state=None):
        rng = np.random.default_rng(random_state)
        return rng.uniform(-3, 3, size=(n_samples, 2))

    def generate(self, params, rng):
        return self.exact.simulate_from_params(params, rng).X, params

    def log_likelihood(self, params, X):
        mean = params @ self.exact.design_matrix.T
        return stats.norm(mean, 0.5).logpdf(X).sum(axis=1)


def test_linear_gaussian_is_exact():
    sim = LinearGaussian(n_features=4, n_params=2)
    X = sim.simulate(20, random_state=0).X
    post = reference_posterior(sim, X, random_state=0)
    assert post.method == "exact" and post.converged.all()
    np.testing.assert_allclose(post.mean, sim.posterior_mean(X))
    np.testing.assert_allclose(post.std, np.tile(sim.posterior_std(), (20, 1)))
    q = post.quantiles([0.05, 0.5, 0.95])
    z = stats.norm.ppf([0.05, 0.5, 0.95])
    expected = post.mean[..., None] + post.std[..., None] * z
    np.testing.assert_allclose(q, expected, atol=1e-4)
    # The draws are exact draws: their mean is within Monte Carlo error.
    assert np.abs(post.draws.mean(axis=1) - post.mean).max() < 5 * post.std.max() / 64
    # Evidence: the marginal of x, checked against the joint Gaussian by hand.
    A = sim.design_matrix
    marginal = stats.multivariate_normal(np.zeros(4), A @ A.T + np.eye(4))
    np.testing.assert_allclose(post.log_evidence, marginal.logpdf(X))


def test_grid_matches_the_exact_gaussian_posterior():
    sim = GridLinearGaussian()
    data = sim.simulate(15, random_state=1)
    post = reference_posterior(sim, data.X)
    assert post.method == "grid" and post.converged.all()
    exact = sim.exact
    sd = exact.posterior_std()
    assert np.abs((post.mean - exact.posterior_mean(data.X)) / sd).max() < 0.01
    assert np.abs(post.std / sd - 1).max() < 0.01
    lower, upper = post.quantiles([0.05, 0.95]).transpose(2, 0, 1)
    z = (upper - exact.posterior_mean(data.X)) / sd
    assert np.abs(z - stats.norm.ppf(0.95)).max() < 0.02
    mass = posterior_mass_inside(post, lower, upper)
    np.testing.assert_allclose(mass, 0.9, atol=1e-6)
    assert np.all(post.ess > 100)
    np.testing.assert_allclose(post.weights.sum(axis=1), 1.0)


def test_convergence_check_fires_on_a_coarse_grid():
    sim = GridLinearGaussian()
    X = sim.simulate(5, random_state=2).X
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        post = reference_posterior(sim, X, n_grid=2)
    assert not post.converged.any() and np.all(post.change > 0.01)
    fine = reference_posterior(sim, X, tol=0.01)
    assert fine.converged.all() and np.all(fine.change < 0.01)


def test_truncated_gamma_posterior_of_a_poisson_count():
    # x ~ Poisson(x0), x0 ~ U(5, 20): posterior Gamma(x + 1) truncated to (5, 20).
    from sgnn_sklearn.simulators import ExponentialGrowth

    sim = ExponentialGrowth(n_times=1, noise="poisson", targets=("x0",))
    X = np.array([[3.0], [12.0], [30.0]])
    post = reference_posterior(sim, X)
    for i, x in enumerate(X[:, 0]):
        g = stats.gamma(x + 1)
        lo, hi = g.cdf(5), g.cdf(20)
        median = g.ppf(lo + 0.5 * (hi - lo))
        assert abs(post.quantiles(0.5)[i, 0] - median) < 2e-3
        mean = g.expect(lambda v: v, lb=5, ub=20, conditional=True)
        assert abs(post.mean[i] - mean) < 2e-3
    assert post.converged.all()


def test_scores():
    sim = LinearGaussian(n_features=3)
    post = reference_posterior(sim, sim.simulate(4, random_state=0).X)
    np.testing.assert_allclose(posterior_mean_distance(post, post.mean - 0.2), 0.04)
    wide = posterior_mass_inside(post, post.mean - 10, post.mean + 10)
    np.testing.assert_allclose(wide, 1.0)
    inverted = posterior_mass_inside(post, post.mean + 1, post.mean - 1)
    np.testing.assert_allclose(inverted, 0.0)
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        posterior_mean_distance(post, np.zeros(3))


def test_clear_errors():
    no_likelihood = FunctionSimulator(lambda p, rng: [p["a"]], {"a": (0.0, 1.0)})
    with pytest.raises(TypeError, match="log_likelihood"):
        reference_posterior(no_likelihood, [[0.5]])
    with pytest.raises(ValueError, match="at most 3 unknown parameters.*4"):
        reference_posterior(SIR(10), np.zeros((1, 10)))
    with pytest.raises(ValueError, match="target 'attack_rate'"):
        reference_posterior(
            SIR(10, rho=0.5, i0=5e-4, targets=("attack_rate",)), np.zeros((1, 10))
        )
    with pytest.raises(ValueError, match="2-D"):
        reference_posterior(SIR(10, rho=0.5, i0=5e-4), np.zeros(10))
    with pytest.raises(ValueError, match="quantiles"):
        reference_posterior(LinearGaussian(), np.zeros((1, 5))).quantiles(1.5)
