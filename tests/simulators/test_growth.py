"""Tests of the growth-curve simulators: ExponentialGrowth, LogisticGrowth,
GompertzGrowth."""

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone

from sgnn_sklearn.simulators import (
    ExponentialGrowth,
    GompertzGrowth,
    LogisticGrowth,
    MixtureSimulator,
)

GROWTH_MODELS = [ExponentialGrowth, LogisticGrowth, GompertzGrowth]
NOISES = ["poisson", "negbin"]


def _mechanism_names(cls):
    return ("r", "x0") if cls is ExponentialGrowth else ("r", "K", "x0")


@pytest.mark.parametrize("cls", GROWTH_MODELS)
@pytest.mark.parametrize("noise", NOISES)
def test_shapes_and_names(cls, noise):
    sim = cls(n_times=12, noise=noise)
    data = sim.simulate(7, random_state=0)
    param_names = _mechanism_names(cls) + (("dispersion",) if noise == "negbin" else ())
    assert data.X.shape == (7, 12)
    assert data.y.shape == (7,)
    assert data.params.shape == (7, len(param_names))
    assert data.feature_names == tuple(f"t{i}" for i in range(12))
    assert data.target_names == ("r",)
    assert data.param_names == param_names == sim.param_names
    np.testing.assert_array_equal(data.y, data.params[:, 0])


@pytest.mark.parametrize("cls", GROWTH_MODELS)
def test_counts_are_nonnegative_whole_numbers(cls):
    X = cls().simulate(200, random_state=1).X
    assert X.dtype == np.float64
    assert (X >= 0).all()
    np.testing.assert_array_equal(X, np.round(X))


def test_several_targets_give_2d_y_in_order():
    sim = LogisticGrowth(targets=("K", "r"))
    data = sim.simulate(5, random_state=0)
    assert data.y.shape == (5, 2)
    assert data.target_names == ("K", "r")
    np.testing.assert_array_equal(data.y, data.params[:, [1, 0]])


def test_a_single_target_may_be_given_as_a_string():
    data = GompertzGrowth(targets="K").simulate(4, random_state=0)
    assert data.target_names == ("K",)
    np.testing.assert_array_equal(data.y, data.params[:, 1])


@pytest.mark.parametrize("cls", GROWTH_MODELS)
def test_same_seed_identical_and_different_seed_different(cls):
    sim = cls()
    a = sim.simulate(50, random_state=3)
    b = sim.simulate(50, random_state=3)
    c = sim.simulate(50, random_state=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.X, c.X)
    assert not np.array_equal(a.params, c.params)


def test_mean_trajectories_follow_their_equations():
    t = np.arange(30.0)
    r, K, x0 = 0.3, 500.0, 10.0
    exponential = ExponentialGrowth(noise="poisson").mean_trajectory([[r, x0]])
    logistic = LogisticGrowth(noise="poisson").mean_trajectory([[r, K, x0]])
    gompertz = GompertzGrowth(noise="poisson").mean_trajectory([[r, K, x0]])
    np.testing.assert_allclose(exponential[0], x0 * np.exp(r * t))
    np.testing.assert_allclose(logistic[0], K / (1 + (K / x0 - 1) * np.exp(-r * t)))
    np.testing.assert_allclose(gompertz[0], K * np.exp(np.log(x0 / K) * np.exp(-r * t)))
    # Both saturating curves start at x0, tend to K, and solve their ODEs.
    for mean in (logistic[0], gompertz[0]):
        assert mean[0] == pytest.approx(x0)
        assert mean[-1] == pytest.approx(K, rel=0.01)
    slope = np.gradient(logistic[0], t)[1:-1]
    expected_slope = (r * logistic[0] * (1 - logistic[0] / K))[1:-1]
    np.testing.assert_allclose(slope, expected_slope, rtol=0.05)
    # The Gompertz curve bends at K / e, the logistic at K / 2.
    inflection = np.argmax(np.gradient(gompertz[0], t))
    assert gompertz[0][inflection] == pytest.approx(K / np.e, rel=0.15)


def test_mean_trajectory_ignores_the_dispersion_column():
    sim = LogisticGrowth(noise="negbin")
    params = np.array([[0.2, 800.0, 8.0, 3.0], [0.2, 800.0, 8.0, 50.0]])
    mean = sim.mean_trajectory(params)
    assert mean.shape == (2, 30)
    np.testing.assert_array_equal(mean[0], mean[1])


@pytest.mark.parametrize("cls", GROWTH_MODELS)
@pytest.mark.parametrize("noise", NOISES)
def test_log_likelihood_matches_scipy(cls, noise):
    sim = cls(n_times=15, noise=noise, dispersion=(2.0, 20.0))
    data = sim.simulate(4, random_state=2)
    mean = sim.mean_trajectory(data.params)
    if noise == "poisson":
        expected = stats.poisson.logpmf(data.X, mean).sum(axis=1)
    else:
        k = data.params[:, -1:]
        expected = stats.nbinom.logpmf(data.X, k, k / (k + mean)).sum(axis=1)
    got = sim.log_likelihood(data.params, data.X)
    assert got.shape == (4,)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


@pytest.mark.parametrize("cls", GROWTH_MODELS)
@pytest.mark.parametrize("noise", NOISES)
def test_log_likelihood_prefers_the_true_parameters(cls, noise):
    sim = cls(noise=noise)
    data = sim.simulate(300, random_state=5)
    wrong = data.params.copy()
    wrong[:, 0] *= 1.5  # the growth rate
    true_ll = sim.log_likelihood(data.params, data.X)
    wrong_ll = sim.log_likelihood(wrong, data.X)
    assert true_ll.mean() > wrong_ll.mean()
    assert (true_ll > wrong_ll).mean() > 0.9


def test_log_likelihood_of_a_positive_count_with_zero_mean_is_minus_inf():
    sim = ExponentialGrowth(n_times=2, noise="poisson")
    # x0 is positive but the mean underflows to zero.
    ll = sim.log_likelihood([[-1000.0, 1.0]], [[1.0, 1.0]])
    assert ll[0] == -np.inf


@pytest.mark.parametrize("cls", GROWTH_MODELS)
@pytest.mark.parametrize("noise", NOISES)
def test_average_simulation_matches_mean_trajectory(cls, noise):
    sim = cls(n_times=20, noise=noise)
    n = 4000
    params = np.repeat(sim.sample_params(3, random_state=0), n, axis=0)
    X = sim.simulate_from_params(params, random_state=1).X.reshape(3, n, -1)
    mean = sim.mean_trajectory(params).reshape(3, n, -1)[:, 0]
    variance = mean if noise == "poisson" else mean + mean**2 / sim.dispersion
    standard_error = np.sqrt(variance / n)
    assert np.all(np.abs(X.mean(axis=1) - mean) < 5 * standard_error + 1e-9)


def test_dispersion_controls_the_variance():
    params = np.array([[0.1, 1000.0, 10.0, 2.0]] * 3000)
    X = LogisticGrowth(noise="negbin").simulate_from_params(params, 0).X
    mean = LogisticGrowth(noise="negbin").mean_trajectory(params[:1])[0]
    np.testing.assert_allclose(X.var(axis=0), mean + mean**2 / 2.0, rtol=0.25)


def test_param_bounds_and_free_params():
    sim = LogisticGrowth(noise="negbin", K=800.0, dispersion=(1.0, 30.0))
    assert sim.param_bounds() == [
        (0.1, 0.4),
        (800.0, 800.0),
        (5.0, 20.0),
        (1.0, 30.0),
    ]
    assert sim.free_params == ("r", "x0", "dispersion")
    assert ExponentialGrowth().free_params == ("r", "x0")
    assert GompertzGrowth(noise="poisson").free_params == ("r", "K", "x0")
    assert ExponentialGrowth(x0=(7.0, 7.0)).free_params == ("r",)


def test_scipy_priors_are_drawn_and_bounded():
    sim = ExponentialGrowth(r=stats.uniform(0.2, 0.1), x0=stats.gamma(5.0))
    data = sim.simulate(100, random_state=0)
    assert ((data.params[:, 0] >= 0.2) & (data.params[:, 0] <= 0.3)).all()
    assert sim.param_bounds()[:2] == [(0.2, 0.30000000000000004), (0.0, np.inf)]
    assert sim.free_params == ("r", "x0")


def test_clone_and_set_params():
    sim = LogisticGrowth(n_times=10, r=(0.2, 0.3), targets=("r", "K"))
    copy = clone(sim)
    assert copy is not sim
    assert copy.get_params() == sim.get_params()
    a = sim.simulate(5, random_state=0)
    b = copy.simulate(5, random_state=0)
    np.testing.assert_array_equal(a.X, b.X)
    sim.set_params(K=300.0, n_times=5)
    data = sim.simulate(20, random_state=0)
    assert data.X.shape == (20, 5)
    assert (data.params[:, 1] == 300.0).all()
    assert (data.y[:, 1] == 300.0).all()


def test_mixture_of_growth_models_stacks_the_common_target():
    mix = MixtureSimulator(
        [
            ("exponential", ExponentialGrowth()),
            ("logistic", LogisticGrowth()),
            ("gompertz", GompertzGrowth()),
        ]
    )
    data = mix.simulate(300, random_state=0)
    assert data.X.shape == (300, 30)
    assert data.target_names == ("r",)
    assert data.y.shape == (300,)
    assert data.param_names == ("r", "x0", "dispersion", "K")
    assert set(data.mechanism) == {"exponential", "logistic", "gompertz"}
    np.testing.assert_array_equal(data.y, data.params[:, 0])
    exponential = data.mechanism == "exponential"
    assert np.isnan(data.params[exponential, 3]).all()
    assert not np.isnan(data.params[~exponential, 3]).any()
    again = mix.simulate(300, random_state=0)
    np.testing.assert_array_equal(data.X, again.X)


@pytest.mark.parametrize("cls", GROWTH_MODELS)
@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"n_times": -3}, "n_times must be a positive integer"),
        ({"n_times": 2.5}, "n_times must be a positive integer"),
        ({"targets": ("r", "rate")}, r"unknown target\(s\) \['rate'\]"),
        ({"targets": ()}, "targets must be a non-empty sequence"),
        ({"targets": ("r", "r")}, "targets must be unique"),
        ({"noise": "gaussian"}, "noise must be 'poisson' or 'negbin'"),
        ({"x0": (-5.0, -1.0)}, "parameter 'x0' must be positive"),
        ({"dispersion": 0.0}, "parameter 'dispersion' must be positive"),
        ({"r": (0.4, 0.1)}, "must have low <= high"),
    ],
)
def test_bad_settings_raise_clear_errors(cls, settings, message):
    sim = cls(**settings)
    with pytest.raises(ValueError, match=message):
        sim.simulate(3, random_state=0)


def test_dispersion_is_not_a_target_under_poisson_noise():
    with pytest.raises(ValueError, match="unknown target"):
        LogisticGrowth(noise="poisson", targets=("dispersion",)).simulate(2)
    sim = LogisticGrowth(noise="negbin", targets=("dispersion",))
    assert sim.simulate(2, random_state=0).target_names == ("dispersion",)


def test_likelihood_api_checks_its_inputs():
    sim = GompertzGrowth(n_times=4, noise="poisson")
    params = np.array([[0.2, 500.0, 10.0]])
    with pytest.raises(ValueError, match=r"params must have shape \(n_samples, 3\)"):
        sim.mean_trajectory(params[:, :2])
    with pytest.raises(ValueError, match=r"X has shape \(1, 3\); expected \(1, 4\)"):
        sim.log_likelihood(params, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="non-negative whole counts"):
        sim.log_likelihood(params, [[0.0, 1.5, 2.0, 3.0]])
    with pytest.raises(ValueError, match="non-negative whole counts"):
        sim.log_likelihood(params, [[0.0, -1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="parameter 'K' must be positive"):
        sim.log_likelihood([[0.2, 0.0, 10.0]], np.zeros((1, 4)))


def test_overflowing_mean_is_reported():
    sim = ExponentialGrowth(n_times=100, r=(20.0, 30.0))
    with pytest.raises(ValueError, match="mean trajectory overflows"):
        sim.simulate(2, random_state=0)
