"""Deep ensembles and the training recipe shared by the regressor and the classifier.

``n_estimators`` networks are trained on the same simulations and the same
validation share, each from its own initialisation and shuffling; the
predictions combine them (the classifier averages probabilities, the
regressor takes the mixture's mean and total variance). The first member is
trained exactly as a single network would be, so ``n_estimators=1`` is the
plain fit, bit for bit.

The recipe's other options live here too: weight decay (AdamW), the
learning rate divided on a plateau of the monitored loss (skorch's
``LRScheduler`` with ``ReduceLROnPlateau``), and widths and patience that
follow the number of training samples (``"auto"``).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np
import torch
from skorch.callbacks import LRScheduler

from .._pages import forget_rows, spill_to_file
from ..simulators import Simulation
from ..simulators._latent import draws_latent_apart
from ._base import BaseSimulationGrounded
from ._fresh_noise import (
    FreshObservations,
    LatentDraws,
    counts_as_float32,
    epoch_generator,
    noise_can_be_redrawn,
)
from ._networks import ARCHITECTURES
from ._online import SimulationStream

# "auto" width: one hidden layer whose width grows with the training set,
# between these bounds (see auto_layer_sizes).
AUTO_WIDTH_BOUNDS = (64, 256)
# "auto" patience: this many epochs at 10,000 training samples, more for
# fewer samples (fewer optimiser steps per epoch), between these bounds.
AUTO_PATIENCE_AT_10K = 30
AUTO_PATIENCE_BOUNDS = (10, 50)
# The plateau schedule divides the learning rate by this factor when the
# monitored loss has not improved for a third of the early-stopping patience.
PLATEAU_FACTOR = 0.3


def member_seed(seed: int, member: int) -> int:
    """The torch seed of ensemble member ``member``, derived from the fit's seed.

    Member 0 keeps the fit's own seed, so that a one-member ensemble is the
    plain network bit for bit; the others get independent seeds.

    Examples
    --------
    >>> member_seed(7, 0)
    7
    >>> member_seed(7, 1) != member_seed(7, 2) != 7
    True
    """
    if member == 0:
        return int(seed)
    state = np.random.SeedSequence([int(seed), int(member)]).generate_state(1)
    return int(state[0] % np.iinfo(np.int32).max)


def auto_layer_sizes(n_train: int) -> tuple[int]:
    """One hidden layer whose width follows the number of training samples.

    The width is the power of two nearest to ``sqrt(n_train) * 1.28``
    (128 at 10,000 samples), kept within ``AUTO_WIDTH_BOUNDS``. One layer:
    on the benchmark problems (LinearGaussian at 1e3 and 1e4 simulations,
    SIR at 1e4) ensembles of one layer of 64-128 were more accurate than of
    two (see benchmarks/README.md).

    Examples
    --------
    >>> auto_layer_sizes(1_000), auto_layer_sizes(10_000), auto_layer_sizes(10**6)
    ((64,), (128,), (256,))
    """
    low, high = AUTO_WIDTH_BOUNDS
    width = 2 ** round(np.log2(max(1.28 * np.sqrt(max(n_train, 1)), 1)))
    return (int(np.clip(width, low, high)),)


def auto_patience(n_train: int) -> int:
    """Early-stopping patience that follows the number of training samples.

    Small sets take few optimiser steps per epoch, so they are given more
    epochs: ``AUTO_PATIENCE_AT_10K * sqrt(10_000 / n_train)``, within
    ``AUTO_PATIENCE_BOUNDS``.

    Examples
    --------
    >>> auto_patience(1_000), auto_patience(10_000), auto_patience(100_000)
    (50, 30, 10)
    """
    low, high = AUTO_PATIENCE_BOUNDS
    value = AUTO_PATIENCE_AT_10K * np.sqrt(10_000 / max(n_train, 1))
    return int(np.clip(round(value), low, high))


class EnsembleBase(BaseSimulationGrounded):
    """Base class that trains ``n_estimators`` networks and the recipe's options.

    Subclasses combine the members' predictions (``nets_``); ``net_`` is the
    first member, whose last hidden layer serves ``explain_mechanism``,
    ``simulation_gap`` and the memory bank.
    """

    # Declared for type checkers: assigned in ``_train``.
    nets_: list[Any]

    def _train(
        self,
        X: Any,
        targets: Any,
        n_outputs: int | None,
        *,
        presplit: bool = False,
        finetune: bool = False,
        on_interrupt_note: str | None = None,
    ) -> None:
        if isinstance(X, SimulationStream):
            self._n_train = X.n_samples
        else:
            self._n_train = len(X) - self._n_validation(len(X))
        # Latent trajectories that this fit's _simulate drew (fresh noise only).
        self._fresh_latent = None if finetune else self.__dict__.pop("_latent", None)
        n_members = len(self._members()) if finetune else self.n_estimators
        seed = self._seeds["torch"]
        trained: list[Any] = []
        epochs: list[int] = []
        try:
            for member in range(n_members):
                self._seeds["torch"] = member_seed(seed, member)
                if finetune:
                    self.net_ = self._members()[member]
                super()._train(
                    X,
                    targets,
                    n_outputs,
                    presplit=presplit,
                    finetune=finetune,
                    on_interrupt_note=on_interrupt_note,
                )
                trained.append(self.net_)
                epochs.append(self.n_epochs_)
                if self._interrupted:
                    break
        finally:
            self._seeds["torch"] = seed
            # skorch ends a training that raised without on_train_end: the
            # draw of the next epoch's noise may still be running; no thread
            # outlives fit, and a failed fit holds no trajectories.
            fresh = self.__dict__.pop("_fresh_noise", None)
            if fresh is not None:
                fresh.let_go()
            # Not kept: the heads train on the first draw, and a fitted model
            # does not need them (458 MB at 10^6 series of 60 days, freed
            # before the heads take their own memory).
            self._fresh_latent = None
        # An interrupted fine-tuning keeps the members it did not reach as they were.
        self.nets_ = trained + (self._members()[len(trained) :] if finetune else [])
        self.net_ = self.nets_[0]
        self.n_epochs_ = epochs[0]
        self._after_training(X, targets, presplit=presplit, finetune=finetune)

    def _after_training(
        self, X: Any, targets: Any, *, presplit: bool, finetune: bool
    ) -> None:
        """What follows the members' training (the regressor's uncertainty heads)."""

    def _fit_simulations(self, simulator: Any, interrupt_note: str | None) -> None:
        try:
            super()._fit_simulations(simulator, interrupt_note)
        finally:
            # A fit that fails before training keeps no latent trajectories
            # (nor the temporary file they may be kept in).
            self.__dict__.pop("_latent", None)

    def _simulate(self, simulator: Any, n_samples: int | None = None) -> Simulation:
        offline = self.simulation == "offline"
        if self.observation_noise == "auto":
            fresh = offline and noise_can_be_redrawn(simulator)
        else:
            fresh = self.observation_noise == "fresh" and offline
        if fresh and not draws_latent_apart(simulator):
            warnings.warn(
                "observation_noise='fresh' draws new noise around latent "
                "trajectories, which only a simulator with simulate_latent and "
                f"observe (a LatentSimulator) offers; {type(simulator).__name__} "
                "does not, so its simulations are trained on as drawn.",
                UserWarning,
                stacklevel=4,
            )
            fresh = False
        self.observation_noise_ = "fresh" if fresh else "fixed"
        if not fresh:
            return super()._simulate(simulator, n_samples)
        latent = super()._simulate(LatentDraws(simulator), n_samples)
        # Read once an epoch and held all through training (458 MB at 10^6
        # series of 60 days, twice the float32 inputs): from 128 MiB on, kept
        # in a temporary file whose pages leave memory as each block is read.
        latent = replace(latent, X=spill_to_file(latent.X))
        self._latent = latent
        seed = self._seeds["simulate"]
        # Only LogCounts or no preprocessor reads float32 counts as float64.
        if self.preprocessor is None or isinstance(self.preprocessor, str):
            X = counts_as_float32(simulator, latent, epoch_generator(seed, 0))
            if X is not None:
                self._counts_as_float32 = True
                return replace(latent, X=X)
        observed = simulator.observe(latent, epoch_generator(seed, 0))
        forget_rows(latent.X, slice(None))
        return observed

    def _patience(self) -> int:
        if self.n_iter_no_change == "auto":
            return auto_patience(self._n_train)
        return int(self.n_iter_no_change)

    def _module(self) -> tuple[Any, dict[str, Any]]:
        module, kwargs = super()._module() if self._fixed_width() else (None, {})
        if module is None:
            module = (
                ARCHITECTURES[self.architecture]
                if isinstance(self.architecture, str)
                else self.architecture
            )
            kwargs = {
                "hidden_layer_sizes": auto_layer_sizes(self._n_train),
                "dropout": self.dropout,
            }
        return module, kwargs

    def _fixed_width(self) -> bool:
        return not isinstance(self.hidden_layer_sizes, str)  # "auto" is the only str

    def _with_recipe(self, net_kwargs: dict[str, Any]) -> dict[str, Any]:
        """skorch net options with weight decay and the learning-rate schedule added.

        With no weight decay and a constant rate they are returned unchanged,
        so the network is trained exactly as before these options.
        """
        net_kwargs = dict(net_kwargs)
        if self._fresh_latent is not None:
            n_latent = len(self._fresh_latent)
            train = self._split(n_latent, presplit=True)[0]
            # Simulations are split as drawn, the training share last: it is
            # taken as a view, not a copy of nearly every latent trajectory.
            first = n_latent - len(train)
            assert np.array_equal(train, np.arange(first, n_latent))
            fresh = FreshObservations(
                self.simulator_,
                self._fresh_latent.take(slice(first, None)),
                # Each draw is the callback's alone: its memory is returned
                # block by block as it is standardised.
                partial(self._transform_inputs, release=True),
                self._seeds["simulate"],
                # Offline, the training inputs are the fit's own first draw.
                first_draw=self._fresh_latent,
            )
            net_kwargs["callbacks"] = [*net_kwargs["callbacks"], ("fresh_noise", fresh)]
            self._fresh_noise = fresh  # closed by _train, should training fail
        if self.weight_decay > 0:
            net_kwargs["optimizer"] = torch.optim.AdamW
            net_kwargs["optimizer__weight_decay"] = self.weight_decay
        if self.lr_schedule == "plateau":
            monitor = (
                "train_loss" if net_kwargs["train_split"] is None else "valid_loss"
            )
            schedule = LRScheduler(
                policy=torch.optim.lr_scheduler.ReduceLROnPlateau,
                monitor=monitor,
                factor=PLATEAU_FACTOR,
                patience=max(1, self._patience() // 3),
            )
            net_kwargs["callbacks"] = [
                *net_kwargs["callbacks"],
                ("lr_plateau", schedule),
            ]
        return net_kwargs

    def _members(self) -> list[Any]:
        """The trained networks (a model pickled before ensembles has only ``net_``)."""
        return self.__dict__.get("nets_") or [self.net_]

    def _member_seeds(self, offset: int) -> list[int]:
        """Each member's seed for what follows its training (heads), plus ``offset``."""
        return [
            member_seed(self._seeds["torch"], member) + offset
            for member in range(len(self._members()))
        ]
