"""How an estimator turns inputs into the network's: the fitted preprocessing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted, validate_data

from .._pages import release_rows
from ..preprocessing import LogCounts, auto_preprocessor
from ..simulators import TruncatedSimulator
from ._inputs import (
    as_network_inputs,
    match_simulated_feature_names,
    refuse_masked_values,
)
from ._scaling import fit_standard_scaler

# Rows standardised at a time (a float64 block of 65,536 x 60 is 31 MB).
TRANSFORM_BLOCK_ROWS = 65_536


class InputEncodingMixin:
    """Fit the preprocessor and the input scaler; encode inputs with them."""

    # Set by the estimator (its parameters and fit) that inherits this mixin.
    preprocessor: Any
    simulator_: Any
    preprocessor_: Any
    input_scaler_: Any

    def _fit_inputs(self, X: np.ndarray, upcast: bool = False) -> None:
        if self.preprocessor == "auto":
            # On a prior narrowed to a posterior (refine's rounds) the span
            # of each day's counts, not of all counts, says whether the log
            # helps (auto_preprocessor); the whole prior keeps the rule its
            # documented fits were made with.
            self.preprocessor_ = auto_preprocessor(
                X, per_feature=isinstance(self.simulator_, TruncatedSimulator)
            )
        elif self.preprocessor is None:
            self.preprocessor_ = None
        else:
            self.preprocessor_ = clone(self.preprocessor)
        if self.preprocessor_ is not None:
            self.preprocessor_.fit(X)
        elementwise = self._elementwise_preprocessing(upcast)
        if self.preprocessor_ is not None and elementwise is None:
            X = self.preprocessor_.transform(X)
        with (
            np.errstate(over="ignore", invalid="ignore"),  # see as_network_inputs
            self._refusals_name_rows_of(X),
        ):
            self.input_scaler_ = fit_standard_scaler(X, elementwise)

    def _transform_inputs(
        self, X: np.ndarray, release: bool = False, upcast: bool = False
    ) -> np.ndarray:
        """The network's float32 inputs for ``X``.

        ``release=True`` (the offline fit's own simulations, not read again)
        returns the memory of each block of rows of ``X`` as it is written
        (:func:`~sgnn_sklearn._pages.release_rows`), as long as every value
        so far is finite once standardised: the float64 simulations and
        their float32 copy then never take more than the simulations alone.
        Released rows read as zeros; they were finite and accepted by the
        preprocessor, so a refusal counts the same values and rows (only the
        largest absolute value quoted for an overflow is over the rows kept).
        ``upcast=True``: ``X`` is float32 counts to be read as float64 (see
        :meth:`_elementwise_preprocessing`).
        """
        elementwise = self._elementwise_preprocessing(upcast)
        if self.preprocessor_ is not None and elementwise is None:
            # Its output may be X itself, or kept by the preprocessor: never
            # released.
            release = False
            X = self.preprocessor_.transform(X)
        # Standardised in blocks straight into float32: a float64 copy of a
        # large simulated set would double the peak memory of an offline fit.
        scaled = np.empty(np.shape(X), dtype=np.float32)
        with (
            np.errstate(over="ignore", invalid="ignore"),
            self._refusals_name_rows_of(X),
        ):
            for start in range(0, len(X), TRANSFORM_BLOCK_ROWS):
                block = X[start : start + TRANSFORM_BLOCK_ROWS]
                if elementwise is not None:
                    block = elementwise(block)
                rows = scaled[start : start + TRANSFORM_BLOCK_ROWS]
                rows[...] = self.input_scaler_.transform(block)
                release = release and bool(np.isfinite(rows).all())
                if release:
                    release_rows(X, start + len(rows))
        if elementwise is None:
            return as_network_inputs(scaled, X, self.preprocessor_)
        return as_network_inputs(scaled, lambda: elementwise(X), self.preprocessor_)

    def _elementwise_preprocessing(self, upcast: bool = False) -> Any:
        """The fitted preprocessor's transform if it may run on blocks of rows.

        ``LogCounts`` transforms each value alone, so blocks give the bits of
        the whole, without a float64 copy of all the simulations (458 MB at
        10^6 series of 60 days); any other transformer sees the whole ``X``.
        ``upcast=True`` (the fit's own counts, held as float32 because every
        one is exact in float32; the preprocessor is then ``LogCounts`` or
        none): each block is first cast to the float64 it was drawn as.
        """
        transform = None
        if isinstance(self.preprocessor_, LogCounts):
            transform = self.preprocessor_.transform
        if not upcast:
            return transform
        if transform is None:
            return _as_float64
        return lambda block: transform(_as_float64(block))

    @contextmanager
    def _refusals_name_rows_of(self, X: np.ndarray) -> Iterator[None]:
        """Let a refusal of one block by the preprocessor name the rows of ``X``."""
        try:
            yield
        except ValueError:
            elementwise = self._elementwise_preprocessing()
            if elementwise is not None:
                elementwise(X)  # raises, counting the rows of X
            raise

    def _network_inputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = match_simulated_feature_names(self, refuse_masked_values(X, "X"))
        X = validate_data(self, X, reset=False)
        return self._transform_inputs(X)


def _as_float64(block: np.ndarray) -> np.ndarray:
    return block.astype(np.float64)
