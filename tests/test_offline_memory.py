"""The offline fit's memory savings change nothing: same simulations, same bits."""

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.estimators import _base, _scaling
from sgnn_sklearn.simulators import (
    LinearGaussian,
    MixtureSimulator,
    Simulation,
    simulate_chunked,
)
from sgnn_sklearn.simulators._parallel import chunk_seeds, iter_simulated_chunks

FAST = dict(max_epochs=1, hidden_layer_sizes=(16,), random_state=0)


@pytest.mark.parametrize(
    "simulator",
    [
        LinearGaussian(n_features=4),
        MixtureSimulator(
            [
                ("a", LinearGaussian(n_features=4)),
                ("b", LinearGaussian(n_features=4, noise_std=3.0)),
            ]
        ),
    ],
)
def test_chunks_joined_in_place_equal_their_concatenation(simulator):
    chunks = chunk_seeds(20_000, 0, 8192)
    expected = Simulation.concatenate(list(iter_simulated_chunks(simulator, chunks)))
    joined = simulate_chunked(simulator, 20_000, random_state=0)
    assert joined.X.flags.c_contiguous and joined.X.dtype == expected.X.dtype
    for field in ("X", "y", "params", "mechanism"):
        a, b = getattr(joined, field), getattr(expected, field)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
    assert joined.mechanism_names == expected.mechanism_names


@pytest.mark.parametrize(
    "cls", [SimulationGroundedRegressor, SimulationGroundedClassifier]
)
def test_predictions_are_those_of_standard_scaler_to_the_last_bit(monkeypatch, cls):
    # 20,000 simulations in three chunks, and scaler blocks of 1,000 rows: the
    # fit spans many blocks of both.
    monkeypatch.setattr(_scaling, "BLOCK_ROWS", 1000)
    monkeypatch.setattr(_base, "TRANSFORM_BLOCK_ROWS", 1000)
    sim = LinearGaussian(n_features=4)
    if cls is SimulationGroundedClassifier:
        sim = MixtureSimulator(
            [("a", sim), ("b", LinearGaussian(n_features=4, noise_std=3.0))]
        )
    X = sim.simulate(500, random_state=1).X
    method = "predict" if cls is SimulationGroundedRegressor else "predict_proba"
    blockwise = cls(sim, 20_000, **FAST).fit()
    monkeypatch.setattr(_base, "fit_standard_scaler", lambda X: StandardScaler().fit(X))
    reference = cls(sim, 20_000, **FAST).fit()
    np.testing.assert_array_equal(
        getattr(blockwise, method)(X), getattr(reference, method)(X)
    )
    np.testing.assert_array_equal(
        blockwise.memory_bank_.inputs, reference.memory_bank_.inputs
    )
