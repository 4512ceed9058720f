"""No silent wrong answers from fit: invalid targets counted, divergence refused,
failed fits leaving the estimator as it was, real data checked first."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian, Simulator

TINY = dict(hidden_layer_sizes=(8,), max_epochs=3, random_state=0)


class ObjectTargets(Simulator):
    """A simulator whose targets come back as an object array holding NaN."""

    prior_params = ("a",)

    def __init__(self, a=(0.0, 1.0)):
        self.a = a

    @property
    def feature_names(self):
        return ("x0", "x1")

    @property
    def target_names(self):
        return ("a",)

    def generate(self, params, rng):
        a = params[:, 0]
        X = np.c_[a + rng.normal(size=len(a)), 2 * a]
        return X, np.where(a < 0.9, a, np.nan).astype(object)


def test_nan_targets_in_an_object_array_are_counted_invalid():
    est = SimulationGroundedRegressor(ObjectTargets(), n_simulations=300, **TINY)
    with pytest.warns(UserWarning, match="simulations from ObjectTargets were invalid"):
        est.fit()
    # a >= 0.9 under a uniform prior: about 30 of 300.
    assert 10 < est.n_invalid_simulations_ < 60
    assert est.n_simulations_ + est.n_invalid_simulations_ == 300
    assert np.isfinite(est.predict(np.zeros((3, 2)))).all()
    with pytest.raises(ValueError, match="produced NaN or inf"):
        est.set_params(on_invalid="raise").fit()


# -- item 3: training whose losses are not finite -------------------------------


def test_a_diverging_training_raises_and_says_to_lower_the_learning_rate():
    est = SimulationGroundedRegressor(
        LinearGaussian(), n_simulations=300, lr=1e10, **TINY
    )
    with pytest.raises(FloatingPointError, match=r"diverged.*Lower lr \(now 1e\+10\)"):
        est.fit()
    with pytest.raises(NotFittedError):
        est.predict(np.zeros((2, 5)))


def test_targets_beyond_float32_are_refused_before_training():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = 1e160 * (1 + X[:, 0])
    with pytest.raises(ValueError, match="y has values too large for the network"):
        SimulationGroundedRegressor(**TINY).fit(X, y)


def test_finetuning_targets_beyond_float32_are_refused_and_nothing_changes():
    sim = LinearGaussian(n_features=3)
    real = sim.simulate(40, random_state=1)
    est = SimulationGroundedRegressor(sim, n_simulations=300, **TINY).fit()
    before = _state(est)
    with pytest.raises(ValueError, match="y has values too large for the network"):
        est.fit(real.X, real.y * 1e40)
    _assert_unchanged(est, before)


def test_a_diverging_finetuning_raises_and_names_finetune_lr():
    sim = LinearGaussian(n_features=3)
    real = sim.simulate(40, random_state=1)
    est = SimulationGroundedRegressor(
        sim, n_simulations=300, finetune_lr=1e12, early_stopping=False, **TINY
    )
    with pytest.raises(FloatingPointError, match=r"Lower finetune_lr \(now 1e\+12\)"):
        est.fit(real.X, real.y)


def test_the_classifier_refuses_to_predict_from_a_network_that_gives_nan(mixture):
    clf = SimulationGroundedClassifier(mixture, n_simulations=300, **TINY).fit()
    with torch.no_grad():
        next(clf.net_.module_.parameters()).fill_(np.nan)
    with pytest.raises(FloatingPointError, match="NaN or infinite probabilities"):
        clf.predict(np.zeros((3, 4)))


# -- item 4: a failed fit leaves the estimator as it was ------------------------


def _state(est):
    return dict(vars(est))


def _assert_unchanged(est, before):
    after = vars(est)
    assert after.keys() == before.keys()
    for key, value in before.items():
        assert after[key] is value, key


class Failing(LinearGaussian):
    """LinearGaussian whose simulate fails in the way given."""

    def __init__(self, n_features=5, failure="error"):
        super().__init__(n_features=n_features)
        self.failure = failure

    def simulate(self, n_samples, random_state=None):
        if self.failure == "later":
            self.failure = "error"
        elif self.failure == "interrupt":
            raise KeyboardInterrupt
        if self.failure == "error":
            raise RuntimeError("the simulator broke")
        simulation = super().simulate(n_samples, random_state)
        if self.failure == "strings":
            return replace(simulation, y=np.where(simulation.y > 0, "high", "low"))
        return simulation


@pytest.mark.parametrize(
    "failure, error",
    [
        ("error", RuntimeError),
        ("strings", ValueError),
        ("interrupt", KeyboardInterrupt),
    ],
)
@pytest.mark.parametrize("simulation", ["offline", "online"])
def test_a_refit_that_fails_on_the_simulator_leaves_the_fitted_state_intact(
    failure, error, simulation
):
    sim = Failing(failure="none")
    est = SimulationGroundedRegressor(
        sim, n_simulations=300, simulation=simulation, **TINY
    ).fit()
    X = sim.simulate(10, random_state=1).X
    predictions, before = est.predict(X), _state(est)
    sim.failure = failure
    with pytest.raises(error):
        est.fit()
    _assert_unchanged(est, before)
    np.testing.assert_array_equal(est.predict(X), predictions)
    if failure == "interrupt":
        # the names of the features are still checked as before the refit
        columns = list(reversed(sim.feature_names))
        with pytest.raises(ValueError, match="in another order"):
            est.predict(pd.DataFrame(X[:, ::-1], columns=columns))


def test_a_fit_that_fails_on_its_first_try_leaves_the_estimator_unfitted():
    est = SimulationGroundedRegressor(Failing(failure="strings"), n_simulations=300)
    with pytest.raises(ValueError):
        est.fit()
    with pytest.raises(NotFittedError):
        est.predict(np.zeros((2, 5)))
    assert not [key for key in vars(est) if key.endswith("_")]


def test_a_refit_whose_real_data_are_refused_leaves_the_fitted_state_intact():
    sim = LinearGaussian(n_features=3)
    real = sim.simulate(40, random_state=1)
    est = SimulationGroundedRegressor(sim, n_simulations=300, **TINY).fit()
    before = _state(est)
    X_nan = real.X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(X_nan, real.y)
    _assert_unchanged(est, before)


def test_a_refit_whose_online_stream_fails_leaves_the_fitted_state_intact():
    sim = Failing(failure="none")
    est = SimulationGroundedRegressor(
        sim, n_simulations=300, simulation="online", **TINY
    ).fit()
    before = _state(est)
    sim.failure = "later"  # the fixed first chunk succeeds, the stream fails
    with pytest.raises(RuntimeError, match="the simulator broke"):
        est.fit()
    _assert_unchanged(est, before)


# -- item 13: real data are checked before anything is simulated ----------------


class Counting(LinearGaussian):
    def simulate(self, n_samples, random_state=None):
        self.calls += 1
        return super().simulate(n_samples, random_state)


@pytest.mark.parametrize(
    "bad, message",
    [
        ("width", "X has 4 features, but the simulator Counting produces 3"),
        ("nan", "Input X contains NaN"),
        ("names", "in another order"),
        ("strings", "numeric targets"),
    ],
)
def test_real_data_are_validated_before_simulating(bad, message):
    sim = Counting(n_features=3)
    sim.calls = 0
    real = sim.simulate(30, random_state=1)
    sim.calls = 0
    X, y = real.X, real.y
    if bad == "width":
        X = np.c_[X, X[:, :1]]
    elif bad == "nan":
        X = X.copy()
        X[0, 0] = np.nan
    elif bad == "names":
        X = pd.DataFrame(X[:, ::-1], columns=["x2", "x1", "x0"])
    else:
        y = np.where(y > 0, "high", "low")
    est = SimulationGroundedRegressor(sim, n_simulations=300, **TINY)
    with pytest.raises(ValueError, match=message):
        est.fit(X, y)
    assert sim.calls == 0
