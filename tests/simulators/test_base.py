"""The simulator base: priors, Simulation, MixtureSimulator, FunctionSimulator."""

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone

from sgnn_sklearn.simulators import (
    FunctionSimulator,
    LinearGaussian,
    MixtureSimulator,
    Simulation,
    simulate_chunked,
)
from sgnn_sklearn.simulators._prior import sample_prior


def _decay(params, rng):
    t = np.arange(6)
    return np.exp(-params["rate"] * t) * params["scale"] + 0.01 * rng.standard_normal(6)


def test_priors_tuple_number_and_scipy():
    rng = np.random.default_rng(0)
    u = sample_prior((2.0, 3.0), 1000, rng, "u")
    assert u.min() >= 2.0 and u.max() <= 3.0
    assert np.all(sample_prior(1.5, 4, rng, "f") == 1.5)
    g = sample_prior(stats.gamma(a=2.0), 1000, rng, "g")
    assert abs(g.mean() - 2.0) < 0.2


@pytest.mark.parametrize(
    "prior, error",
    [((3.0, 1.0), ValueError), ("wide", TypeError), ((0.0, np.inf), ValueError)],
)
def test_bad_priors_are_named(prior, error):
    with pytest.raises(error, match="'rate'"):
        FunctionSimulator(_decay, {"rate": prior, "scale": 1.0}).simulate(3)


def test_same_seed_same_output_different_seed_different():
    sim = LinearGaussian(n_params=2)
    a, b, c = (sim.simulate(20, random_state=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.X, c.X)


def test_simulation_take_and_concatenate():
    sim = LinearGaussian().simulate(10, random_state=0)
    both = Simulation.concatenate([sim.take(np.arange(4)), sim.take(np.arange(4, 10))])
    np.testing.assert_array_equal(both.X, sim.X)
    with pytest.raises(ValueError, match="at least one"):
        Simulation.concatenate([])


def test_linear_gaussian_posterior_is_exact_in_a_monte_carlo_check():
    sim = LinearGaussian(n_features=3, n_params=2, noise_std=0.7)
    data = sim.simulate(50_000, random_state=0)
    residual = data.y - sim.posterior_mean(data.X)
    # The posterior mean's residuals have the posterior covariance.
    np.testing.assert_allclose(np.cov(residual.T), sim.posterior_cov(), atol=0.02)
    np.testing.assert_allclose(np.mean(residual**2), sim.bayes_risk(), rtol=0.03)


def test_mixture_labels_params_and_nested_parameters():
    mix = MixtureSimulator(
        [("a", LinearGaussian(n_params=1)), ("b", LinearGaussian(n_params=2))],
        weights=[3, 1],
    )
    sim = mix.simulate(4000, random_state=0)
    assert sim.mechanism_names == ("a", "b")
    assert abs(np.mean(sim.mechanism == "a") - 0.75) < 0.03
    assert sim.param_names == ("theta0", "theta1")
    assert np.isnan(sim.params[sim.mechanism == "a", 1]).all()
    assert sim.y is None  # different targets: no common y
    mix.set_params(b__noise_std=2.0)
    assert mix.simulators[1][1].noise_std == 2.0
    assert clone(mix).get_params()["b__noise_std"] == 2.0


@pytest.mark.parametrize(
    "simulators, weights, match",
    [
        ([], None, "non-empty"),
        ([("a", LinearGaussian()), ("a", LinearGaussian())], None, "unique"),
        ([("a__b", LinearGaussian())], None, "without '__'"),
        ([("a", LinearGaussian())], [0.5, 0.5], "weights"),
        ([("a", object())], None, "no simulate"),
    ],
)
def test_mixture_bad_settings(simulators, weights, match):
    with pytest.raises((ValueError, TypeError), match=match):
        MixtureSimulator(simulators, weights=weights).simulate(5)


def test_mixture_with_different_feature_counts_is_an_error():
    mix = MixtureSimulator(
        [("a", LinearGaussian(n_features=2)), ("b", LinearGaussian(n_features=3))]
    )
    with pytest.raises(ValueError, match="same number of features"):
        mix.simulate(50, random_state=0)


def test_function_simulator_is_identical_whatever_n_jobs():
    priors = {"rate": (0.1, 1.0), "scale": stats.uniform(1, 2)}
    one = FunctionSimulator(_decay, priors).simulate(40, random_state=3)
    two = FunctionSimulator(_decay, priors, n_jobs=2).simulate(40, random_state=3)
    np.testing.assert_array_equal(one.X, two.X)
    assert one.y.shape == (40, 2) and one.target_names == ("rate", "scale")


def test_function_simulator_targets_and_returned_y():
    sim = FunctionSimulator(
        _decay, {"rate": (0.1, 1.0), "scale": 2.0}, targets=["rate"]
    ).simulate(5, random_state=0)
    assert sim.y.shape == (5,)

    def with_y(params, rng):
        return np.ones(3) * params["rate"], params["rate"] * 2

    data = FunctionSimulator(with_y, {"rate": (0.0, 1.0)}, targets=["double"]).simulate(
        5, random_state=0
    )
    np.testing.assert_allclose(data.y, 2 * data.params[:, 0])
    with pytest.raises(ValueError, match="not parameters"):
        FunctionSimulator(
            _decay, {"rate": (0.1, 1.0), "scale": 1.0}, targets=["k"]
        ).simulate(2)


def test_function_simulator_errors_name_the_draw():
    def fails(params, rng):
        raise ArithmeticError("overflow")

    with pytest.raises(RuntimeError, match="on draw 0, with parameters"):
        FunctionSimulator(fails, {"rate": (0.1, 1.0)}).simulate(3, random_state=0)


def test_chunked_simulation_does_not_depend_on_n_jobs():
    sim = LinearGaussian()
    a = simulate_chunked(sim, 1000, random_state=0, chunk_size=300)
    b = simulate_chunked(sim, 1000, random_state=0, chunk_size=300, n_jobs=2)
    np.testing.assert_array_equal(a.X, b.X)
    assert len(a) == 1000


@pytest.mark.parametrize("n", [0, -1, 2.5, True, "10"])
def test_n_samples_must_be_a_positive_integer(n):
    with pytest.raises(ValueError, match="positive integer"):
        LinearGaussian().simulate(n)
