"""Crashes and misleading errors turned into the package's own clear messages."""

import os
import time
import warnings
from dataclasses import replace

import numpy as np
import pytest
from sklearn.preprocessing import FunctionTransformer

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.baselines import (
    AICModelSelector,
    MaximumLikelihoodRegressor,
    RejectionABCRegressor,
)
from sgnn_sklearn.diagnostics import interval_coverage, reliability_curve
from sgnn_sklearn.simulators import (
    SIR,
    FunctionSimulator,
    LinearGaussian,
    MixtureSimulator,
    Overdispersed,
    Simulation,
    simulate_chunked,
)

FAST = dict(hidden_layer_sizes=(4,), max_epochs=2, random_state=0)


class ListsWithANanRow:
    """A simulator of the protocol alone, returning lists for y and mechanism."""

    def simulate(self, n_samples, random_state=None):
        data = LinearGaussian(n_features=2).simulate(n_samples, random_state)
        X = data.X.copy()
        X[0] = np.nan
        return replace(
            data,
            X=X,
            y=data.y.tolist(),
            mechanism=["a" if v > 0 else "b" for v in data.y],
        )


@pytest.mark.parametrize(
    "cls", [SimulationGroundedRegressor, SimulationGroundedClassifier]
)
def test_y_and_mechanism_as_lists_survive_an_invalid_row(cls):
    with pytest.warns(UserWarning, match="1 of 100 simulations"):
        est = cls(ListsWithANanRow(), 100, early_stopping=False, **FAST).fit()
    assert est.n_invalid_simulations_ == 1
    assert est.n_simulations_ == 99


def _positive_pairs(params, rng):
    return [params["a"], params["a"] - 0.1]


LOG = FunctionTransformer(np.log)


def test_rows_a_preprocessor_turns_into_nan_are_invalid_simulations():
    simulator = FunctionSimulator(_positive_pairs, {"a": (0.0, 1.0)})
    est = SimulationGroundedRegressor(simulator, 400, preprocessor=LOG, **FAST)
    with pytest.warns(UserWarning, match="whose inputs the preprocessor turned"):
        est.fit()
    drawn = simulate_chunked(simulator, 400, random_state=est._seeds["simulate"])
    expected = int((drawn.X <= 0).any(axis=1).sum())
    assert 0 < expected < 100
    assert est.n_invalid_simulations_ == expected
    assert est.n_simulations_ == 400 - expected


def test_a_preprocessor_making_nan_raises_with_on_invalid_raise():
    simulator = FunctionSimulator(_positive_pairs, {"a": (0.0, 1.0)})
    est = SimulationGroundedRegressor(
        simulator, 400, preprocessor=LOG, on_invalid="raise", **FAST
    )
    with pytest.raises(ValueError, match=r"FunctionTransformer.*turned.*NaN or inf"):
        est.fit()


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_a_preprocessor_making_nan_at_predict_is_named():
    simulator = FunctionSimulator(_positive_pairs, {"a": (0.2, 1.0)})
    est = SimulationGroundedRegressor(simulator, 200, preprocessor=LOG, **FAST).fit()
    with pytest.raises(ValueError, match=r"preprocessor FunctionTransformer.*NaN"):
        est.predict([[0.5, -0.5]])


class Changing(LinearGaussian):
    """Differs in online training's stream (any size but the fixed chunk's)."""

    def __init__(self, what="width", n_features=3):
        super().__init__(n_features=n_features)
        self.what = what

    def simulate(self, n_samples, random_state=None):
        fixed = n_samples == 8192
        if self.what == "width":
            return LinearGaussian(n_features=3 if fixed else 4).simulate(
                n_samples, random_state
            )
        data = super().simulate(n_samples, random_state)
        labels = np.where(data.X[:, 0] > 0, "a", "b").astype(object)
        if not fixed:
            labels[0] = "rare"
        return replace(data, mechanism=labels)


def test_online_width_change_between_chunks_is_named():
    est = SimulationGroundedRegressor(Changing("width"), 9000, simulation="online")
    with pytest.raises(ValueError, match="same features on every call"):
        est.set_params(**FAST).fit()


def test_online_class_missing_from_the_first_chunk_is_explained():
    est = SimulationGroundedClassifier(Changing("class"), 9000, simulation="online")
    with pytest.raises(ValueError, match=r"fixed first chunk.*\['rare'\].*offline"):
        est.set_params(**FAST).fit()


class DiesOnTheLastChunk(LinearGaussian):
    def simulate(self, n_samples, random_state=None):
        if n_samples == 20:
            time.sleep(3)  # the other chunks come back first
            os._exit(1)  # as a segfault would, killing the worker
        return super().simulate(n_samples, random_state)


@pytest.mark.slow
def test_a_worker_dying_in_the_last_chunk_is_reported_as_that_chunk():
    with pytest.raises(RuntimeError, match="chunk 3 of 3 "):
        simulate_chunked(
            DiesOnTheLastChunk(), 120, random_state=0, chunk_size=50, n_jobs=2
        )


class StringTargets(LinearGaussian):
    def simulate(self, n_samples, random_state=None):
        data = super().simulate(n_samples, random_state)
        return replace(data, y=np.where(data.y > 0, "high", "low"))


def test_string_targets_from_a_simulator_get_the_numeric_targets_message():
    est = SimulationGroundedRegressor(StringTargets(), 100, **FAST)
    with pytest.raises(ValueError, match="needs numeric targets.*StringTargets"):
        est.fit()


def test_interval_coverage_refuses_crossed_bounds():
    with pytest.raises(ValueError, match="lower > upper in 1 of 2"):
        interval_coverage([0.0, 1.0], [1.0, 0.0], [-1.0, 2.0])


@pytest.mark.parametrize(
    "y_true, proba, message",
    [
        (["a", "b"], [[1.2, -0.2], [0.5, 0.5]], r"probabilities in \[0, 1\]"),
        (["a", "b"], [[np.nan, 1.0], [0.5, 0.5]], r"probabilities in \[0, 1\]"),
        (["a", "c"], [[0.8, 0.2], [0.5, 0.5]], r"not among the classes.*'c'"),
    ],
)
def test_reliability_curve_refuses_what_is_not_a_probability_of_a_class(
    y_true, proba, message
):
    with pytest.raises(ValueError, match=message):
        reliability_curve(y_true, proba, classes=["a", "b"])


def test_reliability_curve_takes_shares_a_rounding_error_past_one():
    # Mechanism shares summed from neighbour weights reach 1 + 2e-16.
    proba = np.array([[1.0 + 2e-16, 0.0], [0.5, 0.5]])
    curve = reliability_curve(["a", "b"], proba, classes=["a", "b"])
    assert curve.prob_pred.max() <= 1.0
    assert curve.counts.sum() == 4


def test_hidden_layer_sizes_that_are_not_integers_are_refused():
    est = SimulationGroundedRegressor(LinearGaussian(), 50, hidden_layer_sizes=(8.7,))
    with pytest.raises(ValueError, match=r"positive integers; got \(8.7,\)"):
        est.fit()


def test_n_jobs_zero_is_refused():
    est = SimulationGroundedRegressor(LinearGaussian(), 50, n_jobs=0)
    with pytest.raises(ValueError, match="n_jobs"):
        est.fit()
    with pytest.raises(ValueError, match="non-zero integer"):
        simulate_chunked(LinearGaussian(), 10, random_state=0, n_jobs=0)


def _slow_draw(params, rng):
    return [params["a"]]


def test_progress_moves_with_finished_draws_within_a_chunk():
    reported = []
    simulate_chunked(
        FunctionSimulator(_slow_draw, {"a": (0.0, 1.0)}),
        25,
        random_state=0,
        chunk_size=10,
        progress=reported.append,
    )
    assert len(reported) > 3 and sum(reported) == 25


SIMULATOR_CLASS_USES = {
    "fit(cls)": lambda: SimulationGroundedRegressor(n_simulations=50).fit(
        LinearGaussian
    ),
    "simulator=cls": lambda: SimulationGroundedRegressor(LinearGaussian, 50).fit(),
    "classifier": lambda: SimulationGroundedClassifier(LinearGaussian, 50).fit(),
    "mixture member": lambda: MixtureSimulator(
        [("a", LinearGaussian()), ("b", LinearGaussian)]
    ).simulate(10, random_state=0),
    "simulate_chunked": lambda: simulate_chunked(LinearGaussian, 10, random_state=0),
    "ABC": lambda: RejectionABCRegressor(LinearGaussian, 50).fit(np.zeros((2, 5))),
    "AIC": lambda: AICModelSelector([("sir", SIR), ("other", SIR())]).fit(
        np.zeros((2, 60))
    ),
    "MLE": lambda: MaximumLikelihoodRegressor(SIR).fit(np.zeros((2, 60))),
    "wrapped": lambda: SimulationGroundedRegressor(Overdispersed(SIR), 50).fit(),
}


@pytest.mark.parametrize("use", SIMULATOR_CLASS_USES, ids=str)
def test_a_simulator_class_instead_of_an_instance_says_so(use):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TypeError, match=r"is the class \w+, not a simulator"):
            SIMULATOR_CLASS_USES[use]()


def test_simulation_take_accepts_list_fields():
    data = LinearGaussian(n_features=2).simulate(3, random_state=0)
    listed = Simulation(
        X=data.X,
        y=data.y.tolist(),
        params=data.params,
        feature_names=data.feature_names,
        target_names=data.target_names,
        param_names=data.param_names,
        mechanism=["a", "b", "a"],
    )
    taken = listed.take(np.array([True, False, True]))
    assert taken.mechanism.tolist() == ["a", "a"]
    np.testing.assert_array_equal(taken.y, data.y[[0, 2]])
