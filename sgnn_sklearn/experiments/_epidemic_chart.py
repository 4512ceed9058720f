"""Coordinates in which an epidemic's posterior is nearly straight.

From a month of reported counts the early growth rate ``lambda`` of an SIR
or SEIR epidemic is known to about 1%, while ``R0`` and the recovery rate
trade off along the curve of constant ``lambda``; without the reporting
rate integrated out, ``rho`` and ``i0`` trade off along the curve of
constant ``rho * i0``. On the logit scale of the prior box those curves are
a thin bent ridge, which defeats Gaussian and t proposals around one mode.
In the chart below ``lambda`` stands in for ``R0`` and ``rho * i0`` for
``i0``, so the ridge runs along coordinate axes; the prior's density moves
into the integrand with its Jacobian.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..simulators import SEIR, SIR
from ._evidence import _UniformBox

# Share of each prior interval kept between a starting point and the box's
# edge, so that the start maps inside the chart's support.
EDGE_MARGIN = 0.02


class _GrowthRateChart:
    """An SIR or SEIR likelihood on (growth rate, ..., rho * i0) coordinates.

    The chart's box spans every value its coordinates take on the prior box;
    the prior's support is the part of it that maps back inside the original
    box. ``log_likelihood`` returns ``log p(x | theta(phi)) + log |J| +
    log(V_phi / V_theta)``, ``-inf`` off the support, so that integrating it
    against the uniform prior on the chart's box gives the same marginal
    likelihood as integrating ``p(x | theta)`` against the uniform prior on
    the original box.

    The growth rate ``lambda`` solves ``R0 = 1 + lambda / gamma`` (SIR) or
    ``R0 = (1 + lambda / sigma) (1 + lambda / gamma)`` (SEIR, its larger
    root), the linearised growth with ``S(0) = 1``.

    Parameters
    ----------
    simulator : SIR or SEIR
        Names the columns; its prior box is ``box``.
    likelihood : object with ``log_likelihood(params, X)``
        The integrand on the original columns: the simulator itself, or
        ``_ReportingRateIntegrated`` around it.
    box : _UniformBox
        The free parameters of ``likelihood`` and their uniform priors.
    """

    def __init__(self, simulator: Any, likelihood: Any, box: _UniformBox) -> None:
        names = list(simulator.param_names)
        self.likelihood = likelihood
        self.original = box
        self.seir = isinstance(simulator, SEIR)
        self.r0 = names.index("R0")
        self.gamma = names.index("gamma")
        self.sigma = names.index("sigma") if self.seir else None
        free = set(box.free.tolist())
        self.product = (
            "rho" in names and {names.index("rho"), names.index("i0")} <= free
        )
        self.rho = names.index("rho") if self.product else None
        self.i0 = names.index("i0") if self.product else None
        low, high = box.low.copy(), box.high.copy()
        corners = np.array(
            list(
                itertools.product(*[(box.low[j], box.high[j]) for j in range(len(low))])
            )
        )
        rates = self.growth_rate(corners)
        low[self.r0], high[self.r0] = rates.min(), rates.max()
        self.log_volume_ratio = np.log(
            (high[self.r0] - low[self.r0]) / (box.high[self.r0] - box.low[self.r0])
        )
        if self.product:
            low[self.i0] = box.low[self.rho] * box.low[self.i0]
            high[self.i0] = box.high[self.rho] * box.high[self.i0]
            self.log_volume_ratio += np.log(
                (high[self.i0] - low[self.i0]) / (box.high[self.i0] - box.low[self.i0])
            )
        self.box = _UniformBox(low, high, box.free)

    @classmethod
    def applies(cls, simulator: Any) -> bool:
        """SIR or SEIR with a free ``R0``."""
        return isinstance(simulator, SIR | SEIR) and "R0" in simulator.free_params

    def growth_rate(self, params: np.ndarray) -> np.ndarray:
        """``lambda`` of each row of original parameters."""
        r0, gamma = params[:, self.r0], params[:, self.gamma]
        if not self.seir:
            return gamma * (r0 - 1.0)
        sigma = params[:, self.sigma]
        total = sigma + gamma
        return 0.5 * (-total + np.sqrt(total**2 + 4.0 * sigma * gamma * (r0 - 1.0)))

    def to_chart(self, params: np.ndarray) -> np.ndarray:
        """Chart coordinates of original parameters, pulled off the box's edges.

        Each free parameter is first moved ``EDGE_MARGIN`` of its interval
        inside the original box (a maximum-likelihood point often sits on
        an edge, which is the edge of the chart's support).
        """
        box = self.original
        width = box.high - box.low
        unit = (params - box.low) / np.where(width > 0, width, 1.0)
        inside = box.low + np.clip(unit, EDGE_MARGIN, 1.0 - EDGE_MARGIN) * width
        inside = np.where(width > 0, inside, params)
        chart = np.array(inside, dtype=float)
        chart[:, self.r0] = self.growth_rate(inside)
        if self.product:
            chart[:, self.i0] = inside[:, self.rho] * inside[:, self.i0]
        return chart

    def log_likelihood(self, chart: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Log integrand at chart points (rows of ``chart`` against rows of ``X``)."""
        box = self.original
        params = np.array(chart, dtype=float)
        rate, gamma = chart[:, self.r0], chart[:, self.gamma]
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.seir:
                sigma = chart[:, self.sigma]
                r0 = (1.0 + rate / sigma) * (1.0 + rate / gamma)
                jacobian = (1.0 + rate / gamma) / sigma + (1.0 + rate / sigma) / gamma
            else:
                r0 = 1.0 + rate / gamma
                jacobian = 1.0 / gamma
            params[:, self.r0] = r0
            log_jacobian = np.log(jacobian)
            if self.product:
                params[:, self.i0] = chart[:, self.i0] / chart[:, self.rho]
                log_jacobian -= np.log(chart[:, self.rho])
        inside = np.all((params >= box.low) & (params <= box.high), axis=1)
        # Off the support the likelihood is not asked (a parameter out of its
        # range may fail the simulator): the box's center stands in.
        params = np.where(inside[:, None], params, 0.5 * (box.low + box.high))
        values = self.likelihood.log_likelihood(params, X)
        return np.where(inside, values + log_jacobian + self.log_volume_ratio, -np.inf)
