"""The refinement benchmark's epidemic and scores, against what they must be."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.stats import poisson

from benchmarks.refinement import BoardingSchoolSIR, box_mass_outside, score
from sgnn_sklearn.diagnostics import reference_posterior


def test_boarding_school_sir_solves_the_ode_and_its_likelihood_is_poisson():
    sim = BoardingSchoolSIR()
    params = np.array([[3.5, 0.45, 1.0], [7.5, 0.9, 1.0]])
    ill = sim.mean_trajectory(params)
    for row, (R0, gamma, i0) in zip(ill, params, strict=True):
        N = sim.population

        def sir(t, state, R0=R0, gamma=gamma):
            s, i = state
            return [-R0 * gamma * s * i, R0 * gamma * s * i - gamma * i]

        exact = solve_ivp(
            sir,
            (0, 14),
            [1 - i0 / N, i0 / N],
            t_eval=np.arange(1, 15),
            rtol=1e-10,
            atol=1e-12,
        )
        # Within 1% of the Poisson noise's sd on every day.
        assert np.all(np.abs(row - N * exact.y[1]) < 0.01 * np.sqrt(N * exact.y[1]))
    data = sim.simulate(5, random_state=0)
    expected = poisson.logpmf(data.X, sim.mean_trajectory(data.params)).sum(axis=1)
    np.testing.assert_allclose(sim.log_likelihood(data.params, data.X), expected)
    # The latent step and the noise apart, as observation_noise="fresh" needs.
    rng = np.random.default_rng(1)
    apart = sim.observe(sim.simulate_latent(5, rng), rng)
    assert np.array_equal(
        apart.X, sim.simulate(5, random_state=np.random.default_rng(1)).X
    )


class _Exact:
    """A regressor that answers with the reference posterior itself."""

    def __init__(self, post):
        self.post = post

    def predict(self, X):
        return self.post.mean

    def predict_interval(self, X, coverage):
        bounds = self.post.quantiles([(1 - coverage) / 2, (1 + coverage) / 2])
        return bounds[..., 0], bounds[..., 1]


def test_scores_of_the_exact_posterior_and_of_a_cut_box():
    sim = BoardingSchoolSIR()
    x = sim.simulate(1, random_state=3).X
    post = reference_posterior(sim, x)
    exact = score(_Exact(post), post, x)
    np.testing.assert_allclose(exact["off"], 0.0, atol=1e-12)
    np.testing.assert_allclose(exact["mass"], 0.9, atol=2e-3)
    (R0, gamma), (sd0, sd1) = post.mean[0], post.std[0]
    wide = {
        "R0": (R0 - 6 * sd0, R0 + 6 * sd0),
        "gamma": (gamma - 6 * sd1, gamma + 6 * sd1),
    }
    assert box_mass_outside(post, wide) < 1e-4
    cut = {"R0": (R0, R0 + 6 * sd0), "gamma": wide["gamma"]}
    below_mean = float(post.cdf(post.mean)[0, 0])  # R0's posterior below its mean
    assert 0.3 < below_mean < 0.7
    assert box_mass_outside(post, cut) == pytest.approx(below_mean, abs=1e-4)
