"""Simulator faults: invalid simulations are dropped and counted, or raise."""

import re
import warnings

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.utils._param_validation import InvalidParameterError

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.simulators import (
    FunctionSimulator,
    LinearGaussian,
    MixtureSimulator,
    Simulation,
    Simulator,
    simulate_chunked,
)

FAST = dict(max_epochs=1, hidden_layer_sizes=(4,), early_stopping=False, random_state=0)
N_FEATURES = 3


class Recorded:
    """A per-draw function that fails for draws with u < rate, and records every u.

    A third of the failures raise, a third return NaN in x, a third return
    inf in y, so that every kind of fault is counted. It runs in this process
    (FunctionSimulator's n_jobs=None), so the record is the ground truth.
    """

    def __init__(self, rate):
        self.rate = rate
        self.draws = []

    def kind(self, u):
        if u >= self.rate:
            return "valid"
        return ("raised", "nan_x", "inf_y")[int(3 * u / self.rate)]

    def __call__(self, params, rng):
        u = params["u"]
        self.draws.append(u)
        kind = self.kind(u)
        if kind == "raised":
            raise FloatingPointError(f"solver diverged at u={u}")
        x = np.full(N_FEATURES, u) + rng.normal(size=N_FEATURES)
        y = np.array([u])
        if kind == "nan_x":
            x[1] = np.nan
        if kind == "inf_y":
            y[0] = np.inf
        return x, y

    def counts(self):
        kinds = [self.kind(u) for u in self.draws]
        return {k: kinds.count(k) for k in ("valid", "raised", "nan_x", "inf_y")}


def _recorded_simulator(rate):
    function = Recorded(rate)
    return function, FunctionSimulator(function, {"u": (0.0, 1.0)}, targets=["u"])


def _fit_recording_warnings(est):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit()
    return [str(w.message) for w in caught if "simulations from" in str(w.message)]


@pytest.mark.parametrize("rate", [0.01, 0.2, 0.9])
def test_fault_injection_counts_are_exact(rate):
    function, sim = _recorded_simulator(rate)
    n = 600
    est = SimulationGroundedRegressor(
        sim, n_simulations=n, min_valid_fraction=0.05, **FAST
    )
    messages = _fit_recording_warnings(est)
    counts = function.counts()
    assert len(function.draws) == n
    n_invalid = n - counts["valid"]
    assert n_invalid > 0  # the seed gives failures at every rate
    assert est.n_invalid_simulations_ == n_invalid
    assert est.n_simulations_ == counts["valid"]
    assert est.n_simulations_ + est.n_invalid_simulations_ == n
    [message] = messages
    assert (
        f"{n_invalid} of {n} simulations from FunctionSimulator were invalid "
        f"({counts['nan_x'] + counts['inf_y']} with NaN or inf, "
        f"{counts['raised']} whose draw raised)"
    ) in message
    assert f"training on the other {counts['valid']}" in message


def test_drop_keeps_exactly_the_valid_rows_in_order():
    from sgnn_sklearn.estimators._faults import drop_invalid

    function, sim = _recorded_simulator(0.2)
    data = sim.simulate(200, random_state=0)
    with pytest.warns(UserWarning, match="were invalid"):
        valid, n_invalid = drop_invalid(data, sim)
    u = data.params[:, 0]
    np.testing.assert_array_equal(valid.params[:, 0], u[u >= 0.2])
    np.testing.assert_array_equal(valid.X, data.X[u >= 0.2])
    assert n_invalid == int((u < 0.2).sum())
    assert np.isfinite(valid.X).all() and np.isfinite(valid.y).all()


def test_valid_share_below_threshold_raises_with_exact_counts():
    function, sim = _recorded_simulator(0.9)
    est = SimulationGroundedRegressor(sim, n_simulations=300, **FAST)
    with pytest.raises(ValueError, match="below min_valid_fraction=0.5") as info:
        est.fit()
    n_valid = function.counts()["valid"]
    assert f"{300 - n_valid} of 300 simulations" in str(info.value)
    assert f"Only {n_valid} of all simulations" in str(info.value)
    assert not hasattr(est, "net_")


def test_no_valid_simulation_raises_whatever_the_threshold():
    sim = FunctionSimulator(lambda p, rng: np.full(2, np.nan), {"a": (0, 1)})
    est = SimulationGroundedRegressor(
        sim, n_simulations=20, min_valid_fraction=0.0, **FAST
    )
    with pytest.raises(ValueError, match="Only 0 of all simulations"):
        est.fit()


def test_each_mechanism_must_reach_the_valid_share():
    # Overall 60 % are valid, but the "fragile" mechanism only 20 %.
    _, fragile = _recorded_simulator(0.8)
    mix = MixtureSimulator(
        [
            ("fragile", fragile),
            (
                "sound",
                FunctionSimulator(
                    lambda p, rng: (rng.normal(size=N_FEATURES), np.array([p["u"]])),
                    {"u": (0.0, 1.0)},
                    targets=["u"],
                ),
            ),
        ]
    )
    clf = SimulationGroundedClassifier(mix, n_simulations=400, **FAST)
    with pytest.raises(ValueError, match="Only .* of mechanism 'fragile'"):
        clf.fit()
    clf.set_params(min_valid_fraction=0.1)
    with pytest.warns(UserWarning, match=r"'fragile': \d+ of \d+; 'sound': 0 of"):
        clf.fit()
    assert clf.classes_.tolist() == ["fragile", "sound"]


def test_raise_surfaces_the_first_failed_draw_and_its_exception():
    function, sim = _recorded_simulator(0.3)
    est = SimulationGroundedRegressor(
        sim, n_simulations=100, on_invalid="raise", **FAST
    )
    with pytest.raises((RuntimeError, ValueError)) as info:
        est.fit()
    first = next(i for i, u in enumerate(function.draws) if u < 0.3)
    u = function.draws[first]
    message = str(info.value)
    assert f"the first is row {first}, drawn with parameters {{'u': {u!r}}}" in message
    if function.kind(u) == "raised":
        assert isinstance(info.value, RuntimeError)
        assert isinstance(info.value.__cause__, FloatingPointError)
        assert "solver diverged" in message
    else:
        assert isinstance(info.value, ValueError)
        assert "produced NaN or inf" in message


def test_raise_chains_the_exception_of_a_raising_draw():
    def boom(params, rng):
        if params["a"] > 0.5:
            raise ZeroDivisionError("edge case")
        return np.ones(2)

    sim = FunctionSimulator(boom, {"a": (0, 1)})
    est = SimulationGroundedRegressor(sim, n_simulations=50, on_invalid="raise", **FAST)
    with pytest.raises(RuntimeError, match=r"ZeroDivisionError\('edge case'\)") as info:
        est.fit()
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert re.search(r"drawn with parameters \{'a': 0\.[5-9]", str(info.value))


def test_raise_mode_on_nan_is_a_value_error_with_the_draw():
    sim = FunctionSimulator(
        lambda p, rng: np.array([1.0, np.nan]) if p["a"] > 0.5 else np.ones(2),
        {"a": (0, 1)},
    )
    est = SimulationGroundedRegressor(sim, n_simulations=50, on_invalid="raise", **FAST)
    with pytest.raises(ValueError, match=r"produced NaN or inf"):
        est.fit()


def test_a_valid_simulator_drops_nothing():
    est = SimulationGroundedRegressor(LinearGaussian(), n_simulations=50, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit()
    assert est.n_invalid_simulations_ == 0 and est.n_simulations_ == 50


def test_fit_without_simulator_counts_zero_invalid():
    X = np.random.default_rng(0).normal(size=(20, 2))
    est = SimulationGroundedRegressor(**FAST).fit(X, X[:, 0])
    assert est.n_invalid_simulations_ == 0


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(on_invalid="ignore"), "on_invalid"),
        (dict(min_valid_fraction=1.5), "min_valid_fraction"),
        (dict(min_valid_fraction=-0.1), "min_valid_fraction"),
    ],
)
def test_fault_parameters_are_validated(params, message):
    est = SimulationGroundedRegressor(LinearGaussian(), n_simulations=10, **params)
    with pytest.raises(InvalidParameterError, match=message):
        est.fit()


# -- wrong shapes and dtypes name the simulator, the expected and the received --


class Broken(Simulator):
    """A simulator whose generate returns what ``mode`` says."""

    prior_params = ("a",)

    def __init__(self, mode="rows", a=(0.0, 1.0)):
        self.mode = mode
        self.a = a

    @property
    def feature_names(self):
        return ("f0", "f1")

    @property
    def target_names(self):
        return ("a",)

    def generate(self, params, rng):
        n = len(params)
        X = rng.normal(size=(n, 2))
        return {
            "rows": (X[:-1], params[:, 0]),
            "features": (rng.normal(size=(n, 3)), params[:, 0]),
            "flat": (X[:, 0], params[:, 0]),
            "complex": (X.astype(complex), params[:, 0]),
            "strings": (X.astype(str), params[:, 0]),
            "y_rows": (X, params[:-1, 0]),
        }[self.mode]


@pytest.mark.parametrize(
    "mode, error, message",
    [
        ("rows", ValueError, r"Broken returned X with shape \(19, 2\); expected 20"),
        (
            "features",
            ValueError,
            r"Broken returned X with shape \(20, 3\); expected \(20, 2\), one "
            r"column per feature name \('f0', 'f1'\)",
        ),
        ("flat", ValueError, r"Broken returned X with shape \(20,\); expected a 2-D"),
        ("complex", TypeError, "Broken returned X of dtype complex128; expected real"),
        ("strings", TypeError, "Broken returned X of dtype <U.*; expected real"),
        ("y_rows", ValueError, r"Broken returned y with shape \(19,\); expected 20"),
    ],
)
def test_wrong_shapes_and_dtypes_name_simulator_expected_and_received(
    mode, error, message
):
    est = SimulationGroundedRegressor(Broken(mode), n_simulations=20, **FAST)
    with pytest.raises(error, match=message):
        est.fit()


def test_simulate_returning_no_simulation_is_named():
    class NotASimulation(LinearGaussian):
        def simulate(self, n_samples, random_state=None):
            return super().simulate(n_samples, random_state).X

    est = SimulationGroundedRegressor(NotASimulation(), n_simulations=10, **FAST)
    with pytest.raises(TypeError, match="NotASimulation.simulate returned ndarray"):
        est.fit()


@pytest.mark.parametrize(
    "function, error, message",
    [
        (
            lambda p, rng: np.array(["a", "b"]),
            TypeError,
            r"returned x of type ndarray and dtype <U1 on draw 0, with parameters "
            r"\{'a': .*\}; expected real numbers",
        ),
        (lambda p, rng: None, TypeError, "returned x of type NoneType and dtype"),
        (
            lambda p, rng: np.ones((2, 2)),
            ValueError,
            r"returned x with shape \(2, 2\) on draw 0.*expected a 1-D array",
        ),
        (
            lambda p, rng: np.ones(3 if p["a"] > 0.5 else 2),
            ValueError,
            r"returned x of shape \((2|3),\) on draw \d+, with parameters .*; expected "
            r"shape \((3|2),\) from the first draw",
        ),
        (
            lambda p, rng: (np.ones(2), 1.0) if p["a"] > 0.5 else np.ones(2),
            ValueError,
            r"returned \(x, y\) on some draws and x alone on others",
        ),
    ],
)
def test_function_simulator_bad_returns_raise_at_once(function, error, message):
    sim = FunctionSimulator(function, {"a": (0.0, 1.0)})
    with pytest.raises(error, match=message):
        sim.simulate(20, random_state=0)


def test_function_simulator_length_is_checked_against_feature_names():
    sim = FunctionSimulator(
        lambda p, rng: np.ones(3), {"a": (0.0, 1.0)}, feature_names=["t0", "t1"]
    )
    with pytest.raises(ValueError, match=r"expected shape \(2,\) from its feature"):
        sim.simulate(5, random_state=0)


def test_function_simulator_raises_when_every_draw_fails():
    def always(params, rng):
        raise KeyError("missing")

    sim = FunctionSimulator(always, {"a": (0.0, 1.0)})
    with pytest.raises(RuntimeError, match="raised on every one of the 4") as info:
        sim.simulate(4, random_state=0)
    assert isinstance(info.value.__cause__, KeyError)


def test_failed_draws_survive_chunking_and_parallel_workers():
    # Threads keep this fast; test_determinism runs process workers.
    function, sim = _recorded_simulator(0.3)
    serial = simulate_chunked(sim, 90, random_state=0, chunk_size=25)
    with parallel_config(backend="threading"):
        parallel = simulate_chunked(sim, 90, random_state=0, chunk_size=25, n_jobs=2)
    for data in (serial, parallel):
        failed = np.array([e is not None for e in data.errors])
        u = data.params[:, 0]
        np.testing.assert_array_equal(failed, (u < 0.1))  # first third raise
        assert all(isinstance(e, FloatingPointError) for e in data.errors[failed])
    np.testing.assert_array_equal(serial.X, parallel.X)


def test_simulation_take_and_concatenate_keep_errors_aligned():
    base = LinearGaussian(n_features=2).simulate(3, random_state=0)
    errors = np.array([None, ValueError("x"), None], dtype=object)
    failing = Simulation(**{**base.__dict__, "errors": errors})
    both = Simulation.concatenate([base, failing])
    assert [e is not None for e in both.errors] == [0, 0, 0, 0, 1, 0]
    assert both.take([4]).errors[0] is errors[1]
    assert base.take([0]).errors is None


def test_an_exception_that_cannot_be_unpickled_is_kept_by_name():
    class NeedsTwo(Exception):
        def __init__(self, a, b):
            super().__init__(f"{a} and {b}")

    def fails(params, rng):
        raise NeedsTwo("left", "right")

    sim = FunctionSimulator(
        lambda p, rng: fails(p, rng) if p["a"] > 0.5 else np.ones(2), {"a": (0, 1)}
    )
    data = sim.simulate(10, random_state=0)
    kept = [e for e in data.errors if e is not None]
    assert kept and all(isinstance(e, RuntimeError) for e in kept)
    assert str(kept[0]) == "NeedsTwo: left and right"
