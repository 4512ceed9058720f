"""Saving a model: clear errors for simulators pickle cannot store, a smaller file."""

import copy
import pickle
import sys
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from sgnn_sklearn import ModelPortabilityWarning, SimulationGroundedRegressor
from sgnn_sklearn._persistence import SimulatorPicklingError
from sgnn_sklearn.simulators import (
    FunctionSimulator,
    LinearGaussian,
    MixtureSimulator,
)

FAST = dict(n_simulations=300, max_epochs=2, hidden_layer_sizes=(16,), random_state=0)
SIMULATOR = LinearGaussian(n_features=4)
X_TEST = SIMULATOR.simulate(20, random_state=1).X


def draw(params, rng):
    """A module-level function: pickle stores it by name."""
    return rng.normal(params["mu"], 1.0, size=4), [params["mu"]]


def _closure_simulator():
    def local_draw(params, rng):
        return rng.normal(params["mu"], 1.0, size=4)

    return FunctionSimulator(local_draw, {"mu": (0.0, 1.0)})


UNPICKLABLE = {
    "lambda": lambda: FunctionSimulator(
        lambda p, rng: rng.normal(p["mu"], 1.0, size=4), {"mu": (0.0, 1.0)}
    ),
    "function defined in a function": _closure_simulator,
}


@pytest.mark.parametrize("kind", UNPICKLABLE)
@pytest.mark.parametrize("fitted", [False, True])
def test_a_simulator_pickle_cannot_store_gives_a_clear_error(kind, fitted, tmp_path):
    est = SimulationGroundedRegressor(UNPICKLABLE[kind](), **FAST)
    if fitted:
        est.fit()
    for dump in (pickle.dumps, lambda e: joblib.dump(e, tmp_path / "model.joblib")):
        with pytest.raises(SimulatorPicklingError, match="top level of a module"):
            dump(est)
    # Still a PicklingError, for code that falls back to another pickler on it.
    assert issubclass(SimulatorPicklingError, pickle.PicklingError)


def test_copies_and_pickling_by_value_are_not_refused():
    est = SimulationGroundedRegressor(UNPICKLABLE["lambda"](), **FAST).fit()
    expected = est.predict(X_TEST)
    np.testing.assert_array_equal(copy.deepcopy(est).predict(X_TEST), expected)
    clone(est)
    cloudpickle = pytest.importorskip("cloudpickle")
    loaded = cloudpickle.loads(cloudpickle.dumps(est))
    np.testing.assert_array_equal(loaded.predict(X_TEST), expected)


def test_joblib_workers_still_take_a_lambda_simulator():
    est = SimulationGroundedRegressor(UNPICKLABLE["lambda"](), **FAST)
    X, y = SIMULATOR.simulate(40, random_state=2).X, np.zeros(40)
    scores = cross_val_score(est.set_params(real_data="ignore"), X, y, cv=2, n_jobs=2)
    assert scores.shape == (2,)


class ScriptSimulator(LinearGaussian):
    """Stands for a simulator class written in the user's script."""


@pytest.fixture
def defined_in_main(monkeypatch):
    """ScriptSimulator and ``draw`` as if defined in ``__main__``."""
    main = sys.modules["__main__"]
    for obj in (ScriptSimulator, draw):
        monkeypatch.setattr(obj, "__module__", "__main__")
        monkeypatch.setattr(main, obj.__name__, obj, raising=False)


@pytest.mark.parametrize(
    "make, named",
    [
        (lambda: ScriptSimulator(n_features=4), "the class ScriptSimulator"),
        (lambda: FunctionSimulator(draw, {"mu": (0.0, 1.0)}), "the function 'draw'"),
        (
            lambda: MixtureSimulator(
                [("a", SIMULATOR), ("b", ScriptSimulator(n_features=4))]
            ),
            "the class ScriptSimulator",
        ),
    ],
)
def test_a_simulator_defined_in_main_warns_at_dump(defined_in_main, make, named):
    est = SimulationGroundedRegressor(make(), **FAST).fit()
    with pytest.warns(ModelPortabilityWarning, match=named) as caught:
        pickle.dumps(est)
    assert "move it to a module" in str(caught[0].message)


def test_an_importable_simulator_pickles_without_a_warning():
    est = SimulationGroundedRegressor(
        FunctionSimulator(draw, {"mu": (0.0, 1.0)}), **FAST
    ).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.predict(X_TEST), est.predict(X_TEST))


@pytest.fixture(scope="module")
def fitted():
    return SimulationGroundedRegressor(SIMULATOR, **FAST).fit()


def test_shrinking_the_memory_bank_keeps_predictions_and_the_gap(fitted):
    est = pickle.loads(pickle.dumps(fitted))
    full = len(pickle.dumps(est))
    assert len(est.memory_bank_) == 240
    est.shrink_memory_bank(50)
    # At most 50 of the bank's 240 and of its 60 held-out reference series.
    assert len(est.memory_bank_) == 50 and len(est.memory_bank_.reference_inputs) == 50
    np.testing.assert_array_equal(est.predict(X_TEST), fitted.predict(X_TEST))
    assert est.explain_mechanism(X_TEST, n_neighbors=10).param_mean.shape == (20, 1)
    assert est.simulation_gap(X_TEST).distance.shape == (20,)
    assert len(pickle.dumps(est)) < full


def test_a_removed_memory_bank_is_named_in_the_error(fitted):
    est = pickle.loads(pickle.dumps(fitted)).shrink_memory_bank(0)
    assert est.memory_bank_ is None
    np.testing.assert_array_equal(est.predict(X_TEST), fitted.predict(X_TEST))
    for method in (est.explain_mechanism, est.simulation_gap):
        with pytest.raises(ValueError, match=r"removed with shrink_memory_bank\(0\)"):
            method(X_TEST)


@pytest.mark.parametrize("bad", [-1, 1.5, "10"])
def test_shrink_memory_bank_refuses_bad_sizes(fitted, bad):
    with pytest.raises(ValueError, match="non-negative int"):
        pickle.loads(pickle.dumps(fitted)).shrink_memory_bank(bad)
