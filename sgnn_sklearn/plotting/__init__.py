"""Plots of the diagnostics and explanations (matplotlib, an optional dependency).

Each function draws one result of :mod:`sgnn_sklearn.diagnostics` or
:mod:`sgnn_sklearn.attribution` and returns the axes (or figure) it drew on;
the results' ``plot`` methods call them. matplotlib is imported only when a
plot is drawn, with a clear error when it is missing.
"""

from ._plots import (
    plot_coverage_curve,
    plot_explanation_series,
    plot_mechanism_explanation,
    plot_reliability_curve,
    plot_sbc_ranks,
    plot_simulation_gap,
)

__all__ = [
    "plot_coverage_curve",
    "plot_explanation_series",
    "plot_mechanism_explanation",
    "plot_reliability_curve",
    "plot_sbc_ranks",
    "plot_simulation_gap",
]
