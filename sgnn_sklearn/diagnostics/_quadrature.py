"""Adaptive tensor-product quadrature of a posterior on the prior's unit cube.

The machinery of :func:`reference_posterior` for simulators with a
``log_likelihood``: the prior as a map from the unit cube of its unknowns,
the grid's cells and their log posterior mass, the zoom onto the cells that
hold it, and the moments and marginal CDF tables of the finer grid.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import logsumexp

from ..simulators._prior import check_prior
from ._reference_result import ReferencePosterior

# The most unknown parameters a tensor-product grid integrates over.
MAX_GRID_PARAMS = 3
# Cells whose log posterior mass is this far below the largest are left out
# when the grid zooms in on where the posterior is (e^-25 ~ 1e-11).
ZOOM_DROP = 25.0
# Rows per vectorised likelihood call, to bound memory.
CHUNK_ROWS = 200_000


@dataclass(frozen=True)
class _UnitCube:
    """The prior as a map from the unit cube of its unknowns to parameters."""

    names: tuple[str, ...]
    priors: tuple[Any, ...]
    free: tuple[int, ...]
    fixed: np.ndarray

    @classmethod
    def of(cls, simulator: Any) -> _UnitCube:
        owner = type(simulator).__name__
        priors = simulator._priors()
        names = tuple(priors)
        free, fixed = [], np.full(len(names), np.nan)
        for j, (name, prior) in enumerate(priors.items()):
            check_prior(prior, name)
            if isinstance(prior, numbers.Real):
                fixed[j] = float(prior)
            elif isinstance(prior, tuple | list) and prior[0] == prior[1]:
                fixed[j] = float(prior[0])
            elif isinstance(prior, tuple | list) or callable(
                getattr(prior, "ppf", None)
            ):
                free.append(j)
            else:
                raise TypeError(
                    f"reference_posterior needs priors with a quantile function; "
                    f"{owner} has {name}={prior!r}, which has no ppf."
                )
        if len(free) > MAX_GRID_PARAMS:
            unknown = [names[j] for j in free]
            raise ValueError(
                f"reference_posterior integrates on a grid over at most "
                f"{MAX_GRID_PARAMS} unknown parameters; {owner} has {len(free)} "
                f"({', '.join(unknown)}). Fix the others by giving them a number "
                f"as prior, e.g. {owner}({unknown[-1]}=...)."
            )
        if not free:
            raise ValueError(
                f"reference_posterior: every parameter of {owner} is fixed by its "
                "prior; there is no posterior to compute."
            )
        targets = tuple(simulator.target_names)
        for target in targets:
            if target not in names or names.index(target) not in free:
                raise ValueError(
                    f"reference_posterior: target {target!r} of {owner} is not one "
                    f"of its unknown parameters {[names[j] for j in free]}; only "
                    "parameters with a non-degenerate prior can be targets here."
                )
        return cls(names, tuple(priors.values()), tuple(free), fixed)

    def params(self, u: np.ndarray) -> np.ndarray:
        """Parameter vectors (…, n_params) from points ``u`` (…, n_free)."""
        out = np.broadcast_to(self.fixed, (*u.shape[:-1], len(self.names))).copy()
        for k, j in enumerate(self.free):
            out[..., j] = self.value(j, u[..., k])
        return out

    def value(self, j: int, u: np.ndarray) -> np.ndarray:
        """Parameter ``j`` at prior quantile ``u``."""
        prior = self.priors[j]
        if isinstance(prior, tuple | list):
            low, high = float(prior[0]), float(prior[1])
            return low + u * (high - low)
        return np.asarray(prior.ppf(u), dtype=float)


def _offsets(n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell indices (n**d, d) of a tensor grid and their midpoints in [0, 1]."""
    index = np.stack(np.meshgrid(*[np.arange(n)] * d, indexing="ij"), axis=-1).reshape(
        -1, d
    )
    return index, (index + 0.5) / n


def _log_cell_mass(
    simulator: Any, space: _UnitCube, X: np.ndarray, boxes: np.ndarray, n: int
) -> np.ndarray:
    """Log posterior mass (unnormalised) of each cell of each box's grid.

    ``boxes`` has shape (n_obs, n_free, 2) on the unit cube; the result
    (n_obs, n**n_free) is the log-likelihood at the midpoint plus the log
    prior mass of the cell (its volume on the unit cube).
    """
    _, mid = _offsets(n, boxes.shape[1])
    low, width = boxes[..., 0], boxes[..., 1] - boxes[..., 0]
    n_points = len(mid)
    out = np.empty((len(X), n_points))
    per_chunk = max(1, CHUNK_ROWS // n_points)
    for start in range(0, len(X), per_chunk):
        rows = slice(start, start + per_chunk)
        u = low[rows, None] + mid[None] * width[rows, None]
        params = space.params(u).reshape(-1, len(space.names))
        series = np.repeat(X[rows], n_points, axis=0)
        with np.errstate(all="ignore"):
            values = np.asarray(simulator.log_likelihood(params, series), float)
        out[rows] = values.reshape(-1, n_points)
    out = np.where(np.isfinite(out), out, -np.inf)
    with np.errstate(divide="ignore"):
        log_volume = np.sum(np.log(width / n), axis=1)
    return out + log_volume[:, None]


def _zoom(boxes: np.ndarray, log_mass: np.ndarray, n: int) -> np.ndarray:
    """The boxes shrunk to the cells that hold non-negligible mass, plus one."""
    d = boxes.shape[1]
    index, _ = _offsets(n, d)
    peak = log_mass.max(axis=1, keepdims=True)
    keep = log_mass >= peak - ZOOM_DROP
    keep &= np.isfinite(peak)
    # Where nothing is finite the likelihood is zero on the whole grid: keep
    # the box (the result then says so through a zero evidence).
    keep[~keep.any(axis=1)] = True
    first = np.where(keep[..., None], index[None], n).min(axis=1)
    last = np.where(keep[..., None], index[None], -1).max(axis=1)
    low, width = boxes[..., 0], boxes[..., 1] - boxes[..., 0]
    new_low = np.clip(low + (first - 1) / n * width, 0.0, 1.0)
    new_high = np.clip(low + (last + 2) / n * width, 0.0, 1.0)
    return np.stack((new_low, new_high), axis=-1)


def _grid_moments(
    simulator: Any, space: _UnitCube, X: np.ndarray, boxes: np.ndarray, n: int
) -> dict[str, Any]:
    """Weights, moments on the unit cube, and mass at the box's edges."""
    d = boxes.shape[1]
    index, mid = _offsets(n, d)
    log_mass = _log_cell_mass(simulator, space, X, boxes, n)
    log_evidence = logsumexp(log_mass, axis=1)
    with np.errstate(invalid="ignore"):
        weights = np.exp(log_mass - log_evidence[:, None])
    weights = np.nan_to_num(weights)
    low, width = boxes[..., 0], boxes[..., 1] - boxes[..., 0]
    u = low[:, None] + mid[None] * width[:, None]
    theta = space.params(u)[..., list(space.free)]
    mean = np.einsum("np,npk->nk", weights, theta)
    var = np.einsum("np,npk->nk", weights, (theta - mean[:, None]) ** 2)
    # Outer cells on a side where the box was cut inside the prior's support.
    inner_low, inner_high = low > 0, low + width < 1
    edge = (index[None] == 0) & inner_low[:, None]
    edge |= (index[None] == n - 1) & inner_high[:, None]
    edge_mass = np.sum(weights * edge.any(axis=2), axis=1)
    return {
        "n": n,
        "boxes": boxes,
        "index": index,
        "u": u,
        "weights": weights,
        "log_evidence": log_evidence,
        "mean": mean,
        "std": np.sqrt(var),
        "edge_mass": edge_mass,
    }


def _grid_result(
    simulator: Any,
    space: _UnitCube,
    fine: dict[str, Any],
    change: np.ndarray,
    converged: np.ndarray,
) -> ReferencePosterior:
    """Means, sds and marginal CDF tables of the targets from the finer grid."""
    weights, u, n, boxes = fine["weights"], fine["u"], fine["n"], fine["boxes"]
    draws = space.params(u)
    targets = tuple(simulator.target_names)
    columns = [space.names.index(t) for t in targets]
    values = draws[..., columns]
    mean = np.einsum("np,npt->nt", weights, values)
    std = np.sqrt(np.einsum("np,npt->nt", weights, (values - mean[:, None]) ** 2))
    n_obs = len(weights)
    nodes = np.empty((n_obs, len(targets), n + 1))
    cdf = np.empty_like(nodes)
    for t, column in enumerate(columns):
        k = space.free.index(column)
        # The marginal mass of each cell along this axis, spread uniformly
        # over the cell on the prior's quantile scale.
        along = fine["index"][:, k]
        marginal = np.zeros((n_obs, n))
        for cell in range(n):
            marginal[:, cell] = weights[:, along == cell].sum(axis=1)
        edges_u = boxes[:, k, :1] + np.arange(n + 1) / n * np.diff(boxes[:, k], 1)
        nodes[:, t] = space.value(column, edges_u)
        cdf[:, t, 0] = 0.0
        cdf[:, t, 1:] = np.cumsum(marginal, axis=1)
    ess = 1.0 / np.maximum(np.sum(weights**2, axis=1), 1e-300)
    shaped = (lambda a: a[:, 0]) if len(targets) == 1 else (lambda a: a)
    return ReferencePosterior(
        target_names=targets,
        mean=shaped(mean),
        std=shaped(std),
        draws=draws,
        weights=weights,
        log_evidence=fine["log_evidence"],
        ess=ess,
        change=change,
        converged=converged,
        method="grid",
        _nodes=nodes,
        _cdf=cdf,
    )
