"""Online simulation: fresh simulations every epoch, never the whole budget at once."""

import numpy as np
import pytest
from joblib import parallel_config

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator
from sgnn_sklearn.simulators._parallel import DEFAULT_CHUNK_SIZE

SMALL = dict(hidden_layer_sizes=(16,), lr=1e-2, random_state=0)


class RecordingLinearGaussian(LinearGaussian):
    """LinearGaussian that records every call's size and first draw."""

    calls: list = []

    def simulate(self, n_samples, random_state=None):
        simulation = super().simulate(n_samples, random_state)
        type(self).calls.append((n_samples, float(simulation.X[0, 0])))
        return simulation


class NaNAfterFirstCall(LinearGaussian):
    """Clean on the fixed first chunk, then NaN in the stream."""

    n_calls = 0

    def simulate(self, n_samples, random_state=None):
        simulation = super().simulate(n_samples, random_state)
        type(self).n_calls += 1
        if type(self).n_calls > 1:
            simulation.X[3, 0] = np.nan
        return simulation


@pytest.fixture
def recording():
    RecordingLinearGaussian.calls = []
    yield RecordingLinearGaussian()
    RecordingLinearGaussian.calls = []


def test_online_draws_fresh_chunks_every_epoch_and_never_the_budget(recording):
    n = 2 * DEFAULT_CHUNK_SIZE + 100
    est = SimulationGroundedRegressor(
        recording, n, max_epochs=2, simulation="online", **SMALL
    ).fit()
    sizes = [size for size, _ in recording.calls]
    assert max(sizes) <= DEFAULT_CHUNK_SIZE
    n_valid = int(np.ceil(0.1 * n))
    n_train = n - n_valid
    # A fixed first chunk, then n_train fresh draws in each of 2 epochs.
    assert sizes[0] == DEFAULT_CHUNK_SIZE
    assert sum(sizes[1:]) == 2 * n_train
    assert est.n_simulations_ == DEFAULT_CHUNK_SIZE + 2 * n_train
    firsts = [first for _, first in recording.calls]
    assert len(set(firsts)) == len(firsts), "an epoch repeated a chunk"
    assert est.n_epochs_ == 2
    # Per-batch records are dropped, epoch losses kept.
    assert est.net_.history[-1]["batches"] == []
    assert np.isfinite(est.net_.history[-1, "train_loss"])
    assert np.isfinite(est.net_.history[-1, "valid_loss"])


def test_online_learns_the_posterior_mean():
    sim = LinearGaussian(n_features=3)
    est = SimulationGroundedRegressor(
        sim, 2000, max_epochs=10, simulation="online", **SMALL
    ).fit()
    test = sim.simulate(500, random_state=1)
    excess = np.mean((est.predict(test.X) - sim.posterior_mean(test.X)) ** 2)
    assert excess < 0.1 * sim.bayes_risk()


def test_online_is_reproducible_and_independent_of_n_jobs():
    sim = LinearGaussian(n_features=3)
    test = sim.simulate(50, random_state=1).X
    kwargs = dict(max_epochs=2, simulation="online", **SMALL)
    a = SimulationGroundedRegressor(sim, 300, **kwargs).fit().predict(test)
    b = SimulationGroundedRegressor(sim, 300, **kwargs).fit().predict(test)
    with parallel_config(backend="threading"):
        c = (
            SimulationGroundedRegressor(sim, 300, n_jobs=2, **kwargs)
            .fit()
            .predict(test)
        )
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_online_classifier_on_a_mixture():
    mix = MixtureSimulator(
        [
            ("quiet", LinearGaussian(noise_std=0.3)),
            ("noisy", LinearGaussian(noise_std=3)),
        ]
    )
    clf = SimulationGroundedClassifier(
        mix, 1000, max_epochs=5, simulation="online", **SMALL
    ).fit()
    test = mix.simulate(300, random_state=1)
    assert clf.score(test.X, test.mechanism) > 0.8


def test_online_with_too_few_simulations_for_validation_trains_without_it():
    est = SimulationGroundedRegressor(
        LinearGaussian(), 10, max_epochs=2, simulation="online", **SMALL
    )
    with pytest.raises(ValueError, match="too few for early stopping"):
        est.fit()
    est.set_params(early_stopping=False).fit()
    assert "valid_loss" not in est.net_.history[-1]
    assert est.n_simulations_ == 10 + 2 * 10


def test_online_applies_the_fault_policy_to_the_stream():
    # One NaN row in each epoch's chunk: dropped and counted once by default,
    # raised at once with on_invalid="raise".
    NaNAfterFirstCall.n_calls = 0
    est = SimulationGroundedRegressor(
        NaNAfterFirstCall(), 200, max_epochs=2, simulation="online", **SMALL
    )
    # 40 of the 200 held out for validation: 160 rows per epoch.
    with pytest.warns(UserWarning, match="2 of the 320 simulations") as caught:
        est.fit()
    assert len([w for w in caught if "drew online" in str(w.message)]) == 1
    assert est.n_invalid_simulations_ == 2
    assert est.n_simulations_ == 200 + 320 - 2
    NaNAfterFirstCall.n_calls = 0
    with pytest.raises(ValueError, match="NaN or inf in 1 of"):
        est.set_params(on_invalid="raise").fit()


@pytest.mark.parametrize("simulation", ["offline", "online"])
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_simulations=0), "n_simulations"),
        (dict(n_simulations=1e5), "n_simulations"),
        (dict(n_simulations="many"), "n_simulations"),
        (
            dict(n_simulations=20, validation_fraction=0.99),
            "leaves none to train on",
        ),
        (dict(n_simulations=19), "n_simulations=19 is too few for early stopping"),
    ],
)
def test_bad_budgets_raise_a_clear_value_error(simulation, kwargs, match):
    est = SimulationGroundedRegressor(
        LinearGaussian(), max_epochs=1, simulation=simulation, **kwargs
    )
    with pytest.raises(ValueError, match=match):
        est.fit()


def test_few_simulations_train_without_early_stopping():
    est = SimulationGroundedRegressor(
        LinearGaussian(), 5, max_epochs=1, early_stopping=False, random_state=0
    )
    assert est.fit().n_simulations_ == 5


def test_unknown_simulation_mode_is_rejected():
    est = SimulationGroundedRegressor(LinearGaussian(), 50, simulation="streamed")
    with pytest.raises(ValueError, match="simulation"):
        est.fit()
