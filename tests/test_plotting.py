"""Plots of the diagnostics: drawn with matplotlib, a clear error without it."""

import sys

import numpy as np
import pytest

from sgnn_sklearn.diagnostics import (
    CoverageCurve,
    ReliabilityCurve,
    SBCRanks,
    SimulationGap,
)
from sgnn_sklearn.plotting import (
    plot_coverage_curve,
    plot_reliability_curve,
    plot_sbc_ranks,
    plot_simulation_gap,
)

RESULTS = {
    "coverage": CoverageCurve(
        np.array([0.5, 0.9]), np.array([[0.5, 0.4], [0.9, 0.8]]), ("a", "b")
    ),
    "sbc": SBCRanks(np.arange(200) % 20, 19),
    "reliability": ReliabilityCurve(
        np.array([0.1, 0.9]), np.array([0.2, 0.8]), np.array([4, 6])
    ),
    "gap": SimulationGap(
        np.array([1.0, 5.0]), np.array([0.5, 1.0]), np.linspace(0.5, 2, 50), 0.99
    ),
}


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.mark.parametrize("name", list(RESULTS))
def test_each_result_plots_on_given_axes(pyplot, name):
    _, ax = pyplot.subplots()
    assert RESULTS[name].plot(ax=ax) is ax
    assert ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_legend() is not None


def test_plot_functions_make_their_own_axes(pyplot):
    assert len(plot_coverage_curve(RESULTS["coverage"]).lines) == 3  # 2 targets + ideal
    assert plot_sbc_ranks(RESULTS["sbc"], n_bins=5) is not None
    assert (
        plot_reliability_curve(RESULTS["reliability"])
        .get_legend_handles_labels()[1][-1]
        .startswith("ECE")
    )
    assert (
        "outside"
        in plot_simulation_gap(RESULTS["gap"]).get_legend_handles_labels()[1][-1]
    )


@pytest.mark.parametrize("name", list(RESULTS))
def test_clear_error_without_matplotlib(monkeypatch, name):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        RESULTS[name].plot()
