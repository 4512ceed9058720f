"""The latent-trajectory hook: simulate = observe(simulate_latent), fresh noise."""

import numpy as np
import pytest

from sgnn_sklearn.simulators import (
    SEIR,
    SIR,
    DampedOscillator,
    ExponentialGrowth,
    FunctionSimulator,
    GompertzGrowth,
    LatentSimulator,
    LinearGaussian,
    LogisticGrowth,
    MixtureSimulator,
)
from sgnn_sklearn.simulators._observation import sample_counts

BUILT_INS = [
    SIR(),
    SIR(noise="poisson", targets=("R0", "attack_rate")),
    SEIR(),
    LogisticGrowth(),
    ExponentialGrowth(noise="poisson"),
    GompertzGrowth(),
    LinearGaussian(n_features=4, n_params=2),
    DampedOscillator(),
]


def _before_the_hook(simulator, n_samples, seed):
    """What simulate returned before the hook: params, mean, then the noise."""
    rng = np.random.default_rng(seed)
    params = simulator.sample_params(n_samples, rng)
    if isinstance(simulator, LinearGaussian):
        A = simulator.design_matrix
        return params @ A.T + simulator.noise_std * rng.standard_normal(
            (n_samples, simulator.n_features)
        )
    if isinstance(simulator, DampedOscillator):
        return simulator.mean_trajectory(params) + simulator.noise_std * (
            rng.standard_normal((n_samples, simulator.n_times))
        )
    mean = simulator.mean_trajectory(params)
    dispersion = None
    if simulator.noise == "negbin":
        dispersion = params[:, [simulator.param_names.index("dispersion")]]
    return sample_counts(mean, simulator.noise, rng, dispersion)


@pytest.mark.parametrize("simulator", BUILT_INS, ids=lambda s: type(s).__name__)
def test_simulate_is_observe_of_simulate_latent_bit_for_bit(simulator):
    # Documented figures depend on simulate's output for a seed: it must not move.
    simulated = simulator.simulate(300, random_state=7)
    np.testing.assert_array_equal(simulated.X, _before_the_hook(simulator, 300, 7))
    rng = np.random.default_rng(7)
    latent = simulator.simulate_latent(300, rng)
    observed = simulator.observe(latent, rng)
    np.testing.assert_array_equal(observed.X, simulated.X)
    np.testing.assert_array_equal(observed.y, simulated.y)
    np.testing.assert_array_equal(latent.params, simulated.params)
    assert observed.param_names == simulated.param_names
    assert observed.target_names == simulated.target_names


@pytest.mark.parametrize("simulator", BUILT_INS, ids=lambda s: type(s).__name__)
def test_fresh_noise_around_the_same_latent_trajectories(simulator):
    latent = simulator.simulate_latent(500, random_state=0)
    first = simulator.observe(latent, random_state=1)
    second = simulator.observe(latent, random_state=2)
    assert not np.array_equal(first.X, second.X)
    np.testing.assert_array_equal(first.y, second.y)
    np.testing.assert_array_equal(first.params, latent.params)
    # The latent trajectory is the noise's mean.
    noise = np.concatenate(
        [simulator.observe(latent, random_state=s).X - latent.X for s in range(20)]
    )
    scale = np.abs(latent.X).mean() + 1.0
    assert abs(noise.mean()) < 0.05 * scale
    # Rows of a latent simulation can be observed on their own.
    assert simulator.observe(latent.take([0, 3]), random_state=1).X.shape[0] == 2


def test_latent_from_params_matches_mean_trajectory():
    sim = SIR(n_days=20)
    params = sim.sample_params(5, random_state=0)
    np.testing.assert_array_equal(
        sim.simulate_latent_from_params(params).X, sim.mean_trajectory(params)
    )


def test_observe_refuses_another_simulators_latent():
    latent = SIR(n_days=10).simulate_latent(3, random_state=0)
    with pytest.raises(ValueError, match="feature_names"):
        SIR(n_days=12).observe(latent)
    with pytest.raises(ValueError, match="param_names"):
        SIR(n_days=10, noise="poisson").observe(latent)
    with pytest.raises(TypeError, match="Simulation that simulate_latent returned"):
        SIR(n_days=10).observe(latent.X)


def test_the_hook_is_optional():
    function = FunctionSimulator(lambda p, rng: [p["a"]], {"a": (0, 1)})
    mixture = MixtureSimulator([("a", SIR()), ("b", SEIR())])
    assert not isinstance(function, LatentSimulator)
    assert not hasattr(function, "simulate_latent")
    # A mixture is not a LatentSimulator; it passes the hook on to its
    # mechanisms (tests/simulators/test_mixture_latent.py).
    assert not isinstance(mixture, LatentSimulator)
    assert callable(mixture.simulate_latent) and callable(mixture.observe)
    assert all(isinstance(s, LatentSimulator) for s in BUILT_INS)
