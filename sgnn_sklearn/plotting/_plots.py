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
    _check_row(explanation, i)
    shown, fixed, absent = _varying_params(explanation, i)
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
    fig.suptitle("\n".join([title, *_unshown_params(fixed, absent)]))
    fig.tight_layout()
    return fig


def _check_row(explanation: Any, i: int) -> None:
    if not -len(explanation) <= i < len(explanation):
        raise IndexError(
            f"row {i} is out of range: the explanation has {len(explanation)} rows."
        )


def _varying_params(explanation: Any, i: int) -> tuple[list[int], list[str], list[str]]:
    """Parameters that vary among row ``i``'s neighbours, and those that do not.

    Returns the columns that vary, ``name=value`` for those with one value in
    every neighbour (fixed by the simulator), and the names of those no
    neighbour has (absent from their mechanisms).
    """
    shown, fixed, absent = [], [], []
    for j, name in enumerate(explanation.param_names):
        values = explanation.neighbor_params[i, :, j]
        values = values[np.isfinite(values)]
        if not values.size:
            absent.append(name)
        elif np.ptp(values) > 0:
            shown.append(j)
        else:
            fixed.append(f"{name}={values[0]:.3g}")
    return shown, fixed, absent


def _unshown_params(fixed: list[str], absent: list[str]) -> list[str]:
    """Lines that name the parameters a plot has no panel or interval for."""
    lines = []
    if fixed:
        lines.append("fixed in every neighbour: " + ", ".join(fixed))
    if absent:
        lines.append("not in the neighbours' mechanisms: " + ", ".join(absent))
    return lines


def plot_explanation_series(
    explanation: Any, i: int = 0, *, n_series: int = 50, fig: Any = None
) -> Any:
    """The observed series of row ``i`` over its nearest simulations' series.

    The left panel draws the row as the network compared it (after the
    estimator's ``preprocessor``, before standardisation) in black over the
    ``n_series`` nearest training simulations, coloured by mechanism for a
    mixture. Beside it: the share of each mechanism among all the
    neighbours, and each parameter's mean and central interval.

    Parameters
    ----------
    explanation : MechanismExplanation
        From :func:`sgnn_sklearn.attribution.explain_mechanism`.
    i : int, default=0
        Which explained row.
    n_series : int, default=50
        How many of the nearest simulations to draw (all the neighbours
        count in the shares and intervals).
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
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian(n_features=8)
    >>> est = SimulationGroundedRegressor(sim, 500, max_epochs=2,
    ...                                   random_state=0).fit()
    >>> explanation = est.explain_mechanism(sim.simulate(2, random_state=1).X,
    ...                                     n_neighbors=20)
    >>> len(plot_explanation_series(explanation, 1, n_series=10).axes)
    2
    """
    plt = _pyplot()
    _check_row(explanation, i)
    if explanation.series is None:
        raise ValueError(
            "This explanation holds no series (it was made without them, e.g. by "
            "an older sgnn_sklearn); explain the rows again with "
            "est.explain_mechanism(X) to plot them."
        )
    if fig is None:
        fig = plt.figure(figsize=(10, 4))
    mixture = explanation.mechanism_proba is not None
    grid = fig.add_gridspec(2 if mixture else 1, 2, width_ratios=(2.2, 1))
    ax = fig.add_subplot(grid[:, 0])
    positions = explanation.neighbor_position[i, :n_series]
    simulated = explanation.simulated_series[positions]
    steps = np.arange(simulated.shape[1])
    colours = {
        name: f"C{k}" for k, name in enumerate(explanation.mechanism_names or ())
    }
    labelled: set[str] = set()
    for k, row in enumerate(simulated):
        if mixture:
            mechanism = str(explanation.neighbor_mechanism[i, k])
            colour = colours[mechanism]
            label = None if mechanism in labelled else mechanism
            labelled.add(mechanism)
        else:
            colour = "tab:blue"
            label = None if k else "nearest simulations"
        ax.plot(steps, row, color=colour, alpha=0.35, linewidth=0.8, label=label)
    ax.plot(steps, explanation.series[i], color="black", linewidth=2, label="observed")
    ax.set_xlabel("feature (time step)")
    ax.set_ylabel("value (after the preprocessor)")
    ax.set_title(f"observed and its {len(simulated)} nearest simulations")
    ax.legend(fontsize="small")
    if mixture:
        bars = fig.add_subplot(grid[0, 1])
        names = list(explanation.mechanism_names)
        bars.barh(
            names, explanation.mechanism_proba[i], color=[colours[n] for n in names]
        )
        bars.set_xlim(0, 1)
        bars.set_title("share of the neighbours")
    text = fig.add_subplot(grid[-1, 1])
    text.axis("off")
    shown, fixed, absent = _varying_params(explanation, i)
    lines = [f"{explanation.coverage:.0%} interval among the neighbours:"]
    for j in shown:
        low, high = explanation.param_lower[i, j], explanation.param_upper[i, j]
        lines.append(
            f"{explanation.param_names[j]} = {explanation.param_mean[i, j]:.3g} "
            f"[{low:.3g}, {high:.3g}]"
        )
    lines += _unshown_params(fixed, absent)
    text.text(0, 1, "\n".join(lines), va="top", fontsize="small", wrap=True)
    n_neighbors = explanation.neighbor_index.shape[1]
    fig.suptitle(f"row {i}: what its {n_neighbors} nearest simulations say")
    fig.tight_layout()
    return fig
