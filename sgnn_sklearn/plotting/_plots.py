"""Matplotlib plots of the diagnostics and of mechanism explanations."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import binom


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "Plotting needs matplotlib; install it with `pip install matplotlib` "
            "(or `pip install sgnn_sklearn[plot]`)."
        ) from exc
    return plt


def _axes(ax: Any) -> Any:
    return _pyplot().subplots()[1] if ax is None else ax


def _finish(ax: Any, xlabel: str, ylabel: str) -> Any:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def _diagonal(ax: Any) -> None:
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="ideal")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")


def plot_coverage_curve(curve: Any, ax: Any = None) -> Any:
    """Observed against nominal coverage of predicted intervals.

    Parameters
    ----------
    curve : CoverageCurve
        From :func:`sgnn_sklearn.diagnostics.coverage_curve`.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; new ones when None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sgnn_sklearn.diagnostics import CoverageCurve
    >>> curve = CoverageCurve(np.array([0.5, 0.9]), np.array([0.5, 0.88]), ("y",))
    >>> plot_coverage_curve(curve).get_xlabel()
    'nominal coverage'
    """
    ax = _axes(ax)
    _diagonal(ax)
    observed = curve.observed.reshape(len(curve.nominal), -1)
    for j in range(observed.shape[1]):
        label = curve.target_names[j] if j < len(curve.target_names) else f"y{j}"
        ax.plot(curve.nominal, observed[:, j], marker="o", label=label)
    return _finish(ax, "nominal coverage", "observed coverage")


def plot_sbc_ranks(sbc: Any, n_bins: int = 10, ax: Any = None) -> Any:
    """Histogram of simulation-based calibration ranks, with the uniform band.

    The grey band holds 99% of bin counts when the posterior is calibrated.

    Parameters
    ----------
    sbc : SBCRanks
        From :func:`sgnn_sklearn.diagnostics.sbc_ranks`.
    n_bins : int, default=10
        Number of bins.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sgnn_sklearn.diagnostics import SBCRanks
    >>> plot_sbc_ranks(SBCRanks(np.arange(100) % 10, 9)).get_xlabel()
    'rank of the true value among 9 draws'
    """
    ax = _axes(ax)
    counts = sbc.histogram(n_bins).reshape(n_bins, -1)
    n = counts[:, 0].sum()
    edges = np.linspace(0, sbc.n_draws + 1, n_bins + 1)
    low, high = binom.ppf([0.005, 0.995], n, 1 / n_bins)
    ax.axhspan(low, high, color="grey", alpha=0.3, label="99% band if uniform")
    for j in range(counts.shape[1]):
        ax.stairs(
            counts[:, j], edges, label=f"target {j}" if counts.shape[1] > 1 else None
        )
    return _finish(ax, f"rank of the true value among {sbc.n_draws} draws", "count")


def plot_reliability_curve(curve: Any, ax: Any = None) -> Any:
    """Reliability diagram: observed frequency against predicted probability.

    Parameters
    ----------
    curve : ReliabilityCurve
        From :func:`sgnn_sklearn.diagnostics.reliability_curve`.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sgnn_sklearn.diagnostics import ReliabilityCurve
    >>> curve = ReliabilityCurve(np.array([0.2, 0.8]), np.array([0.3, 0.7]),
    ...                          np.array([5, 5]))
    >>> plot_reliability_curve(curve).get_ylabel()
    'observed frequency'
    """
    ax = _axes(ax)
    _diagonal(ax)
    ece = curve.expected_calibration_error
    ax.plot(curve.prob_pred, curve.prob_true, marker="o", label=f"ECE {ece:.3f}")
    return _finish(ax, "predicted probability", "observed frequency")


def plot_simulation_gap(gap: Any, ax: Any = None) -> Any:
    """Distances of inputs from the training simulations, against held-out ones.

    Parameters
    ----------
    gap : SimulationGap
        From :func:`sgnn_sklearn.diagnostics.simulation_gap`.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sgnn_sklearn.diagnostics import SimulationGap
    >>> gap = SimulationGap(np.array([1.0, 3.0]), np.array([0.5, 1.0]),
    ...                     np.array([0.5, 1.0, 1.5]), 0.99)
    >>> plot_simulation_gap(gap).get_xlabel()
    'distance to the nearest training simulations (embedding)'
    """
    ax = _axes(ax)
    both = np.concatenate([gap.reference_distance, gap.distance])
    edges = np.histogram_bin_edges(both, bins=30)
    ax.hist(
        gap.reference_distance,
        bins=edges,
        density=True,
        alpha=0.5,
        label="held-out simulations",
    )
    ax.hist(
        gap.distance,
        bins=edges,
        density=True,
        alpha=0.5,
        label=f"inputs (score {gap.score:.2f})",
    )
    support = np.quantile(gap.reference_distance, gap.support_level)
    ax.axvline(
        support,
        color="black",
        linestyle="--",
        label=f"edge of support ({gap.outside_fraction:.0%} outside)",
    )
    return _finish(
        ax, "distance to the nearest training simulations (embedding)", "density"
    )


def plot_mechanism_explanation(explanation: Any, i: int = 0, *, fig: Any = None) -> Any:
    """One explained row: its mechanism shares and its neighbours' parameters.

    A bar chart of the mechanism posterior (for a mixture), then one
    histogram per parameter of the neighbours' values, weighted, with their
    mean and central interval. Parameters with one value among all the
    neighbours (fixed by the simulator) are named in the title instead.

    Parameters
    ----------
    explanation : MechanismExplanation
        From :func:`sgnn_sklearn.attribution.explain_mechanism`.
    i : int, default=0
        Which explained row.
    fig : matplotlib.figure.Figure, default=None
        Figure to draw into; a new one when None.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn into.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sgnn_sklearn.attribution import MechanismExplanation
    >>> e = MechanismExplanation(
    ...     ("a", "b"), np.array([[0.3, 0.7]]), ("k",), np.array([[1.0]]),
    ...     np.array([[0.5]]), np.array([[1.5]]), 0.9, np.array([[3, 4]]),
    ...     np.array([[0.1, 0.2]]), np.array([[0.5, 0.5]]),
    ...     np.array([[[0.5], [1.5]]]), np.array([["a", "b"]]))
    >>> len(plot_mechanism_explanation(e, 0).axes)
    2
    """
    plt = _pyplot()
    if not -len(explanation) <= i < len(explanation):
        raise IndexError(
            f"row {i} is out of range: the explanation has {len(explanation)} rows."
        )
    # A parameter that does not vary among the neighbours (fixed by the
    # simulator, or absent from their mechanisms) gets no panel, only a mention.
    shown, constant = [], []
    for j, name in enumerate(explanation.param_names):
        values = explanation.neighbor_params[i, :, j]
        values = values[np.isfinite(values)]
        if values.size and np.ptp(values) > 0:
            shown.append(j)
        else:
            constant.append(
                f"{name}={values[0]:.3g}" if values.size else f"{name}: none"
            )
    n_panels = len(shown) + (explanation.mechanism_proba is not None)
    if fig is None:
        fig = plt.figure(figsize=(3.2 * max(n_panels, 1), 3))
    axes = fig.subplots(1, max(n_panels, 1), squeeze=False)[0]
    panels = iter(axes)
    if explanation.mechanism_proba is not None:
        ax = next(panels)
        ax.bar(list(explanation.mechanism_names), explanation.mechanism_proba[i])
        ax.set_ylim(0, 1)
        ax.set_ylabel("share of neighbours")
        ax.set_title("mechanism")
    weights = explanation.neighbor_weight[i]
    for j in shown:
        name = explanation.param_names[j]
        ax = next(panels)
        values = explanation.neighbor_params[i, :, j]
        present = np.isfinite(values)
        if present.any():
            ax.hist(values[present], bins=20, weights=weights[present], alpha=0.6)
        ax.axvline(explanation.param_mean[i, j], color="black", label="mean")
        ax.axvspan(
            explanation.param_lower[i, j],
            explanation.param_upper[i, j],
            color="grey",
            alpha=0.2,
            label=f"{explanation.coverage:.0%} interval",
        )
        ax.set_title(name)
        ax.legend(fontsize="small")
    title = f"row {i}: {explanation.neighbor_index.shape[1]} nearest simulations"
    if constant:
        title += "; the same in all: " + ", ".join(constant)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
