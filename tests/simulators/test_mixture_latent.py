"""A MixtureSimulator of latent simulators draws trajectories and noise apart."""

import numpy as np
import pytest

from sgnn_sklearn import SimulationGroundedClassifier
from sgnn_sklearn.simulators import (
    SEIR,
    SIR,
    FunctionSimulator,
    LinearGaussian,
    MixtureSimulator,
)

QUIET, LOUD = 0.5, 2.0


@pytest.fixture
def mixture():
    return MixtureSimulator(
        [
            ("quiet", LinearGaussian(noise_std=QUIET)),
            ("loud", LinearGaussian(noise_std=LOUD)),
        ]
    )


def test_latent_draws_the_mechanisms_and_parameters_that_simulate_draws(mixture):
    latent = mixture.simulate_latent(50, random_state=3)
    drawn = mixture.simulate(50, random_state=3)
    assert np.array_equal(latent.mechanism, drawn.mechanism)
    assert latent.mechanism_names == drawn.mechanism_names
    np.testing.assert_array_equal(latent.params, drawn.params)
    np.testing.assert_array_equal(latent.y, drawn.y)
    # The noise-free signal: LinearGaussian's latent X is theta times its design.
    assert not np.array_equal(latent.X, drawn.X)


def test_each_row_is_observed_by_its_own_mechanism(mixture):
    latent = mixture.simulate_latent(4000, random_state=0)
    observed = mixture.observe(latent, random_state=1)
    residual = observed.X - latent.X
    for name, noise_std in (("quiet", QUIET), ("loud", LOUD)):
        rows = latent.mechanism == name
        assert residual[rows].std() == pytest.approx(noise_std, rel=0.05)
    np.testing.assert_array_equal(observed.params, latent.params)
    np.testing.assert_array_equal(observed.mechanism, latent.mechanism)
    again = mixture.observe(latent, random_state=1)
    np.testing.assert_array_equal(again.X, observed.X)
    assert not np.array_equal(mixture.observe(latent, random_state=2).X, observed.X)


def test_rows_of_a_latent_draw_can_be_observed(mixture):
    latent = mixture.simulate_latent(30, random_state=0)
    part = latent.take(np.arange(5, 17))
    observed = mixture.observe(part, random_state=4)
    assert observed.X.shape == (12, latent.X.shape[1])
    np.testing.assert_array_equal(observed.mechanism, latent.mechanism[5:17])


def test_epidemics_with_different_parameters_are_observed_as_counts():
    mixture = MixtureSimulator([("SIR", SIR(n_days=20)), ("SEIR", SEIR(n_days=20))])
    latent = mixture.simulate_latent(40, random_state=0)
    observed = mixture.observe(latent, random_state=1)
    assert np.isnan(latent.params).any()  # SIR lacks SEIR's latent period
    assert np.all(observed.X == np.round(observed.X)) and np.all(observed.X >= 0)


def test_bad_latent_input_and_components_without_the_hook_are_refused(mixture):
    latent = mixture.simulate_latent(5, random_state=0)
    with pytest.raises(TypeError, match="Simulation that its simulate_latent"):
        mixture.observe(latent.X)
    plain = LinearGaussian().simulate_latent(5, random_state=0)
    with pytest.raises(TypeError, match="without mechanisms"):
        mixture.observe(plain)
    other = MixtureSimulator([("quiet", SIR(n_days=5))]).simulate_latent(3)
    with pytest.raises(ValueError, match="param_names"):
        mixture.observe(other)
    function = FunctionSimulator(lambda p, rng: [p["a"]] * 5, {"a": (0, 1)})
    mixed = MixtureSimulator([("a", LinearGaussian()), ("f", function)])
    with pytest.raises(TypeError, match="mechanism 'f' is a FunctionSimulator"):
        mixed.simulate_latent(4, random_state=0)


def test_a_classifier_draws_fresh_noise_around_a_mixture(mixture):
    params = dict(n_simulations=600, max_epochs=3, random_state=0)
    fresh = SimulationGroundedClassifier(
        mixture, observation_noise="fresh", **params
    ).fit()
    assert fresh.observation_noise_ == "fresh"
    again = SimulationGroundedClassifier(
        mixture, observation_noise="fresh", **params
    ).fit()
    X = mixture.simulate(20, random_state=9).X
    np.testing.assert_array_equal(fresh.predict_proba(X), again.predict_proba(X))
    # "auto" chooses fresh noise for a mixture of latent simulators, and
    # "fixed" trains on the simulations as drawn.
    auto = SimulationGroundedClassifier(mixture, **params).fit()
    assert auto.observation_noise_ == "fresh"
    np.testing.assert_array_equal(auto.predict_proba(X), fresh.predict_proba(X))
    fixed = SimulationGroundedClassifier(
        mixture, observation_noise="fixed", **params
    ).fit()
    assert fixed.observation_noise_ == "fixed"
    assert not np.array_equal(fixed.predict_proba(X), fresh.predict_proba(X))


def test_fresh_noise_for_a_mixture_with_a_plain_component_falls_back_with_a_warning():
    function = FunctionSimulator(lambda p, rng: [p["a"]] * 5, {"a": (0, 1)})
    mixed = MixtureSimulator([("a", LinearGaussian()), ("f", function)])
    with pytest.warns(UserWarning, match="observation_noise"):
        clf = SimulationGroundedClassifier(
            mixed,
            n_simulations=300,
            max_epochs=2,
            observation_noise="fresh",
            random_state=0,
        ).fit()
    assert clf.observation_noise_ == "fixed"


def test_auto_keeps_a_mixture_with_a_non_redrawable_mechanism_as_drawn():
    function = FunctionSimulator(lambda p, rng: [p["a"]] * 8, {"a": (0, 1)})
    mixed = MixtureSimulator([("a", LinearGaussian(n_features=8)), ("f", function)])
    clf = SimulationGroundedClassifier(
        mixed, n_simulations=300, max_epochs=2, random_state=0
    ).fit()
    assert clf.observation_noise_ == "fixed"


def test_mechanisms_with_their_own_feature_names_observe_their_own_rows():
    from sgnn_sklearn.simulators import QuadraticGaussian

    mixed = MixtureSimulator(
        [("a", LinearGaussian(n_features=8)), ("q", QuadraticGaussian())]
    )
    latent = mixed.simulate_latent(50, random_state=0)
    observed = mixed.observe(latent, random_state=1)
    assert observed.feature_names == latent.feature_names
    assert np.all(observed.X != latent.X)
    clf = SimulationGroundedClassifier(
        mixed, n_simulations=300, max_epochs=2, random_state=0
    ).fit()
    assert clf.observation_noise_ == "fresh"
