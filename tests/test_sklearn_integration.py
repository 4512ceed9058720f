"""The estimators inside scikit-learn's tools: clone, Pipeline, searches, CV, pickle."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from conftest import FAST
from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian


def test_clone_keeps_the_simulator_parameters_and_drops_fitted_state(linear):
    est = SimulationGroundedRegressor(linear, **FAST).fit()
    cloned = clone(est)
    assert not hasattr(cloned, "net_")
    assert cloned.simulator is not linear
    assert cloned.simulator.get_params() == linear.get_params()
    assert cloned.get_params()["simulator__noise_std"] == 0.5


def test_clone_of_a_mixture_simulator_estimator(mixture):
    est = SimulationGroundedClassifier(mixture, **FAST)
    params = clone(est).get_params()
    assert params["simulator__noisy__noise_std"] == 3.0


def test_pipeline_with_a_real_data_step(linear):
    real = linear.simulate(200, random_state=5)
    # An identity step: it sees the real data only (see the preprocessor Notes).
    pipe = make_pipeline(
        FunctionTransformer(), SimulationGroundedRegressor(linear, **FAST)
    )
    pipe.fit(real.X)
    direct = SimulationGroundedRegressor(linear, **FAST).fit()
    np.testing.assert_array_equal(pipe.predict(real.X), direct.predict(real.X))


def test_grid_search_over_a_network_and_a_simulator_parameter(linear):
    real = linear.simulate(120, random_state=6)
    search = GridSearchCV(
        SimulationGroundedRegressor(
            linear, real_data="ignore", **{**FAST, "n_simulations": 600}
        ),
        {
            "hidden_layer_sizes": [(8,), (32,)],
            # A wrong noise level in the simulator should score worse.
            "simulator__noise_std": [0.5, 3.0],
        },
        cv=2,
    )
    search.fit(real.X, real.y)
    assert search.best_params_["simulator__noise_std"] == 0.5
    assert len(search.cv_results_["params"]) == 4


def test_grid_search_over_a_prior_range():
    sim = LinearGaussian(n_features=4, noise_std=0.5)
    est = SimulationGroundedRegressor(sim, real_data="ignore", **FAST)
    search = GridSearchCV(est, {"simulator__prior_std": [0.2, 1.0]}, cv=2)
    real = sim.simulate(100, random_state=1)
    search.fit(real.X, real.y)
    assert search.best_params_ == {"simulator__prior_std": 1.0}


def test_cross_val_score_next_to_a_random_forest(linear):
    real = linear.simulate(150, random_state=7)
    cv = KFold(3, shuffle=True, random_state=0)
    sgnn = cross_val_score(
        SimulationGroundedRegressor(linear, real_data="ignore", **FAST),
        real.X,
        real.y,
        cv=cv,
    )
    forest = cross_val_score(
        RandomForestRegressor(n_estimators=50, random_state=0), real.X, real.y, cv=cv
    )
    assert sgnn.shape == forest.shape == (3,)
    # Trained on 2000 simulations, the SGNN beats a forest trained on 100 rows.
    assert sgnn.mean() > forest.mean()


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_round_trip_gives_identical_predictions(linear, tmp_path, dump):
    est = SimulationGroundedRegressor(linear, **FAST).fit()
    X = linear.simulate(50, random_state=8).X
    path = tmp_path / "model.bin"
    if dump == "pickle":
        path.write_bytes(pickle.dumps(est))
        loaded = pickle.loads(path.read_bytes())
    else:
        joblib.dump(est, path)
        loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


@pytest.mark.parametrize(
    "cls", [SimulationGroundedRegressor, SimulationGroundedClassifier]
)
def test_same_random_state_gives_bit_identical_predictions(cls, linear, mixture):
    sim = linear if cls is SimulationGroundedRegressor else mixture
    X = sim.simulate(50, random_state=9).X
    a = cls(sim, **FAST).fit()
    b = cls(sim, **FAST).fit()
    method = "predict" if cls is SimulationGroundedRegressor else "predict_proba"
    np.testing.assert_array_equal(getattr(a, method)(X), getattr(b, method)(X))
    c = cls(sim, **{**FAST, "random_state": 1}).fit()
    assert not np.array_equal(getattr(a, method)(X), getattr(c, method)(X))
