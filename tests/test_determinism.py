"""The same random_state gives bit-identical simulations, weights and predictions."""

import random

import numpy as np
import pytest
import torch
from joblib import parallel_config
from sklearn.base import clone

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.estimators._networks import ARCHITECTURES, OPTIMIZER_KWARGS
from sgnn_sklearn.simulators import (
    FunctionSimulator,
    LinearGaussian,
    MixtureSimulator,
    simulate_chunked,
)
from sgnn_sklearn.simulators._parallel import DEFAULT_CHUNK_SIZE

FAST = dict(max_epochs=2, hidden_layer_sizes=(16, 16), random_state=0)


class FlakyGaussian(LinearGaussian):
    """Vectorised, with NaN in the rows whose first parameter is above 0.8."""

    def generate(self, params, rng):
        X, y = super().generate(params, rng)
        X[params[:, 0] > 0.8, 0] = np.nan
        return X, y


def flaky(params, rng):
    """Noisy observations of ``a``; about one draw in ten raises or gives NaN."""
    u = rng.random()
    if u < 0.05:
        raise ArithmeticError("no solution")
    x = params["a"] + rng.normal(size=4)
    if u < 0.1:
        x[0] = np.nan
    return x


def _state(est):
    return {k: v.clone() for k, v in est.net_.module_.state_dict().items()}


def _assert_same_weights(a, b):
    sa, sb = _state(a), _state(b)
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


# Process workers (joblib's default, loky) take ~20 s to start on a 2-core CI
# machine, as each imports torch; threads test the same seeding quickly.
BACKENDS = ["threading", pytest.param("loky", marks=pytest.mark.slow)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_simulations_are_bit_identical_whatever_n_jobs(backend):
    # Failed draws, their exceptions and NaN rows must come back where drawn.
    sim = FunctionSimulator(flaky, {"a": (0.0, 1.0)})
    reference = simulate_chunked(sim, 300, random_state=0, chunk_size=64)
    assert any(e is not None for e in reference.errors)
    with parallel_config(backend=backend):
        others = (
            simulate_chunked(sim, 300, random_state=0, chunk_size=64, n_jobs=2),
            simulate_chunked(
                clone(sim).set_params(n_jobs=2), 300, random_state=0, chunk_size=64
            ),
        )
    for other in others:
        np.testing.assert_array_equal(other.X, reference.X)  # NaN where NaN
        np.testing.assert_array_equal(other.params, reference.params)
        np.testing.assert_array_equal(other.y, reference.y)
        assert [repr(e) for e in other.errors] == [repr(e) for e in reference.errors]


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_is_bit_identical_whatever_n_jobs(backend):
    # More simulations than one chunk, so that n_jobs=2 runs two workers.
    sim = FlakyGaussian(n_features=4)
    params = dict(
        n_simulations=DEFAULT_CHUNK_SIZE + 500,
        max_epochs=1,
        hidden_layer_sizes=(8,),
        batch_size=1024,
        random_state=0,
    )
    with pytest.warns(UserWarning, match="were invalid"):
        serial = SimulationGroundedRegressor(sim, n_jobs=1, **params).fit()
    with pytest.warns(UserWarning, match="were invalid"), parallel_config(backend):
        parallel = SimulationGroundedRegressor(sim, n_jobs=2, **params).fit()
    assert serial.n_invalid_simulations_ == parallel.n_invalid_simulations_ > 0
    _assert_same_weights(serial, parallel)
    X = sim.simulate(50, random_state=1).X
    X = X[np.isfinite(X).all(axis=1)]
    np.testing.assert_array_equal(serial.predict(X), parallel.predict(X))


@pytest.mark.parametrize("architecture", ["mlp", "cnn"])
def test_same_random_state_gives_identical_fits(architecture):
    sim = LinearGaussian(n_features=12)
    real = sim.simulate(40, random_state=3)
    fits = [
        SimulationGroundedRegressor(
            sim, n_simulations=200, architecture=architecture, **FAST
        ).fit(real.X, real.y)
        for _ in range(2)
    ]
    _assert_same_weights(*fits)
    np.testing.assert_array_equal(fits[0].predict(real.X), fits[1].predict(real.X))
    other = SimulationGroundedRegressor(
        sim,
        n_simulations=200,
        architecture=architecture,
        **{**FAST, "random_state": 1},
    ).fit(real.X, real.y)
    assert not np.array_equal(other.predict(real.X), fits[0].predict(real.X))


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_grouped_optimiser_step_gives_the_bits_of_the_one_by_one_step(
    monkeypatch, weight_decay
):
    # The estimators ask Adam (AdamW with weight decay) for its grouped
    # "foreach" update because it is faster on the CPU; every documented
    # figure was measured with torch's one-tensor-at-a-time default, so the
    # two must agree to the last bit, for the network and the spread's head.
    sim = LinearGaussian(n_features=6)
    X = sim.simulate(50, random_state=3).X
    params = dict(FAST, max_epochs=4, weight_decay=weight_decay, random_state=2)

    def fit():
        est = SimulationGroundedRegressor(sim, n_simulations=300, **params).fit()
        return est, est.predict(X, return_std=True)

    grouped, (mean, std) = fit()
    monkeypatch.setitem(OPTIMIZER_KWARGS, "foreach", False)
    single, (single_mean, single_std) = fit()
    _assert_same_weights(grouped, single)
    np.testing.assert_array_equal(mean, single_mean)
    np.testing.assert_array_equal(std, single_std)
    assert grouped.net_.optimizer_.defaults["foreach"] is True
    assert single.net_.optimizer_.defaults["foreach"] is False


def test_same_random_state_gives_identical_classifiers():
    mix = MixtureSimulator(
        [("a", LinearGaussian(noise_std=0.3)), ("b", LinearGaussian(noise_std=2.0))]
    )
    test = mix.simulate(30, random_state=1)
    probas = [
        SimulationGroundedClassifier(mix, n_simulations=300, **FAST)
        .fit()
        .predict_proba(test.X)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(*probas)


@pytest.fixture(scope="module")
def wide():
    """A model whose batched matrix products round differently with batch size."""
    sim = LinearGaussian(n_features=20)
    est = SimulationGroundedRegressor(
        sim,
        n_simulations=500,
        max_epochs=2,
        hidden_layer_sizes=(128, 128),
        random_state=0,
    ).fit()
    return est, sim.simulate(100, random_state=1).X


@pytest.mark.parametrize("batch_size", [1, 7, 64, 1000])
def test_predictions_do_not_depend_on_the_predict_batch_size(wide, batch_size):
    est, X = wide
    reference = est.predict(X)
    # predict's batches come from skorch's iterator_valid (see _train).
    default = est.net_.iterator_valid__batch_size
    est.net_.iterator_valid__batch_size = batch_size
    try:
        np.testing.assert_array_equal(est.predict(X), reference)
    finally:
        est.net_.iterator_valid__batch_size = default


def test_predictions_do_not_depend_on_how_X_is_split(wide):
    est, X = wide
    reference = est.predict(X)
    one_by_one = np.concatenate([est.predict(X[i : i + 1]) for i in range(len(X))])
    np.testing.assert_array_equal(one_by_one, reference)
    np.testing.assert_array_equal(est.predict(X[5:]), reference[5:])
    np.testing.assert_array_equal(est.predict(X[::-1]), reference[::-1])


def _global_states():
    return (
        np.random.get_state(legacy=False),  # noqa: NPY002 - the global one is tested
        torch.get_rng_state(),
        random.getstate(),
    )


def _assert_same_states(before, after):
    (np_a, torch_a, py_a), (np_b, torch_b, py_b) = before, after
    assert np_a["state"]["key"].tolist() == np_b["state"]["key"].tolist()
    assert np_a["state"]["pos"] == np_b["state"]["pos"]
    assert torch.equal(torch_a, torch_b)
    assert py_a == py_b


@pytest.mark.parametrize(
    "cls", [SimulationGroundedRegressor, SimulationGroundedClassifier]
)
def test_fit_leaves_global_random_states_untouched(cls):
    mix = MixtureSimulator(
        [("a", LinearGaussian(noise_std=0.3)), ("b", LinearGaussian(noise_std=2.0))]
    )
    sim = mix if cls is SimulationGroundedClassifier else LinearGaussian()
    real = mix.simulate(30, random_state=1)
    y = real.mechanism if cls is SimulationGroundedClassifier else real.y
    np.random.seed(7)  # noqa: NPY002
    torch.manual_seed(7)
    random.seed(7)
    before = _global_states()
    est = cls(sim, n_simulations=200, **FAST).fit(real.X, y)  # simulate + finetune
    est.predict(real.X)
    cls(**FAST).fit(real.X, y)
    _assert_same_states(before, _global_states())


def test_random_state_none_follows_numpy_global_seed_and_spares_torch():
    # scikit-learn's convention: None draws the seeds from numpy's global
    # RandomState, so np.random.seed makes runs repeatable; torch's and
    # Python's global generators are still left alone.
    sim = LinearGaussian()
    X = sim.simulate(20, random_state=1).X
    predictions = []
    for _ in range(2):
        np.random.seed(11)  # noqa: NPY002
        torch_before, py_before = torch.get_rng_state(), random.getstate()
        est = SimulationGroundedRegressor(
            sim, n_simulations=200, **{**FAST, "random_state": None}
        ).fit()
        assert torch.equal(torch.get_rng_state(), torch_before)
        assert random.getstate() == py_before
        predictions.append(est.predict(X))
    np.testing.assert_array_equal(*predictions)


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_every_architecture_predicts_row_by_row_as_in_a_batch(architecture):
    sim = LinearGaussian(n_features=30)
    X = sim.simulate(60, random_state=1).X
    reg = SimulationGroundedRegressor(
        sim,
        architecture=architecture,
        n_simulations=200,
        max_epochs=1,
        hidden_layer_sizes=(32,),
        random_state=0,
    ).fit()
    mean, std = reg.predict(X, return_std=True)
    inputs = reg._network_inputs(X)
    for i in range(len(X)):
        row_mean, row_std = reg.predict(X[i : i + 1], return_std=True)
        assert row_mean[0] == mean[i] and row_std[0] == std[i], i
    np.testing.assert_array_equal(reg.predict(X[::-1]), mean[::-1])
    embedded = reg._embed_inputs(inputs)
    np.testing.assert_array_equal(reg._embed_inputs(inputs[7:9]), embedded[7:9])
    mix = MixtureSimulator(
        [
            ("a", LinearGaussian(n_features=30)),
            ("b", LinearGaussian(n_features=30, noise_std=3.0)),
        ]
    )
    clf = SimulationGroundedClassifier(
        mix,
        architecture=architecture,
        n_simulations=200,
        max_epochs=1,
        hidden_layer_sizes=(32,),
        random_state=0,
    ).fit()
    proba = clf.predict_proba(X)
    one_by_one = np.concatenate([clf.predict_proba(X[i : i + 1]) for i in range(60)])
    np.testing.assert_array_equal(one_by_one, proba)
