"""Experiment ``few-labels``: simulation-grounded vs learners trained on few labels.

R0 from 60 days of reported incidence. The SGNN is trained on the SIR
simulator only; the "real" series come from a held-out generator it does not
match (reports three times more overdispersed, and delayed by 2 days on
average). A scientist has ``n`` in {20, 50, 200} labelled real series. On
them, every method is scored with ``cross_val_score`` (5 folds): the
scikit-learn learners and the fine-tuned SGNN are trained on each fold's
training part, and the zero-shot SGNN, which uses no label, is scored on the
same folds' test parts. Each method is also fitted on all ``n`` labels and
scored on a large held-out real set, which measures the same thing with less
noise than folds of 4 to 40 series.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted

from ..demo import log_counts
from ..simulators import SIR, Overdispersed, ReportingDelay
from ._misspecification import (
    MAX_EPOCHS,
    N_SIMULATIONS,
    rmse,
    simulation_trained,
)

N_DAYS = 60
N_LABELS = (20, 50, 200)
# Budgets: (quick, full).
N_FOLDS = {True: 3, False: 5}
N_REPEATS = {True: 1, False: 2}  # independent labelled sets per n
N_HELD_OUT = {True: 500, False: 2_000}
# The diagnostic fine-tuning variant (full mode only) takes the simulation
# phase's full step instead of the default tenth of it.
FULL_STEP = 1.0


class FineTunedCopy(RegressorMixin, BaseEstimator):
    """Fine-tune a copy of an already simulation-trained SGNN on labelled data.

    ``SimulationGroundedRegressor(simulator).fit(X, y)`` trains on
    simulations and then fine-tunes; with an int ``random_state`` the first
    phase gives the same network every time. This estimator skips repeating
    it: ``fit(X, y)`` deep-copies ``zero_shot`` and runs only the second
    phase, so cross-validation costs one simulation training, not one per
    fold. ``clone`` keeps the same fitted ``zero_shot``.

    Parameters
    ----------
    zero_shot : SimulationGroundedRegressor
        Fitted on a simulator, with ``real_data="finetune"``.
    lr_scale : float, default=None
        Fine-tune with ``lr_scale`` times the learning rate of ``zero_shot``;
        None keeps its ``finetune_lr``.

    Attributes
    ----------
    model_ : SimulationGroundedRegressor
        The fine-tuned copy.

    Examples
    --------
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian(n_features=3)
    >>> zero_shot = SimulationGroundedRegressor(
    ...     sim, n_simulations=300, max_epochs=3, random_state=0).fit()
    >>> real = sim.simulate(30, random_state=1)
    >>> FineTunedCopy(zero_shot).fit(real.X, real.y).predict(real.X).shape
    (30,)
    """

    def __init__(self, zero_shot: Any, lr_scale: float | None = None) -> None:
        self.zero_shot = zero_shot
        self.lr_scale = lr_scale

    def __sklearn_clone__(self) -> FineTunedCopy:
        # clone() would clone zero_shot too, unfitted; keep the fitted one.
        return FineTunedCopy(self.zero_shot, lr_scale=self.lr_scale)

    def fit(self, X: Any, y: Any) -> FineTunedCopy:
        """Copy ``zero_shot`` and fine-tune the copy on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Real inputs.
        y : array-like of shape (n_samples,)
            Real targets.

        Returns
        -------
        self
            The fitted estimator.

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=2)
        >>> zero_shot = SimulationGroundedRegressor(
        ...     sim, n_simulations=200, max_epochs=2, random_state=0).fit()
        >>> real = sim.simulate(25, random_state=1)
        >>> FineTunedCopy(zero_shot).fit(real.X, real.y).model_.n_features_in_
        2
        """
        check_is_fitted(self.zero_shot)
        if self.zero_shot.simulator_ is None or self.zero_shot.real_data != "finetune":
            raise ValueError(
                "FineTunedCopy needs an SGNN fitted on a simulator with "
                f"real_data='finetune'; got {self.zero_shot!r}."
            )
        if self.lr_scale is not None and not self.lr_scale > 0:
            raise ValueError(
                f"lr_scale must be positive or None; got {self.lr_scale!r}."
            )
        model = copy.deepcopy(self.zero_shot)
        if self.lr_scale is not None:
            model.set_params(finetune_lr=model.lr * self.lr_scale)
        # The second phase of fit(X, y), as SimulationGroundedRegressor runs it.
        model._use_real_data(X, y, model.n_features_in_)
        self.model_ = model
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict with the fine-tuned copy.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples,)

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=2)
        >>> zero_shot = SimulationGroundedRegressor(
        ...     sim, n_simulations=200, max_epochs=2, random_state=0).fit()
        >>> real = sim.simulate(25, random_state=1)
        >>> FineTunedCopy(zero_shot).fit(real.X, real.y).predict(real.X[:2]).shape
        (2,)
        """
        check_is_fitted(self)
        prediction: np.ndarray = self.model_.predict(X)
        return prediction


def _learners(seed: int, zero_shot: Any, quick: bool) -> dict[str, Any]:
    """Every method, as an estimator that ``cross_val_score`` can fit."""
    full_step = {
        f"SGNN, fine-tuned, lr x {FULL_STEP:g}": FineTunedCopy(
            zero_shot, lr_scale=FULL_STEP
        )
    }
    return {
        "SGNN, zero-shot (no labels)": FrozenEstimator(zero_shot),
        "SGNN, fine-tuned": FineTunedCopy(zero_shot),
        **({} if quick else full_step),
        "RandomForest": make_pipeline(
            log_counts(), RandomForestRegressor(n_estimators=300, random_state=seed)
        ),
        "GradientBoosting": make_pipeline(
            log_counts(), GradientBoostingRegressor(random_state=seed)
        ),
        "Ridge (alpha by CV)": make_pipeline(
            log_counts(), RidgeCV(alphas=np.logspace(-3, 3, 13))
        ),
    }


def run(*, quick: bool, seed: int) -> Any:
    """Run the experiment at quick or full budgets; see the module docstring."""
    from ._result import ExperimentResult

    simulator = SIR(n_days=N_DAYS)
    reality = ReportingDelay(
        Overdispersed(SIR(n_days=N_DAYS, noise="poisson"), dispersion=3.0),
        delay_mean=2.0,
    )
    held_out = reality.simulate(N_HELD_OUT[quick], random_state=seed + 1)
    start = time.perf_counter()
    zero_shot = simulation_trained(simulator, quick=quick, seed=seed)
    sgnn_seconds = time.perf_counter() - start
    simulated = simulator.simulate(N_HELD_OUT[quick], random_state=seed + 2)
    simulated_rmse = rmse(zero_shot.predict(simulated.X), simulated.y)
    held_out_gap = zero_shot.simulation_gap(held_out.X).score

    columns = [
        "labels n",
        "method",
        "CV RMSE",
        "CV RMSE sd",
        "held-out RMSE",
    ]
    rows: list[list[Any]] = []
    for n in N_LABELS:
        scores: dict[str, list[float]] = {}
        for repeat in range(N_REPEATS[quick]):
            labelled = reality.simulate(n, random_state=seed + 100 * n + repeat)
            folds = KFold(N_FOLDS[quick], shuffle=True, random_state=seed + repeat)
            for name, learner in _learners(seed, zero_shot, quick).items():
                fold_scores = -cross_val_score(
                    learner,
                    labelled.X,
                    labelled.y,
                    cv=folds,
                    scoring="neg_root_mean_squared_error",
                )
                scores.setdefault(name, []).extend(fold_scores.tolist())
        # One fit on all n labels (of the first labelled set), scored on the
        # held-out real series.
        labelled = reality.simulate(n, random_state=seed + 100 * n)
        for name, learner in _learners(seed, zero_shot, quick).items():
            fitted = learner.fit(labelled.X, labelled.y)
            rows.append(
                [
                    n,
                    name,
                    float(np.mean(scores[name])),
                    float(np.std(scores[name])),
                    rmse(fitted.predict(held_out.X), held_out.y),
                ]
            )

    notes = _notes(rows, simulated_rmse, held_out_gap, quick)
    settings = {
        "seed": seed,
        "mode": "quick" if quick else "full",
        "n_days": N_DAYS,
        "reality": "SIR reports with negative-binomial size 3 (simulator: 10), "
        "delayed by a geometric delay of mean 2 days",
        "n_simulations": N_SIMULATIONS[quick],
        "max_epochs": MAX_EPOCHS[quick],
        "sgnn_epochs": zero_shot.n_epochs_,
        "sgnn_seconds": round(sgnn_seconds, 1),
        "folds": N_FOLDS[quick],
        "labelled_sets_per_n": N_REPEATS[quick],
        "n_held_out": N_HELD_OUT[quick],
    }
    return ExperimentResult(
        name="few-labels",
        columns=columns,
        rows=rows,
        settings=settings,
        notes=notes,
        figure=_figure(rows),
    )


def _notes(
    rows: list[list[Any]], simulated_rmse: float, gap: float, quick: bool
) -> list[str]:
    """What the table says, in words, from its own numbers."""
    by = {(row[0], row[1]): row for row in rows}
    zero = "SGNN, zero-shot (no labels)"
    tuned = "SGNN, fine-tuned"
    full = f"SGNN, fine-tuned, lr x {FULL_STEP:g}"
    others = ["RandomForest", "GradientBoosting", "Ridge (alpha by CV)"]
    zero_real = by[(N_LABELS[0], zero)][4]
    notes = [
        f"Zero-shot SGNN: held-out RMSE {zero_real:.3f} on the real series vs "
        f"{simulated_rmse:.3f} on series from the simulator itself (simulation "
        f"gap score {gap:.2f}): the misspecification costs it "
        f"{100 * (zero_real / simulated_rmse - 1):.0f}%.",
    ]
    n_worse = 0
    noisy = []
    for n in N_LABELS:
        best_other = min(others, key=lambda name: by[(n, name)][4])
        z, t = by[(n, zero)], by[(n, tuned)]
        worse = t[4] > z[4]
        n_worse += worse
        extra = (
            f"; fine-tuned with lr x {FULL_STEP:g} {by[(n, full)][4]:.3f}"
            if (n, full) in by
            else ""
        )
        notes.append(
            f"n={n}: held-out RMSE zero-shot {z[4]:.3f}, fine-tuned {t[4]:.3f} "
            f"({'worse' if worse else 'not worse'}){extra}; best label-only "
            f"learner {best_other} {by[(n, best_other)][4]:.3f}. CV RMSE (mean, "
            f"sd over folds): zero-shot {z[2]:.3f} ({z[3]:.3f}), fine-tuned "
            f"{t[2]:.3f} ({t[3]:.3f})."
        )
        if (t[2] < z[2]) != (t[4] < z[4]) and abs(t[2] - z[2]) < max(t[3], z[3]):
            noisy.append(n)
    notes.append(
        f"Fine-tuning was worse than zero-shot on the held-out set at {n_worse} "
        f"of {len(N_LABELS)} label counts. It continues training at a tenth of "
        "the simulation learning rate for the number of epochs that 5-fold "
        "cross-validation on the labels chooses, 0 (the zero-shot network) "
        "included, so it moves only as far as held-out labels support."
    )
    if noisy:
        notes.append(
            "Cross-validation and the held-out set disagree on whether "
            f"fine-tuning helps at n={', '.join(map(str, noisy))}: the held-out "
            "column is one fit on one labelled set, the CV column averages fits "
            "on many; the difference is within the spread over folds."
        )
    if any((n, full) in by for n in N_LABELS):
        n_full_worse = sum(by[(n, full)][4] > by[(n, zero)][4] for n in N_LABELS)
        notes.append(
            f"At the full simulation learning rate (lr x {FULL_STEP:g}), with the "
            f"same choice of epochs, fine-tuning was worse than zero-shot at "
            f"{n_full_worse} of {len(N_LABELS)} label counts."
        )
    if quick:
        notes.append("Quick mode: small budgets, the numbers are not the claims.")
    return notes


def _figure(rows: list[list[Any]]) -> Any:
    """Held-out RMSE against the number of labels, one line per method."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5))
    ax = figure.subplots()
    names = list(dict.fromkeys(row[1] for row in rows))
    for name in names:
        points = [(row[0], row[4]) for row in rows if row[1] == name]
        ns, errors = zip(*points, strict=True)
        style = "--" if name.startswith("SGNN, zero-shot") else "-"
        ax.plot(ns, errors, style, marker="o", label=name)
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks(list(N_LABELS), [str(n) for n in N_LABELS])
    ax.set_xlabel("labelled real series n")
    ax.set_ylabel("RMSE of R0 on held-out real series")
    ax.set_title("Few labels: simulation-grounded vs label-trained")
    ax.legend(fontsize=8)
    return figure
