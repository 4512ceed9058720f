"""The regressor's targets: checked as numbers, standardised, shaped back."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.preprocessing import StandardScaler

from ..simulators import Simulation
from ._divergence import as_network_targets
from ._inputs import numeric_targets


class RegressionTargetsMixin:
    """Learn the standardisation of continuous targets, and undo it."""

    # Set by the regressor's fit that inherits this mixin.
    target_scaler_: Any
    target_names_: tuple[str, ...]
    _y_ndim: int

    def _simulated_targets(
        self, simulation: Simulation
    ) -> tuple[np.ndarray, tuple[str, ...]]:
        if simulation.y is None:
            raise ValueError(
                "The simulation has no common targets y (a mixture whose "
                "mechanisms have different target_names?); a regressor needs "
                "targets shared by every sample."
            )
        simulator = getattr(self, "simulator_", None)
        source = (
            ""
            if simulator is None
            else f" from the simulator {type(simulator).__name__}"
        )
        targets = numeric_targets(simulation.y, type(self).__name__, source)
        return targets, tuple(simulation.target_names)

    def _fit_targets(
        self, y: np.ndarray, names: tuple[str, ...] | None = None
    ) -> tuple[np.ndarray, int]:
        y = numeric_targets(y, type(self).__name__)
        self._y_ndim = y.ndim
        y2d = y.reshape(len(y), -1)
        self.target_names_ = names or tuple(f"y{j}" for j in range(y2d.shape[1]))
        with np.errstate(over="ignore"):  # refused in _encode_targets
            self.target_scaler_ = StandardScaler().fit(y2d)
        return self._encode_targets(y), y2d.shape[1]

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        y2d = numeric_targets(y, type(self).__name__).reshape(len(y), -1)
        n_targets = self.target_scaler_.n_features_in_
        if y2d.shape[1] != n_targets:
            raise ValueError(
                f"y has {y2d.shape[1]} targets, but the estimator learns "
                f"{n_targets} ({', '.join(self.target_names_)})."
            )
        with np.errstate(over="ignore"):
            encoded = self.target_scaler_.transform(y2d).astype(np.float32)
        return as_network_targets(encoded, y2d)

    def _check_real_targets(self, y: np.ndarray) -> None:
        numeric_targets(y, type(self).__name__)

    def _target_shape(self, values: np.ndarray) -> np.ndarray:
        return values[:, 0] if self._y_ndim == 1 else values
