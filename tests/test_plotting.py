"""Plots of the diagnostics: drawn with matplotlib, a clear error without it."""

import sys

import numpy as np
import pytest

from sgnn_sklearn import SimulationGroundedClassifier
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
from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator

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
    assert fig._suptitle.get_text().splitlines()[1:] == [
        "fixed in every neighbour: k=10",
        "not in the neighbours' mechanisms: s",
    ]


def test_explanation_of_a_classifier_names_absent_parameters_readably(pyplot):
    # What the classifier's explanations gave: no neighbour has zeta or omega.
    params = np.full((1, 2, 2), np.nan)
    explanation = MechanismExplanation(
        ("a", "b"), np.array([[0.5, 0.5]]), ("zeta", "omega"),
        np.full((1, 2), np.nan), np.full((1, 2), np.nan), np.full((1, 2), np.nan),
        0.9, np.array([[3, 4]]), np.array([[0.1, 0.2]]), np.array([[0.5, 0.5]]),
        params, np.array([["a", "b"]]),
    )  # fmt: skip
    title = plot_mechanism_explanation(explanation, 0)._suptitle.get_text()
    assert "none" not in title and "the same in all" not in title
    assert title.endswith("not in the neighbours' mechanisms: zeta, omega")


@pytest.fixture(scope="module")
def mixture_explanation():
    mixture = MixtureSimulator(
        [
            ("slow", LinearGaussian(n_features=6)),
            ("wide", LinearGaussian(n_features=6, n_params=2, noise_std=3.0)),
        ]
    )
    clf = SimulationGroundedClassifier(
        mixture, 600, max_epochs=3, hidden_layer_sizes=(16,), random_state=0
    ).fit()
    X = mixture.simulate(3, random_state=1).X
    return clf, X, clf.explain_mechanism(X, n_neighbors=40)


def test_series_plot_draws_the_observed_row_over_its_nearest_simulations(
    pyplot, mixture_explanation
):
    clf, X, explanation = mixture_explanation
    fig = explanation.plot_series(2, n_series=15)
    series_ax, bars_ax, text_ax = fig.axes
    lines = series_ax.get_lines()
    assert len(lines) == 16
    observed = lines[-1]
    assert observed.get_label() == "observed"
    # The observed row as the network compared it: the raw row (no preprocessor),
    # to float32 rounding.
    np.testing.assert_allclose(observed.get_ydata(), X[2], rtol=1e-5, atol=1e-5)
    # The neighbours drawn are the memory bank's nearest simulations.
    nearest = clf.memory_bank_.inputs[explanation.neighbor_position[2, :15]]
    expected = clf.input_scaler_.inverse_transform(nearest)
    for line, row in zip(lines[:-1], expected, strict=True):
        np.testing.assert_array_equal(line.get_ydata(), row)
    assert [t.get_text() for t in bars_ax.get_yticklabels()] == ["slow", "wide"]
    text = text_ax.texts[0].get_text()
    assert "90% interval" in text and "theta0 =" in text


def test_series_plot_names_rows_out_of_range(pyplot, mixture_explanation):
    with pytest.raises(IndexError, match="out of range"):
        mixture_explanation[2].plot_series(3)


def test_series_plot_of_an_explanation_without_series_says_why(pyplot):
    explanation = MechanismExplanation(
        None, None, ("r",), np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 1)), 0.9,
        np.array([[3, 4]]), np.array([[0.1, 0.2]]), np.array([[0.5, 0.5]]),
        np.ones((1, 2, 1)), None,
    )  # fmt: skip
    with pytest.raises(ValueError, match="holds no series"):
        explanation.plot_series(0)


@pytest.mark.parametrize("name", list(RESULTS))
def test_clear_error_without_matplotlib(monkeypatch, name):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        RESULTS[name].plot()
