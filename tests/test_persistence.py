"""Pickle and joblib round trips into a fresh Python process; the stored version."""

import os
import pickle
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone

import sgnn_sklearn
from sgnn_sklearn import (
    ModelVersionWarning,
    SimulationGroundedClassifier,
    SimulationGroundedRegressor,
)
from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator

FAST = dict(n_simulations=300, max_epochs=3, hidden_layer_sizes=(16,), random_state=0)
SIMULATOR = LinearGaussian(n_features=4)
MIXTURE = MixtureSimulator(
    [
        ("quiet", LinearGaussian(n_features=4, noise_std=0.3)),
        ("noisy", LinearGaussian(n_features=4, noise_std=2.0)),
    ]
)
X_TEST = SIMULATOR.simulate(50, random_state=1).X

# Run in a fresh interpreter, with another hash seed: load both files, predict,
# and fit unfitted clones again, turning every warning into an error.
FRESH_PROCESS = textwrap.dedent(
    """
    import pickle, sys, warnings
    from pathlib import Path
    import joblib, numpy as np
    warnings.simplefilter("error")
    folder = Path(sys.argv[1])
    X = np.load(folder / "X.npy")
    for name in ("regressor", "classifier"):
        with open(folder / f"{name}.pkl", "rb") as f:
            loaded = pickle.load(f)
        by_joblib = joblib.load(folder / f"{name}.joblib")
        with open(folder / f"{name}_unfitted.pkl", "rb") as f:
            refitted = pickle.load(f).fit()
        for how, est in [("pickle", loaded), ("joblib", by_joblib),
                         ("refit", refitted)]:
            method = est.predict if name == "regressor" else est.predict_proba
            np.save(folder / f"{name}_{how}.npy", method(X))
    """
)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    fitted = {
        "regressor": SimulationGroundedRegressor(SIMULATOR, **FAST).fit(),
        "classifier": SimulationGroundedClassifier(MIXTURE, **FAST).fit(),
    }
    expected = {}
    np.save(folder / "X.npy", X_TEST)
    for name, est in fitted.items():
        with open(folder / f"{name}.pkl", "wb") as f:
            pickle.dump(est, f)
        joblib.dump(est, folder / f"{name}.joblib")
        with open(folder / f"{name}_unfitted.pkl", "wb") as f:
            pickle.dump(clone(est), f)
        method = est.predict if name == "regressor" else est.predict_proba
        expected[name] = method(X_TEST)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return folder, expected


@pytest.mark.parametrize("name", ["regressor", "classifier"])
@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_round_trip_into_a_fresh_process_predicts_identically(round_trip, name, how):
    folder, expected = round_trip
    loaded = np.load(folder / f"{name}_{how}.npy")
    assert loaded.dtype == expected[name].dtype
    np.testing.assert_array_equal(loaded, expected[name])


@pytest.mark.parametrize("name", ["regressor", "classifier"])
def test_fit_in_another_process_with_another_hash_seed_is_identical(round_trip, name):
    folder, expected = round_trip
    np.testing.assert_array_equal(np.load(folder / f"{name}_refit.npy"), expected[name])


@pytest.fixture(scope="module")
def fitted_regressor():
    return SimulationGroundedRegressor(SIMULATOR, **FAST).fit()


def test_the_package_version_is_stored_and_removed_on_load(fitted_regressor):
    state = fitted_regressor.__getstate__()
    assert state["_sgnn_sklearn_version"] == sgnn_sklearn.__version__
    assert "_sgnn_sklearn_version" not in fitted_regressor.__dict__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(pickle.dumps(fitted_regressor))
    assert "_sgnn_sklearn_version" not in loaded.__dict__


def test_a_model_from_another_version_warns_on_load(fitted_regressor):
    data = pickle.dumps(fitted_regressor)
    current = sgnn_sklearn.__version__.encode()
    other = b"9" * len(current)  # same length, so the pickle stays valid
    assert data.count(current) == 1
    with pytest.warns(ModelVersionWarning) as caught:
        loaded = pickle.loads(data.replace(current, other))
    message = str(caught[0].message)
    assert (
        f"This SimulationGroundedRegressor was pickled by sgnn_sklearn "
        f"{other.decode()} and is being loaded by sgnn_sklearn "
        f"{sgnn_sklearn.__version__}"
    ) in message
    assert "refit it with this version" in message
    # Still loaded, so that it can be inspected or used at the user's risk.
    expected = fitted_regressor.predict(X_TEST)
    np.testing.assert_array_equal(loaded.predict(X_TEST), expected)


def test_a_model_without_a_version_warns_on_load(fitted_regressor):
    state = fitted_regressor.__getstate__()
    del state["_sgnn_sklearn_version"]
    fresh = SimulationGroundedRegressor.__new__(SimulationGroundedRegressor)
    with pytest.warns(ModelVersionWarning, match="was pickled without a version"):
        fresh.__setstate__(state)


def test_joblib_file_from_another_version_warns(fitted_regressor, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(fitted_regressor, path)
    current = sgnn_sklearn.__version__.encode()
    path.write_bytes(path.read_bytes().replace(current, b"0" * len(current)))
    with pytest.warns(ModelVersionWarning, match="pickled by sgnn_sklearn 0+ "):
        joblib.load(path)


def test_deepcopy_and_clone_do_not_warn(fitted_regressor):
    import copy

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        copied = copy.deepcopy(fitted_regressor)
        clone(fitted_regressor)
    expected = fitted_regressor.predict(X_TEST)
    np.testing.assert_array_equal(copied.predict(X_TEST), expected)
