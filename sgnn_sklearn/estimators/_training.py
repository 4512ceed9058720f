"""The skorch training loop: the zero-shot training and the fine-tuning."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from skorch.callbacks import EarlyStopping
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from ._averaging import WeightAverage
from ._batches import PREDICT_BATCH_SIZE, iterate_batches
from ._divergence import FiniteLoss
from ._finetune import MIN_LABELS, choose_epochs, finetune_lr
from ._inputs import check_hidden_layer_sizes
from ._interrupts import InterruptGuard, warn_if_interrupted
from ._networks import ARCHITECTURES, OPTIMIZER_KWARGS
from ._online import ForgetBatches, SimulationStream
from ._seeding import fit_generator

# Below this many samples no validation share is held out for early stopping;
# training then stops when the training loss stops improving.
MIN_SAMPLES_FOR_VALIDATION = 20
# validation_fraction="auto" holds out a tenth of the samples, and at least
# AUTO_VALIDATION_ROWS of them while that is at most a fifth: the validation
# loss decides when to stop and when to cut the learning rate, and on a
# hundred rows its noise decided too early (benchmarks/README.md, "How much
# to hold out for early stopping").
AUTO_VALIDATION_SHARE = 0.1
AUTO_VALIDATION_ROWS = 1000
AUTO_VALIDATION_MAX_SHARE = 0.2


def auto_validation_rows(n_samples: int) -> int:
    """Samples held out for early stopping with ``validation_fraction="auto"``.

    A tenth of them, or ``AUTO_VALIDATION_ROWS`` if that is more and at most
    a fifth of them (a fifth otherwise): 10% from 10,000 samples on, 20% up
    to 5,000.

    Examples
    --------
    >>> [auto_validation_rows(n) for n in (1_000, 5_000, 8_000, 10_000, 10**5)]
    [200, 1000, 1000, 1000, 10000]
    """
    share = int(np.ceil(AUTO_VALIDATION_SHARE * n_samples))
    floor = min(
        AUTO_VALIDATION_ROWS, int(np.ceil(AUTO_VALIDATION_MAX_SHARE * n_samples))
    )
    return max(share, floor)


class TrainingMixin:
    """Train the estimator's skorch net, and fine-tune it on real labels."""

    # Set by the estimator (its parameters and fit) that inherits this mixin.
    architecture: Any
    hidden_layer_sizes: Any
    dropout: float
    max_epochs: int
    lr: float
    batch_size: int
    early_stopping: bool
    validation_fraction: float | str
    n_iter_no_change: Any
    finetune_lr: float | None
    average_weights: bool
    verbose: int
    net_: Any
    n_epochs_: int
    n_finetune_epochs_: int
    _device: str
    _seeds: dict[str, int]
    _interrupted: bool

    # Provided by the estimator: a skorch net, not yet initialised.
    _make_net: Callable[..., Any]

    def _split(
        self, n_samples: int, presplit: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Indices for training and for early-stopping validation.

        Simulations are i.i.d. draws, so their last share serves as validation;
        real data are shuffled first.
        """
        n_valid = self._n_validation(n_samples)
        if not n_valid:
            return np.arange(n_samples), None
        order = (
            np.arange(n_samples)
            if presplit
            else np.random.RandomState(self._seeds["split"]).permutation(n_samples)
        )
        return order[n_valid:], order[:n_valid]

    def _n_validation(self, n_samples: int) -> int:
        """Size of the early-stopping validation share (0 when none is held out)."""
        if not self.early_stopping or n_samples < MIN_SAMPLES_FOR_VALIDATION:
            return 0
        if self.validation_fraction == "auto":
            return auto_validation_rows(n_samples)
        n_valid = int(np.ceil(self.validation_fraction * n_samples))
        if n_valid >= n_samples:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} holds out "
                f"{n_valid} of {n_samples} samples for early stopping and leaves "
                "none to train on; use more samples (n_simulations) or a "
                "smaller validation_fraction."
            )
        return n_valid

    def _train(
        self,
        X: np.ndarray | SimulationStream,
        targets: np.ndarray | None,
        n_outputs: int | None,
        *,
        presplit: bool = False,
        finetune: bool = False,
        on_interrupt_note: str | None = None,
    ) -> None:
        if finetune:
            assert isinstance(X, np.ndarray) and targets is not None
            self._finetune(X, targets, on_interrupt_note)
            return
        self.n_finetune_epochs_ = 0
        if isinstance(X, SimulationStream):
            validation = X.validation
        else:
            # Only a stream carries its own targets.
            assert targets is not None
            train, valid = self._split(len(X), presplit)
            # Views when the rows are a range (simulations, split as drawn):
            # not a copy of the validation inputs (23 MB at 10^6 series).
            validation = (
                None if valid is None else (_take(X, valid), _take(targets, valid))
            )
            X, targets = _take(X, train), _take(targets, train)
        train_split = (
            None if validation is None else predefined_split(Dataset(*validation))
        )
        callbacks: list[tuple[str, Any]] = []
        if self.average_weights:
            # Before early stopping, which is to store and restore the average.
            callbacks.append(("average_weights", WeightAverage()))
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="train_loss" if validation is None else "valid_loss",
                        patience=self._patience(),
                        load_best=True,
                    ),
                )
            )
        if isinstance(X, SimulationStream):
            callbacks.append(("forget_batches", ForgetBatches()))
        guard = InterruptGuard()
        callbacks.append(("interrupt_guard", guard))
        callbacks.append(
            ("finite_loss", FiniteLoss(type(self).__name__, "lr", self.lr))
        )
        with self._training_generator(finetune=False):
            module, module_kwargs = self._module()
            self.net_ = self._make_net(
                module=module,
                **{f"module__{k}": v for k, v in module_kwargs.items()},
                module__n_features=(
                    X.n_features if isinstance(X, SimulationStream) else X.shape[1]
                ),
                module__n_outputs=n_outputs,
                optimizer=torch.optim.Adam,
                **{f"optimizer__{k}": v for k, v in OPTIMIZER_KWARGS.items()},
                lr=self.lr,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                iterator_train=iterate_batches,
                iterator_train__shuffle=True,
                iterator_valid=iterate_batches,
                iterator_valid__batch_size=max(self.batch_size, PREDICT_BATCH_SIZE),
                train_split=train_split,
                callbacks=callbacks,
                device=self._device,
                verbose=self.verbose,
            )
            self.net_.fit(X, targets)
        for _, callback in self.net_.callbacks_:
            if getattr(callback, "lr_scheduler_", None) is not None:
                # The schedule is spent, and it refers to the optimiser: pickled
                # by value with the callbacks, it would tie a model trained on
                # a GPU to a GPU (skorch maps only the module and optimiser).
                callback.lr_scheduler_ = None
        self.n_epochs_ = len(self.net_.history)
        self._interrupted = warn_if_interrupted(
            guard, self.net_, type(self).__name__, on_interrupt_note or ""
        )

    def _finetune(
        self, X: np.ndarray, targets: np.ndarray, on_interrupt_note: str | None
    ) -> None:
        """Continue training on real labels as far as held-out labels support.

        With ``early_stopping``, cross-validation on the labels chooses the
        number of epochs, 0 included (see ``_finetune.choose_epochs``), and
        that many are run on all of them; without it, ``max_epochs`` are.
        """
        lr = finetune_lr(self.lr, self.finetune_lr)
        self.net_.set_params(lr=lr)
        self.net_.train_split = None
        guard = InterruptGuard()
        with self._training_generator(finetune=True):
            if not self.early_stopping:
                n_epochs = self.max_epochs
            elif len(X) < MIN_LABELS:
                n_epochs = 0
                warnings.warn(
                    f"{type(self).__name__}: {len(X)} labelled series cannot be "
                    "split to check whether fine-tuning helps; the zero-shot "
                    "network is kept. Pass at least "
                    f"{MIN_LABELS}, or set early_stopping=False to fine-tune "
                    "without a check.",
                    UserWarning,
                    stacklevel=4,
                )
            else:
                n_epochs, _, interrupted = choose_epochs(
                    self.net_,
                    X,
                    targets,
                    max_epochs=self.max_epochs,
                    patience=self._patience(),
                    random_state=self._seeds["split"],
                )
                if interrupted:
                    self._interrupted = True
                    warnings.warn(
                        f"{type(self).__name__}: fine-tuning was interrupted "
                        "(KeyboardInterrupt) while the labels were deciding how "
                        "far to move; the zero-shot network is kept.",
                        UserWarning,
                        stacklevel=4,
                    )
                    n_epochs = 0
            self.n_finetune_epochs_ = n_epochs
            if not n_epochs:
                return
            max_epochs = self.net_.max_epochs
            self.net_.set_params(max_epochs=n_epochs)
            self.net_.callbacks = [
                ("interrupt_guard", guard),
                ("finite_loss", FiniteLoss(type(self).__name__, "finetune_lr", lr)),
            ]
            self.net_.initialize_callbacks()
            self.net_.partial_fit(X, targets)
            self.net_.set_params(max_epochs=max_epochs)
        self.n_epochs_ = len(self.net_.history)
        self._interrupted = warn_if_interrupted(
            guard, self.net_, type(self).__name__, on_interrupt_note or ""
        )

    def _patience(self) -> int:
        """Epochs without improvement before early stopping ends training."""
        return int(self.n_iter_no_change)

    @contextmanager
    def _training_generator(self, finetune: bool) -> Iterator[None]:
        """Seed this training phase's own generator (see ``_seeding``).

        A custom architecture may draw from torch's global generator in its
        forward; it is seeded too, and restored afterwards, as before
        generators of their own.
        """
        seed = self._seeds["torch"] + int(finetune)
        with fit_generator(seed):
            if isinstance(self.architecture, str):
                yield
                return
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                yield

    def _module(self) -> tuple[Any, dict[str, Any]]:
        module = (
            ARCHITECTURES[self.architecture]
            if isinstance(self.architecture, str)
            else self.architecture
        )
        sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        return module, {"hidden_layer_sizes": sizes, "dropout": self.dropout}


def _take(array: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """``array[indices]``, as a view (no copy) when the indices are a range."""
    if len(indices) and np.array_equal(
        indices, np.arange(indices[0], indices[0] + len(indices))
    ):
        return array[indices[0] : indices[0] + len(indices)]
    return array[indices]
