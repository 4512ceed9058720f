"""Shared fixtures: small simulators and fast estimator settings."""

import pytest

from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator

# Settings that keep a fit around a second on 2 cores while still learning.
FAST = dict(
    n_simulations=2000, hidden_layer_sizes=(32,), max_epochs=20, lr=3e-3, random_state=0
)


@pytest.fixture
def linear():
    return LinearGaussian(n_features=4, noise_std=0.5)


@pytest.fixture
def mixture():
    return MixtureSimulator(
        [
            ("quiet", LinearGaussian(n_features=4, noise_std=0.3)),
            ("noisy", LinearGaussian(n_features=4, noise_std=3.0)),
        ]
    )
