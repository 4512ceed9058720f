"""Devices: clear errors without a GPU, GPU-trained models on a CPU, batched predict."""

import io
import pickle

import numpy as np
import pytest
import torch

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.estimators._batches import PREDICT_BATCH_SIZE
from sgnn_sklearn.simulators import LinearGaussian

FAST = dict(hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
needs_gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is present")


@pytest.fixture(scope="module")
def fitted():
    # The plateau schedule (the default) keeps a reference to the optimiser:
    # the GPU round trip below must not carry it along.
    return SimulationGroundedRegressor(
        LinearGaussian(), 300, lr_schedule="plateau", **FAST
    ).fit()


@no_gpu
@pytest.mark.parametrize(
    "cls", [SimulationGroundedRegressor, SimulationGroundedClassifier]
)
def test_cuda_without_a_gpu_is_a_clear_error(cls):
    est = cls(LinearGaussian(), 100, device="cuda", **FAST)
    with pytest.raises(ValueError, match="no CUDA GPU.*device='cpu' or 'auto'"):
        est.fit()


@no_gpu
def test_auto_falls_back_to_the_cpu():
    est = SimulationGroundedRegressor(LinearGaussian(), 100, device="auto", **FAST)
    assert est.fit().net_.device == "cpu"


def _as_if_saved_on_a_gpu(est, monkeypatch):
    """Pickle ``est`` as a GPU machine would: device 'cuda', tensors tagged cuda:0."""
    est.net_.device = "cuda"
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
    try:
        return pickle.dumps(est)
    finally:
        monkeypatch.undo()
        est.net_.device = "cpu"


@no_gpu
def test_the_simulated_gpu_tensors_cannot_load_unmapped(fitted, monkeypatch):
    """What makes the next test honest: tensors so tagged need a map_location."""
    buffer = io.BytesIO()
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
    torch.save(fitted.net_.module_.state_dict(), buffer)
    monkeypatch.undo()
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)


@no_gpu
def test_a_model_trained_on_a_gpu_predicts_on_a_cpu(fitted, monkeypatch):
    X = LinearGaussian().simulate(50, random_state=1).X
    expected = fitted.predict(X)
    data = _as_if_saved_on_a_gpu(fitted, monkeypatch)
    with pytest.warns(UserWarning) as warned:
        loaded = pickle.loads(data)
    assert any("no CUDA devices are available" in str(w.message) for w in warned)
    assert str(loaded.net_.device) == "cpu"
    assert next(loaded.net_.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(loaded.predict(X), expected)


def test_predict_runs_in_batches_of_bounded_size(fitted):
    n = 2 * PREDICT_BATCH_SIZE + 7
    X = LinearGaussian().simulate(n, random_state=1).X
    sizes = []
    hook = fitted.net_.module_.register_forward_hook(
        lambda module, inputs, output: sizes.append(len(inputs[0]))
    )
    try:
        whole = fitted.predict(X)
    finally:
        hook.remove()
    assert sizes == [PREDICT_BATCH_SIZE, PREDICT_BATCH_SIZE, 7]
    parts = np.concatenate([fitted.predict(X[:100]), fitted.predict(X[100:])])
    np.testing.assert_allclose(whole, parts, rtol=1e-6)


@needs_gpu
@pytest.mark.parametrize("simulation", ["offline", "online"])
def test_training_and_predicting_on_a_gpu(simulation):
    sim = LinearGaussian()
    est = SimulationGroundedRegressor(
        sim, 500, device="cuda", simulation=simulation, **FAST
    ).fit()
    assert next(est.net_.module_.parameters()).device.type == "cuda"
    X = sim.simulate(20, random_state=1).X
    assert est.predict(X).shape == (20,)
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(loaded.predict(X), est.predict(X), rtol=1e-5)
