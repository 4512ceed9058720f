"""Tests of the epidemic simulators: SIR and SEIR."""

import numpy as np
import pytest
from scipy import stats
from scipy.integrate import solve_ivp
from sklearn.base import clone

from sgnn_sklearn.simulators import SEIR, SIR, MixtureSimulator

EPIDEMICS = [SIR, SEIR]
NOISES = ["poisson", "negbin"]


def _mechanism_names(cls):
    if cls is SIR:
        return ("R0", "gamma", "rho", "i0")
    return ("R0", "gamma", "sigma", "rho", "i0")


def _reference_incidence(cls, row, n_days, population):
    """True daily incidence from scipy's adaptive solver, for one parameter row."""
    values = dict(zip(_mechanism_names(cls), row, strict=False))
    beta, gamma, i0 = values["R0"] * values["gamma"], values["gamma"], values["i0"]
    if cls is SIR:

        def rhs(t, y):
            s, i = y
            return [-beta * s * i, beta * s * i - gamma * i]

        y0 = [1 - i0, i0]
    else:
        sigma = values["sigma"]
        growth = 0.5 * (
            np.sqrt((sigma - gamma) ** 2 + 4 * sigma * beta * (1 - i0)) - sigma - gamma
        )
        exposed = i0 * (growth + gamma) / (growth + gamma + sigma)

        def rhs(t, y):
            s, e, i, onsets = y
            return [
                -beta * s * i,
                beta * s * i - sigma * e,
                sigma * e - gamma * i,
                sigma * e,
            ]

        y0 = [1 - i0, exposed, i0 - exposed, 0.0]
    solution = solve_ivp(
        rhs,
        (0, n_days),
        y0,
        method="DOP853",
        t_eval=np.arange(n_days + 1),
        rtol=1e-11,
        atol=1e-14,
    )
    cumulative = 1 - solution.y[0] if cls is SIR else solution.y[3]
    return population * np.diff(cumulative), population * (1 - i0 - solution.y[0, -1])


@pytest.mark.parametrize("cls", EPIDEMICS)
@pytest.mark.parametrize("noise", NOISES)
def test_shapes_and_names(cls, noise):
    sim = cls(n_days=20, noise=noise)
    data = sim.simulate(6, random_state=0)
    param_names = _mechanism_names(cls) + (("dispersion",) if noise == "negbin" else ())
    assert data.X.shape == (6, 20)
    assert data.y.shape == (6,)
    assert data.params.shape == (6, len(param_names))
    assert data.feature_names == tuple(f"day{i}" for i in range(20))
    assert data.target_names == ("R0",)
    assert data.param_names == param_names
    np.testing.assert_array_equal(data.y, data.params[:, 0])
    assert (data.X >= 0).all()
    np.testing.assert_array_equal(data.X, np.round(data.X))


@pytest.mark.parametrize("cls", EPIDEMICS)
def test_same_seed_identical_and_different_seed_different(cls):
    sim = cls()
    a = sim.simulate(40, random_state=7)
    b = sim.simulate(40, random_state=7)
    c = sim.simulate(40, random_state=8)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize("cls", EPIDEMICS)
@pytest.mark.parametrize(("steps_per_day", "tolerance"), [(2, 5e-4), (8, 1e-5)])
def test_ode_solution_matches_an_adaptive_solver(cls, steps_per_day, tolerance):
    sim = cls(
        noise="poisson", steps_per_day=steps_per_day, targets=("total_infections",)
    )
    params = sim.sample_params(6, random_state=0)
    params[0, :2] = 4.0, 0.25  # the fastest epidemic the default prior allows
    mean = sim.mean_trajectory(params)
    total = sim.simulate_from_params(params, random_state=0).y
    rho = params[:, sim.param_names.index("rho")]
    for row, row_mean, row_total, row_rho in zip(params, mean, total, rho, strict=True):
        incidence, expected_total = _reference_incidence(cls, row, 60, 1e5)
        np.testing.assert_allclose(
            row_mean, row_rho * incidence, rtol=0, atol=tolerance * incidence.max()
        )
        assert row_total == pytest.approx(expected_total, rel=tolerance)


def test_sir_total_infections_is_the_sum_of_true_incidence():
    sim = SIR(noise="poisson", targets=("total_infections", "attack_rate", "rho"))
    data = sim.simulate(50, random_state=0)
    total, attack_rate, rho = data.y.T
    true_incidence = sim.mean_trajectory(data.params) / rho[:, None]
    np.testing.assert_allclose(total, true_incidence.sum(axis=1), rtol=1e-9)
    np.testing.assert_allclose(attack_rate, total / 1e5)
    assert ((attack_rate > 0) & (attack_rate < 1)).all()


def test_seir_total_infections_count_infections_not_onsets():
    sim = SEIR(noise="poisson", targets=("total_infections", "rho", "i0"))
    data = sim.simulate(50, random_state=0)
    total, rho, i0 = data.y.T
    onsets = sim.mean_trajectory(data.params).sum(axis=1) / rho
    # Onsets also count the exposed seeded at day 0, and miss those still
    # latent at the end: total = onsets - N E(0) + N E(n_days).
    assert (total + 1e5 * i0 > onsets).all()
    assert (total > onsets).mean() > 0.5


@pytest.mark.parametrize("cls", EPIDEMICS)
def test_beta_target_is_r0_times_gamma(cls):
    data = cls(targets=("beta", "R0", "gamma")).simulate(10, random_state=0)
    beta, R0, gamma = data.y.T
    np.testing.assert_allclose(beta, R0 * gamma)


def test_seir_starts_on_its_exponential_phase():
    sim = SEIR(n_days=10, noise="poisson")
    R0, gamma, sigma, rho, i0 = 2.5, 0.2, 0.25, 0.5, 1e-4
    mean = sim.mean_trajectory([[R0, gamma, sigma, rho, i0]])[0]
    beta = R0 * gamma
    growth = 0.5 * (np.sqrt((sigma - gamma) ** 2 + 4 * sigma * beta) - sigma - gamma)
    np.testing.assert_allclose(mean[1:] / mean[:-1], np.exp(growth), rtol=2e-3)


def test_incidence_scales_with_population_and_reporting_rate():
    params = np.array([[2.0, 0.2, 0.5, 5e-4]])
    small = SIR(noise="poisson").mean_trajectory(params)
    large = SIR(noise="poisson", population=1e6).mean_trajectory(params)
    np.testing.assert_allclose(large, 10 * small)
    halved = SIR(noise="poisson").mean_trajectory(params * [1, 1, 0.5, 1])
    np.testing.assert_allclose(halved, small / 2)


@pytest.mark.parametrize("cls", EPIDEMICS)
@pytest.mark.parametrize("noise", NOISES)
def test_log_likelihood_matches_scipy(cls, noise):
    sim = cls(n_days=30, noise=noise, dispersion=(2.0, 20.0))
    data = sim.simulate(4, random_state=3)
    mean = sim.mean_trajectory(data.params)
    if noise == "poisson":
        expected = stats.poisson.logpmf(data.X, mean).sum(axis=1)
    else:
        k = data.params[:, -1:]
        expected = stats.nbinom.logpmf(data.X, k, k / (k + mean)).sum(axis=1)
    got = sim.log_likelihood(data.params, data.X)
    assert got.shape == (4,)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


@pytest.mark.parametrize("cls", EPIDEMICS)
@pytest.mark.parametrize("noise", NOISES)
def test_log_likelihood_prefers_the_true_parameters(cls, noise):
    sim = cls(noise=noise)
    data = sim.simulate(300, random_state=4)
    wrong = data.params.copy()
    wrong[:, 0] = np.where(wrong[:, 0] < 2.6, wrong[:, 0] + 1.4, wrong[:, 0] - 1.4)
    true_ll = sim.log_likelihood(data.params, data.X)
    wrong_ll = sim.log_likelihood(wrong, data.X)
    assert true_ll.mean() > wrong_ll.mean()
    assert (true_ll > wrong_ll).mean() > 0.9


@pytest.mark.parametrize("cls", EPIDEMICS)
@pytest.mark.parametrize("noise", NOISES)
def test_average_simulation_matches_mean_trajectory(cls, noise):
    sim = cls(n_days=40, noise=noise)
    n = 3000
    params = np.repeat(sim.sample_params(2, random_state=0), n, axis=0)
    X = sim.simulate_from_params(params, random_state=1).X.reshape(2, n, -1)
    mean = sim.mean_trajectory(params).reshape(2, n, -1)[:, 0]
    variance = mean if noise == "poisson" else mean + mean**2 / sim.dispersion
    standard_error = np.sqrt(variance / n)
    assert np.all(np.abs(X.mean(axis=1) - mean) < 5 * standard_error + 1e-9)


def test_param_bounds_and_free_params():
    sim = SEIR(gamma=0.2, dispersion=(1.0, 30.0))
    assert sim.param_bounds() == [
        (1.2, 4.0),
        (0.2, 0.2),
        (1 / 7, 1 / 2),
        (0.2, 0.8),
        (1e-4, 1e-3),
        (1.0, 30.0),
    ]
    assert sim.free_params == ("R0", "sigma", "rho", "i0", "dispersion")
    assert SIR().free_params == ("R0", "gamma", "rho", "i0")


def test_clone_and_set_params():
    sim = SEIR(n_days=15, R0=(2.0, 3.0), targets=("R0", "attack_rate"))
    copy = clone(sim)
    assert copy.get_params() == sim.get_params()
    np.testing.assert_array_equal(
        sim.simulate(5, random_state=0).X, copy.simulate(5, random_state=0).X
    )
    sim.set_params(R0=1.5, n_days=10, population=1e4)
    data = sim.simulate(8, random_state=0)
    assert data.X.shape == (8, 10)
    assert (data.y[:, 0] == 1.5).all()


def test_mixture_of_sir_and_seir_stacks_r0():
    mix = MixtureSimulator([("sir", SIR()), ("seir", SEIR())])
    data = mix.simulate(200, random_state=0)
    assert data.X.shape == (200, 60)
    assert data.target_names == ("R0",)
    assert data.y.shape == (200,)
    assert data.param_names == ("R0", "gamma", "rho", "i0", "dispersion", "sigma")
    np.testing.assert_array_equal(data.y, data.params[:, 0])
    sir = data.mechanism == "sir"
    assert 0 < sir.sum() < 200
    assert np.isnan(data.params[sir, 5]).all()
    assert not np.isnan(data.params[~sir, 5]).any()


@pytest.mark.parametrize("cls", EPIDEMICS)
@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"n_days": -1}, "n_days must be a positive integer"),
        ({"steps_per_day": 0}, "steps_per_day must be a positive integer"),
        ({"population": -10.0}, "population must be a positive number"),
        ({"targets": ("R0", "peak")}, r"unknown target\(s\) \['peak'\]"),
        ({"noise": "binomial"}, "noise must be 'poisson' or 'negbin'"),
        ({"rho": (0.5, 1.5)}, r"parameter 'rho' must be in \(0, 1\]"),
        ({"i0": 1.0}, r"parameter 'i0' must be in \(0, 1\)"),
        ({"gamma": (-0.1, 0.1)}, "parameter 'gamma' must be positive"),
    ],
)
def test_bad_settings_raise_clear_errors(cls, settings, message):
    sim = cls(**settings)
    with pytest.raises(ValueError, match=message):
        sim.simulate(3, random_state=0)
