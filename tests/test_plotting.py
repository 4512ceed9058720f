"""Plots of the diagnostics: drawn with matplotlib, a clear error without it."""

import sys

import numpy as np
import pytest

from sgnn_sklearn.attribution import MechanismExplanation
from sgnn_sklearn.diagnostics import (
    CoverageCurve,
    ReliabilityCurve,
    SBCRanks,
    SimulationGap,
)
from sgnn_sklearn.plotting import (
    plot_coverage_curve,
    plot_mechanism_explanation,
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


def test_explanation_plot_names_constant_parameters_instead_of_drawing_them(pyplot):
    # Two neighbours; "r" varies, "k" is fixed at 10, "s" is absent (NaN).
    params = np.array([[[0.2, 10.0, np.nan], [0.4, 10.0, np.nan]]])
    explanation = MechanismExplanation(
        ("a", "b"), np.array([[0.5, 0.5]]), ("r", "k", "s"),
        np.array([[0.3, 10.0, np.nan]]), np.array([[0.2, 10.0, np.nan]]),
        np.array([[0.4, 10.0, np.nan]]), 0.9, np.array([[3, 4]]),
        np.array([[0.1, 0.2]]), np.array([[0.5, 0.5]]), params,
        np.array([["a", "b"]]),
    )  # fmt: skip
    fig = plot_mechanism_explanation(explanation, 0)
    assert [ax.get_title() for ax in fig.axes] == ["mechanism", "r"]
    assert fig._suptitle.get_text().endswith("the same in all: k=10, s: none")


@pytest.mark.parametrize("name", list(RESULTS))
def test_clear_error_without_matplotlib(monkeypatch, name):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        RESULTS[name].plot()
