"""The ``memory`` caches answer only for the same code: keys that follow edits."""

import importlib
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
from scipy import stats
from sklearn.model_selection import cross_val_score

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn._caching import CacheWarning, simulator_key
from sgnn_sklearn.estimators import _base
from sgnn_sklearn.simulators import FunctionSimulator, LinearGaussian
from sgnn_sklearn.simulators import _parallel as parallel

FAST = dict(hidden_layer_sizes=(4,), max_epochs=2, random_state=0)

FUNCTION_MODULE = """
import numpy as np

SCALE = 1.0


def observe(params, rng):
    return np.array([params["a"], params["b"]]) * {factor} * SCALE
"""

CLASS_MODULE = """
import numpy as np

from sgnn_sklearn.simulators import Simulator


class Pair(Simulator):
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
        return np.column_stack([a, a]) * {factor}, a
"""


class Calls:
    """Counts simulated chunks and zero-shot trainings from outside the simulator."""

    simulated = 0
    trained = 0


@pytest.fixture
def calls(monkeypatch):
    simulate_chunk, fit_simulations = (
        parallel._simulate_chunk,
        _base.BaseSimulationGrounded._fit_simulations,
    )

    def count_chunks(*args, **kwargs):
        Calls.simulated += 1
        return simulate_chunk(*args, **kwargs)

    def count_trainings(self, *args, **kwargs):
        Calls.trained += 1
        return fit_simulations(self, *args, **kwargs)

    Calls.simulated = Calls.trained = 0
    monkeypatch.setattr(parallel, "_simulate_chunk", count_chunks)
    monkeypatch.setattr(
        _base.BaseSimulationGrounded, "_fit_simulations", count_trainings
    )
    return Calls


@pytest.fixture
def user_module(tmp_path, monkeypatch, request):
    """Write a module of the user's code, import it; write it again, reload it."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(tmp_path))
    name = f"user_code_{request.node.name.replace('[', '_').replace(']', '')}"
    path = tmp_path / f"{name}.py"

    def write(source):
        path.write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        if name in sys.modules:
            return importlib.reload(sys.modules[name])
        return importlib.import_module(name)

    yield write
    sys.modules.pop(name, None)


def _input_means(simulator, memory):
    est = SimulationGroundedRegressor(simulator, 200, memory=memory, **FAST)
    return est.fit().input_scaler_.mean_


def test_editing_a_function_body_is_not_answered_from_the_cache(user_module, tmp_path):
    module = user_module(FUNCTION_MODULE.format(factor=1.0))
    priors = {"a": (0.0, 1.0), "b": (0.0, 1.0)}
    before = _input_means(FunctionSimulator(module.observe, priors), tmp_path)
    module = user_module(FUNCTION_MODULE.format(factor=50.0))
    after = _input_means(FunctionSimulator(module.observe, priors), tmp_path)
    np.testing.assert_allclose(after, 50 * before)


def test_editing_a_global_the_function_reads_is_not_answered_from_the_cache(
    user_module, tmp_path
):
    module = user_module(FUNCTION_MODULE.format(factor=1.0))
    simulator = FunctionSimulator(module.observe, {"a": (0, 1), "b": (0, 1)})
    before = _input_means(simulator, tmp_path)
    module.SCALE = 3.0
    np.testing.assert_allclose(_input_means(simulator, tmp_path), 3 * before)


def test_editing_a_simulator_subclass_is_not_answered_from_the_cache(
    user_module, tmp_path
):
    before = _input_means(user_module(CLASS_MODULE.format(factor=1.0)).Pair(), tmp_path)
    after = _input_means(user_module(CLASS_MODULE.format(factor=7.0)).Pair(), tmp_path)
    np.testing.assert_allclose(after, 7 * before)


def _normal_prior_simulator():
    return FunctionSimulator(
        lambda params, rng: [params["a"], params["a"] + rng.normal()],
        {"a": stats.norm(0, 1)},
    )


def test_a_frozen_scipy_prior_key_ignores_numpys_global_generator(calls, tmp_path):
    simulator = _normal_prior_simulator()
    key = simulator_key(simulator)
    np.random.seed(1)  # noqa: NPY002 (the global generator is the point)
    np.random.random(10)  # noqa: NPY002
    assert simulator_key(simulator) == key
    _input_means(simulator, tmp_path)
    np.random.random(10)  # noqa: NPY002
    _input_means(simulator, tmp_path)
    assert calls.simulated == 1


def test_a_simulator_key_is_the_same_in_another_process():
    code = (
        "from scipy import stats\n"
        "from sgnn_sklearn._caching import simulator_key\n"
        "from sgnn_sklearn.simulators import FunctionSimulator\n"
        "print(simulator_key(FunctionSimulator(\n"
        "    lambda params, rng: [params['a'], params['a'] + rng.normal()],\n"
        "    {'a': stats.norm(0, 1)})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == simulator_key(_normal_prior_simulator())


def _closure_simulator(scale):
    return FunctionSimulator(
        lambda params, rng: [params["a"] * scale, rng.normal()], {"a": (0.0, 1.0)}
    )


def test_lambdas_and_closures_are_keyed_by_their_code_and_cells(calls, tmp_path):
    first = _input_means(_closure_simulator(1.0), tmp_path)
    again = _input_means(_closure_simulator(1.0), tmp_path)
    assert calls.simulated == 1
    np.testing.assert_array_equal(first, again)
    other = _input_means(_closure_simulator(4.0), tmp_path)
    assert calls.simulated == 2
    np.testing.assert_allclose(other[0], 4 * first[0])


LOCK = threading.Lock()


def _locked(params, rng):
    with LOCK:
        return [params["a"]]


def test_what_cannot_be_keyed_is_not_cached_and_says_so(calls, tmp_path):
    simulator = FunctionSimulator(_locked, {"a": (0.0, 1.0)})
    for _ in range(2):
        with pytest.warns(CacheWarning, match=r"__globals__\['LOCK'\].*memory=None"):
            _input_means(simulator, tmp_path)
    assert calls.simulated == 2


def test_cross_validation_trains_the_zero_shot_network_once(calls, tmp_path):
    real = LinearGaussian(n_features=3).simulate(60, random_state=1)
    kwargs = dict(real_data="ignore", **FAST)
    est = SimulationGroundedRegressor(LinearGaussian(n_features=3), 300, **kwargs)
    plain = cross_val_score(est, real.X, real.y, cv=3)
    assert calls.trained == 3
    calls.trained = 0
    cached = cross_val_score(est.set_params(memory=tmp_path), real.X, real.y, cv=3)
    assert calls.trained == 1
    np.testing.assert_array_equal(plain, cached)


def test_finetuning_on_a_cached_zero_shot_network_equals_a_fresh_fit(calls, tmp_path):
    simulator = LinearGaussian(n_features=3)
    real = simulator.simulate(60, random_state=1)
    test = simulator.simulate(20, random_state=2).X
    est = SimulationGroundedRegressor(simulator, 300, **FAST)
    plain = est.fit(real.X, real.y).predict(test)
    est.set_params(memory=tmp_path)
    for _ in range(2):
        np.testing.assert_array_equal(est.fit(real.X, real.y).predict(test), plain)
    assert calls.trained == 2  # once without memory, once into the cache


def test_a_cache_hit_gives_the_first_fits_warnings_again(tmp_path):
    def sometimes_nan(params, rng):
        return [params["a"] if params["a"] < 0.9 else np.nan]

    simulator = FunctionSimulator(sometimes_nan, {"a": (0.0, 1.0)})
    est = SimulationGroundedRegressor(simulator, 200, memory=tmp_path, **FAST)
    for _ in range(2):
        with pytest.warns(UserWarning, match="simulations from FunctionSimulator were"):
            est.fit()
        assert est.n_invalid_simulations_ > 0


def test_editing_an_estimator_subclass_is_not_answered_from_the_cache(
    user_module, tmp_path
):
    source = """
    from sgnn_sklearn import SimulationGroundedRegressor


    class Scaled(SimulationGroundedRegressor):
        def _simulated_targets(self, simulation):
            targets, names = super()._simulated_targets(simulation)
            return targets * {factor}, names
    """
    X = LinearGaussian(n_features=2).simulate(5, random_state=1).X
    predictions = []
    for factor in (1.0, 100.0):
        Scaled = user_module(source.format(factor=factor)).Scaled
        est = Scaled(LinearGaussian(n_features=2), 200, memory=tmp_path, **FAST)
        predictions.append(est.fit().predict(X))
    np.testing.assert_allclose(predictions[1], 100 * predictions[0], rtol=1e-4)
