"""What the regressor and the classifier share: the fit forms and the training loop."""

from __future__ import annotations

import os
import warnings
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from .._caching import fit_zero_shot_cached, simulate_cached, warn_if_uncacheable
from .._pages import release_rows
from .._persistence import add_version, check_portable, check_version
from .._progress import progress
from ..preprocessing import LogCounts, auto_preprocessor
from ..simulators import Simulation, TruncatedSimulator, check_simulation
from ..simulators._validation import refuse_simulator_class
from ._batches import PREDICT_BATCH_SIZE, iterate_batches
from ._divergence import FiniteLoss
from ._faults import drop_invalid, warn_dropped_online
from ._finetune import MIN_LABELS, choose_epochs, finetune_lr
from ._fit_state import commit, fresh_copy
from ._inputs import (
    as_network_inputs,
    check_hidden_layer_sizes,
    match_simulated_feature_names,
    refuse_masked_values,
)
from ._interrupts import InterruptGuard, warn_if_interrupted
from ._memory import (
    embed_inputs,
    embed_or_drop,
    keep_simulations,
    warn_if_outside_support,
)
from ._networks import ARCHITECTURES
from ._online import ForgetBatches, SimulationStream, online_sizes
from ._real_data import check_real_data, check_real_width
from ._scaling import fit_standard_scaler
from ._seeding import fit_generator
from ._threads import uses_torch_threads

# Below this many samples no validation share is held out for early stopping;
# training then stops when the training loss stops improving.
MIN_SAMPLES_FOR_VALIDATION = 20
# Rows standardised at a time (a float64 block of 65,536 x 60 is 31 MB).
TRANSFORM_BLOCK_ROWS = 65_536


def is_simulator(obj: Any) -> bool:
    """True when ``obj`` follows the simulator protocol (has ``simulate``).

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> is_simulator(LinearGaussian()), is_simulator([[1.0]])
    (True, False)
    """
    return callable(getattr(obj, "simulate", None))


def _is_array_like(obj: Any) -> bool:
    return (
        hasattr(obj, "__array__") or hasattr(obj, "__len__") or hasattr(obj, "shape")
    ) and not isinstance(obj, str | bytes)


def resolve_device(device: str) -> str:
    """Map ``"auto"`` to a concrete device and reject CUDA when there is none.

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested, but torch finds no CUDA GPU "
            "(torch.cuda.is_available() is False). Use device='cpu' or 'auto'."
        )
    return device


class BaseSimulationGrounded(BaseEstimator):
    """Base class of the simulation-grounded estimators.

    It holds the three ways to fit (on a simulator, on labelled data, or both),
    the standardisation of inputs, and the skorch training loop. Subclasses
    say how targets are prepared and which skorch net is trained.
    """

    # Whether y may have several columns (regression) or must be 1-D (classes).
    _multi_output = True

    # Declared for type checkers: assigned in ``_train``, read again on finetuning.
    net_: Any
    memory_bank_: Any
    _interrupted: bool

    _parameter_constraints: dict = {
        "simulator": [HasMethods(["simulate"]), None],
        "n_simulations": [Interval(Integral, 1, None, closed="left")],
        "architecture": [StrOptions(set(ARCHITECTURES)), callable],
        "hidden_layer_sizes": ["array-like", StrOptions({"auto"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "preprocessor": [HasMethods(["fit", "transform"]), StrOptions({"auto"}), None],
        "real_data": [StrOptions({"finetune", "ignore"})],
        "finetune_lr": [Interval(Real, 0, None, closed="neither"), None],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "n_jobs": [
            Interval(Integral, None, -1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "simulation": [StrOptions({"offline", "online"})],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "on_invalid": [StrOptions({"drop", "raise"})],
        "min_valid_fraction": [Interval(Real, 0, 1, closed="both")],
        "memory_bank_size": [Interval(Integral, 0, None, closed="left")],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "lr_schedule": [StrOptions({"constant", "plateau"})],
        "observation_noise": [StrOptions({"auto", "fixed", "fresh"})],
    }

    def __init__(
        self,
        simulator: Any = None,
        n_simulations: int = 10_000,
        *,
        architecture: Any = "mlp",
        hidden_layer_sizes: Any = (128, 128),
        dropout: float = 0.0,
        max_epochs: int = 100,
        lr: float = 1e-3,
        batch_size: int = 128,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        preprocessor: Any = "auto",
        real_data: str = "finetune",
        finetune_lr: float | None = None,
        device: str = "cpu",
        n_jobs: int | None = None,
        n_threads: int | None = 1,
        random_state: Any = None,
        verbose: int = 0,
        simulation: str = "offline",
        memory: Any = None,
        on_invalid: str = "drop",
        min_valid_fraction: float = 0.5,
        memory_bank_size: int = 10_000,
        n_estimators: int = 1,
        weight_decay: float = 0.0,
        lr_schedule: str = "constant",
        observation_noise: str = "auto",
    ) -> None:
        self.simulator = simulator
        self.n_simulations = n_simulations
        self.architecture = architecture
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.preprocessor = preprocessor
        self.real_data = real_data
        self.finetune_lr = finetune_lr
        self.device = device
        self.n_jobs = n_jobs
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose
        self.simulation = simulation
        self.memory = memory
        self.on_invalid = on_invalid
        self.min_valid_fraction = min_valid_fraction
        self.memory_bank_size = memory_bank_size
        self.n_estimators = n_estimators
        self.weight_decay = weight_decay
        self.lr_schedule = lr_schedule
        self.observation_noise = observation_noise

    # -- what subclasses provide -------------------------------------------------

    @abstractmethod
    def _simulated_targets(
        self, simulation: Simulation
    ) -> tuple[np.ndarray, tuple[str, ...]]:
        """The targets to learn from a simulation, and their names."""

    @abstractmethod
    def _fit_targets(
        self, y: np.ndarray, names: tuple[str, ...] | None = None
    ) -> tuple[np.ndarray, int]:
        """Learn the target encoding; return encoded targets and output width."""

    @abstractmethod
    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        """Encode targets with the encoding learnt by ``_fit_targets``."""

    @abstractmethod
    def _make_net(self, **kwargs: Any) -> Any:
        """A skorch net, not yet initialised."""

    # -- fitting ----------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    @uses_torch_threads
    def fit(self, X: Any = None, y: Any = None) -> BaseSimulationGrounded:
        """Train on simulations, on labelled data, or on both.

        - ``fit()``: simulate ``n_simulations`` samples from ``self.simulator``
          and train on them.
        - ``fit(simulator)``: the same with the simulator passed here.
        - ``fit(X, y)`` with ``simulator=None``: ordinary supervised training.
        - ``fit(X, y)`` with a simulator: train on simulations, then use the
          real data as ``real_data`` says (``"finetune"`` or ``"ignore"``).
        - ``fit(X)`` with a simulator: train on simulations; ``X`` is only
          checked against the simulator's number of features.

        With a simulator and real ``X``, a ``SimulationGapWarning`` says so
        when most real rows lie outside the simulated support (see
        :meth:`simulation_gap`), and when at least 10 real rows are, as a
        set, distinguishable from held-out simulations at the 5% level (see
        :func:`sgnn_sklearn.diagnostics.simulation_gap_test`).

        Parameters
        ----------
        X : simulator, array-like of shape (n_samples, n_features) or None
            A simulator (any object with ``simulate(n_samples,
            random_state)``), real inputs, or nothing.
        y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
            Real targets for ``X``.

        Returns
        -------
        self
            The fitted estimator.

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=3)
        >>> est = SimulationGroundedRegressor(n_simulations=500, max_epochs=5,
        ...                                   random_state=0)
        >>> est.fit(sim).n_simulations_
        500
        >>> real = sim.simulate(40, random_state=1)
        >>> est.set_params(simulator=sim).fit(real.X, real.y).n_features_in_
        3
        """
        simulator, X, y = self._fit_form(X, y)
        fitted = fresh_copy(self)
        fitted._fit(simulator, X, y)
        commit(self, fitted)
        return self

    def _fit_form(self, X: Any, y: Any) -> tuple[Any, Any, Any]:
        """The simulator, real X and real y that ``fit(X, y)`` was given."""
        simulator = refuse_simulator_class(self.simulator)
        X = refuse_simulator_class(X, "the X passed to fit")
        X, y = refuse_masked_values(X, "X"), refuse_masked_values(y, "y")
        if X is not None and is_simulator(X):
            if y is not None:
                raise ValueError(
                    "fit(simulator) takes no y: the simulator supplies the targets. "
                    "Pass real data as fit(X, y) with simulator=... set instead."
                )
            simulator, X = X, None
        elif X is not None and not _is_array_like(X):
            raise TypeError(
                f"fit expects array-like X or a simulator; got a "
                f"{type(X).__name__}. A simulator is an object with a "
                "simulate(n_samples, random_state=None) method that returns a "
                "sgnn_sklearn.simulators.Simulation."
            )
        if simulator is None and X is None:
            raise ValueError(
                f"{type(self).__name__} has nothing to learn from: pass a simulator "
                "(fit(simulator), or simulator=... in the constructor), or labelled "
                "data as fit(X, y)."
            )
        if simulator is None and y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None: with no simulator, fit(X, y) needs labelled data."
            )
        return simulator, X, y

    def _fit(self, simulator: Any, X: Any, y: Any) -> None:
        """Fit this estimator, a :func:`fresh_copy` with no earlier fitted state."""
        rng = check_random_state(self.random_state)
        self._device = resolve_device(self.device)
        self._seeds = {
            key: int(rng.randint(np.iinfo(np.int32).max))
            for key in ("simulate", "torch", "split", "memory")
        }
        self._simulated_feature_names: tuple[str, ...] | None = None
        if simulator is None:
            X, y = validate_data(self, X, y, multi_output=self._multi_output)
            self.simulator_ = None
            self.n_simulations_ = 0
            self.n_invalid_simulations_ = 0
            self.memory_bank_ = None
            self._fit_inputs(X)
            targets, n_outputs = self._fit_targets(y)
            self._train(self._transform_inputs(X), targets, n_outputs)
            return

        warn_if_uncacheable(self.memory, self.random_state)
        if self.early_stopping and self.n_simulations < MIN_SAMPLES_FOR_VALIDATION:
            raise ValueError(
                f"n_simulations={self.n_simulations} is too few for early "
                "stopping, which holds out validation_fraction="
                f"{self.validation_fraction} of the simulations and needs at least "
                f"{MIN_SAMPLES_FOR_VALIDATION}: simulate more, or set "
                "early_stopping=False."
            )
        real = None if X is None else check_real_data(self, X, y, simulator)
        interrupt_note = (
            None if X is None else " Fine-tuning on the real data was skipped."
        )
        fit_zero_shot_cached(
            self, simulator, lambda: self._fit_simulations(simulator, interrupt_note)
        )
        if real is not None and not self._interrupted:
            self._use_real_data(X, y, self.n_features_in_, validated=real)

    def _fit_simulations(self, simulator: Any, interrupt_note: str | None) -> None:
        """Simulate and train on ``simulator``: the zero-shot phase of ``fit``."""
        if self.simulation == "online":
            self._fit_online(simulator, interrupt_note)
        else:
            simulation = self._simulate(simulator)
            self.simulator_ = simulator
            self.n_simulations_ = len(simulation)
            # Counts that _simulate held as float32 (exact) are read back as
            # float64 block by block: the same inputs as drawn in float64.
            upcast = self.__dict__.pop("_counts_as_float32", False)
            self._fit_inputs(simulation.X, upcast)
            self.n_features_in_ = simulation.X.shape[1]
            targets, n_outputs = self._fit_targets(*self._simulated_targets(simulation))
            # The raw simulations are not read again: each block's memory is
            # returned as it is standardised, and the rest freed before
            # training, which then holds the float32 inputs only.
            inputs = self._transform_inputs(simulation.X, release=True, upcast=upcast)
            simulation = replace(simulation, X=np.empty((len(simulation), 0)))
            self._train(
                inputs,
                targets,
                n_outputs,
                presplit=True,
                on_interrupt_note=interrupt_note,
            )
            self.memory_bank_ = keep_simulations(
                simulation,
                inputs,
                *self._split(len(inputs), presplit=True),
                size=self.memory_bank_size,
                random_state=self._seeds["memory"],
            )
        self._embed_memory_bank()

    def _simulate(self, simulator: Any, n_samples: int | None = None) -> Simulation:
        n_samples = self.n_simulations if n_samples is None else n_samples
        with progress(n_samples, self.verbose, "Simulating") as update:
            simulation = simulate_cached(
                simulator,
                n_samples,
                self._seeds["simulate"],
                memory=self.memory,
                n_jobs=self.n_jobs,
                progress=update,
            )
        simulation, self.n_invalid_simulations_ = drop_invalid(
            check_simulation(simulation, simulator, n_samples, allow_nonfinite=True),
            simulator,
            on_invalid=self.on_invalid,
            min_valid_fraction=self.min_valid_fraction,
            # "auto" chooses a transform defined on every input it is chosen for.
            preprocessor=None if self.preprocessor == "auto" else self.preprocessor,
        )
        self._simulated_feature_names = tuple(simulation.feature_names)
        return simulation

    def _fit_online(
        self, simulator: Any, interrupt_note: str | None = None
    ) -> np.ndarray:
        """Fit scalers on a fixed first chunk, then train on a fresh stream.

        Returns the fixed chunk's inputs (for the feature checks of real data).
        """
        n_fixed, n_train = online_sizes(
            self.n_simulations, self._n_validation(self.n_simulations)
        )
        fixed = self._simulate(simulator, n_fixed)
        self.simulator_ = simulator
        self._fit_inputs(fixed.X)
        self.n_features_in_ = fixed.X.shape[1]
        targets, n_outputs = self._fit_targets(*self._simulated_targets(fixed))
        inputs = self._transform_inputs(fixed.X)
        n_valid = self.n_simulations - n_train
        stream = SimulationStream(
            simulator,
            n_train,
            random_state=self._seeds["simulate"],
            encode=self._encode_simulation,
            n_jobs=self.n_jobs,
            n_features=inputs.shape[1],
            validation=(inputs[:n_valid], targets[:n_valid]) if n_valid else None,
            on_chunk=self._drop_invalid_online,
            feature_names=fixed.feature_names,
        )
        n_invalid_fixed, self._n_invalid_online = self.n_invalid_simulations_, 0
        self._train(stream, None, n_outputs, on_interrupt_note=interrupt_note)
        warn_dropped_online(
            self._n_invalid_online, stream.n_drawn, simulator, n_invalid_fixed
        )
        self.n_invalid_simulations_ = n_invalid_fixed + self._n_invalid_online
        self.n_simulations_ = len(fixed) + stream.n_drawn - self._n_invalid_online
        # The stream never trains on the fixed chunk, so its rows serve the
        # posterior's spread and the memory bank as fresh simulations.
        train, valid = _fixed_chunk_split(len(fixed), n_valid)
        self._fit_uncertainty(inputs, targets, train, valid)
        self.memory_bank_ = keep_simulations(
            fixed,
            inputs,
            train,
            valid,
            size=self.memory_bank_size,
            random_state=self._seeds["memory"],
        )
        return fixed.X

    def _drop_invalid_online(self, simulation: Simulation) -> Simulation:
        """The fault policy on one chunk of the online stream, counted, unwarned."""
        simulation, n_invalid = drop_invalid(
            simulation,
            self.simulator_,
            on_invalid=self.on_invalid,
            min_valid_fraction=self.min_valid_fraction,
            warn=False,
            preprocessor=self.preprocessor_,
            preprocessor_is_fitted=True,
        )
        self._n_invalid_online += n_invalid
        return simulation

    def _fit_uncertainty(
        self,
        inputs: np.ndarray,
        targets: np.ndarray,
        train: np.ndarray,
        valid: np.ndarray | None,
        finetune: bool = False,
    ) -> None:
        """Fit what predicts uncertainty beyond the network itself (none here)."""

    def _encode_simulation(
        self, simulation: Simulation
    ) -> tuple[np.ndarray, np.ndarray]:
        """The network's inputs and targets for a simulation, as fitted."""
        targets = self._simulated_targets(simulation)[0]
        return self._transform_inputs(simulation.X), self._encode_targets(targets)

    def _check_real_targets(self, y: np.ndarray) -> None:
        """Refuse real targets that cannot be learnt, before simulating."""

    def _use_real_data(
        self,
        X: Any,
        y: Any,
        n_sim_features: int,
        validated: tuple[Any, np.ndarray, Any] | None = None,
    ) -> None:
        """The real-data step of fit; ``validated``: check_real_data's result."""
        X_given, X, y = validated or check_real_data(self, X, y, self.simulator_)
        if hasattr(self, "feature_names_in_"):
            # The simulator declared no names: check them now it has simulated.
            match_simulated_feature_names(self, X_given)
            del self.feature_names_in_
        check_real_width(X, n_sim_features, self.simulator_)
        self.n_features_in_ = X.shape[1]
        inputs = self._transform_inputs(X)
        embeddings = self._embed_inputs(inputs)
        warn_if_outside_support(self.memory_bank_, embeddings)
        from ..diagnostics._gap_test import warn_if_distinguishable

        warn_if_distinguishable(self.memory_bank_, embeddings, self._seeds["memory"])
        if y is None or self.real_data == "ignore":
            if y is not None:
                self._encode_targets(y)
            return
        self._train(inputs, self._encode_targets(y), None, finetune=True)
        self._embed_memory_bank()

    def _embed_memory_bank(self) -> None:
        """Embed the memory bank by the network as now trained, or drop it."""
        self.memory_bank_, interrupted = embed_or_drop(
            self.memory_bank_, self._embed_inputs, type(self).__name__
        )
        self._interrupted = self._interrupted or interrupted

    def _fit_inputs(self, X: np.ndarray, upcast: bool = False) -> None:
        if self.preprocessor == "auto":
            # On a prior narrowed to a posterior (refine's rounds) the span
            # of each day's counts, not of all counts, says whether the log
            # helps (auto_preprocessor); the whole prior keeps the rule its
            # documented fits were made with.
            self.preprocessor_ = auto_preprocessor(
                X, per_feature=isinstance(self.simulator_, TruncatedSimulator)
            )
        elif self.preprocessor is None:
            self.preprocessor_ = None
        else:
            self.preprocessor_ = clone(self.preprocessor)
        if self.preprocessor_ is not None:
            self.preprocessor_.fit(X)
        elementwise = self._elementwise_preprocessing(upcast)
        if self.preprocessor_ is not None and elementwise is None:
            X = self.preprocessor_.transform(X)
        with (
            np.errstate(over="ignore", invalid="ignore"),  # see as_network_inputs
            self._refusals_name_rows_of(X),
        ):
            self.input_scaler_ = fit_standard_scaler(X, elementwise)

    def _transform_inputs(
        self, X: np.ndarray, release: bool = False, upcast: bool = False
    ) -> np.ndarray:
        """The network's float32 inputs for ``X``.

        ``release=True`` (the offline fit's own simulations, not read again)
        returns the memory of each block of rows of ``X`` as it is written
        (:func:`~sgnn_sklearn._pages.release_rows`), as long as every value
        so far is finite once standardised: the float64 simulations and
        their float32 copy then never take more than the simulations alone.
        Released rows read as zeros; they were finite and accepted by the
        preprocessor, so a refusal counts the same values and rows (only the
        largest absolute value quoted for an overflow is over the rows kept).
        ``upcast=True``: ``X`` is float32 counts to be read as float64 (see
        :meth:`_elementwise_preprocessing`).
        """
        elementwise = self._elementwise_preprocessing(upcast)
        if self.preprocessor_ is not None and elementwise is None:
            # Its output may be X itself, or kept by the preprocessor: never
            # released.
            release = False
            X = self.preprocessor_.transform(X)
        # Standardised in blocks straight into float32: a float64 copy of a
        # large simulated set would double the peak memory of an offline fit.
        scaled = np.empty(np.shape(X), dtype=np.float32)
        with (
            np.errstate(over="ignore", invalid="ignore"),
            self._refusals_name_rows_of(X),
        ):
            for start in range(0, len(X), TRANSFORM_BLOCK_ROWS):
                block = X[start : start + TRANSFORM_BLOCK_ROWS]
                if elementwise is not None:
                    block = elementwise(block)
                rows = scaled[start : start + TRANSFORM_BLOCK_ROWS]
                rows[...] = self.input_scaler_.transform(block)
                release = release and bool(np.isfinite(rows).all())
                if release:
                    release_rows(X, start + len(rows))
        if elementwise is None:
            return as_network_inputs(scaled, X, self.preprocessor_)
        return as_network_inputs(scaled, lambda: elementwise(X), self.preprocessor_)

    def _elementwise_preprocessing(self, upcast: bool = False) -> Any:
        """The fitted preprocessor's transform if it may run on blocks of rows.

        ``LogCounts`` transforms each value alone, so blocks give the bits of
        the whole, without a float64 copy of all the simulations (458 MB at
        10^6 series of 60 days); any other transformer sees the whole ``X``.
        ``upcast=True`` (the fit's own counts, held as float32 because every
        one is exact in float32; the preprocessor is then ``LogCounts`` or
        none): each block is first cast to the float64 it was drawn as.
        """
        transform = None
        if isinstance(self.preprocessor_, LogCounts):
            transform = self.preprocessor_.transform
        if not upcast:
            return transform
        if transform is None:
            return _as_float64
        return lambda block: transform(_as_float64(block))

    @contextmanager
    def _refusals_name_rows_of(self, X: np.ndarray) -> Iterator[None]:
        """Let a refusal of one block by the preprocessor name the rows of ``X``."""
        try:
            yield
        except ValueError:
            elementwise = self._elementwise_preprocessing()
            if elementwise is not None:
                elementwise(X)  # raises, counting the rows of X
            raise

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

    # -- predicting ---------------------------------------------------------------

    def _network_inputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = match_simulated_feature_names(self, refuse_masked_values(X, "X"))
        X = validate_data(self, X, reset=False)
        return self._transform_inputs(X)

    # -- pickling -----------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        return add_version(check_portable(state, type(self).__name__))

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(check_version(state, type(self).__name__))

    def _embed_inputs(self, inputs: np.ndarray) -> np.ndarray:
        """The network's last hidden layer for already transformed inputs."""
        return embed_inputs(
            self.net_.module_,
            inputs,
            max(self.batch_size, PREDICT_BATCH_SIZE),
            self.net_.device,
        )

    # -- explaining -----------------------------------------------------------------

    def shrink_memory_bank(self, size: int) -> BaseSimulationGrounded:
        """Keep at most ``size`` simulations in the memory bank, e.g. before saving.

        The memory bank (``memory_bank_``) is most of a saved model's size:
        ``memory_bank_size`` simulations' inputs and embeddings. Predictions
        do not read it; ``explain_mechanism`` and ``simulation_gap`` do, and
        answer from what is left. ``size=0`` removes it: both then raise a
        ValueError that says so.

        Parameters
        ----------
        size : int
            The most simulations kept (a random subset, seeded by
            ``random_state``), of the bank and of its held-out reference each.

        Returns
        -------
        self
            The estimator, its bank shrunk in place.

        Examples
        --------
        >>> import pickle
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import SIR
        >>> est = SimulationGroundedRegressor(SIR(), 1000, max_epochs=1,
        ...                                   random_state=0).fit()
        >>> full = len(pickle.dumps(est))
        >>> len(est.shrink_memory_bank(100).memory_bank_)
        100
        >>> len(pickle.dumps(est)) < full
        True
        >>> est.shrink_memory_bank(0).memory_bank_ is None
        True
        """
        check_is_fitted(self)
        if not isinstance(size, Integral) or isinstance(size, bool) or size < 0:
            raise ValueError(
                f"size must be a non-negative int (0 removes the bank); got {size!r}."
            )
        if self.memory_bank_ is not None:
            if size == 0:
                self.memory_bank_ = None
                self._memory_bank_removed = True
            else:
                self.memory_bank_ = self.memory_bank_.subset(
                    int(size), self._seeds["memory"]
                )
        return self

    @uses_torch_threads
    def explain_mechanism(
        self,
        X: Any,
        n_neighbors: int = 100,
        *,
        coverage: float = 0.9,
        kernel: str = "uniform",
    ) -> Any:
        """Explain predictions by the training simulations the network finds alike.

        Each row is embedded with the network's last hidden layer and matched
        to its ``n_neighbors`` nearest training simulations in
        ``memory_bank_``; their mechanisms and latent parameters approximate
        the posterior. See :func:`sgnn_sklearn.attribution.explain_mechanism`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations to explain.
        n_neighbors : int, default=100
            Number of simulations matched to each row (at most the bank size).
        coverage : float in (0, 1), default=0.9
            Probability of the central interval reported per parameter.
        kernel : {"uniform", "gaussian"}, default="uniform"
            How the neighbours are weighted.

        Returns
        -------
        MechanismExplanation
            Per row: the share of each mechanism among the neighbours, the
            mean and central interval of each parameter, and the neighbours'
            indices and distances.

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian()
        >>> est = SimulationGroundedRegressor(sim, n_simulations=1000, max_epochs=10,
        ...                                   random_state=0).fit()
        >>> explanation = est.explain_mechanism(sim.simulate(5, random_state=1).X,
        ...                                     n_neighbors=50)
        >>> explanation.param_lower.shape, explanation.neighbor_index.shape
        ((5, 1), (5, 50))
        """
        from ..attribution import explain_mechanism

        return explain_mechanism(self, X, n_neighbors, coverage=coverage, kernel=kernel)

    @uses_torch_threads
    def simulation_gap(self, X: Any, n_neighbors: int = 5) -> Any:
        """Score how far inputs lie from the simulated training distribution.

        Distances to the nearest training simulations, in the network's own
        representation, against those of held-out simulations. See
        :func:`sgnn_sklearn.diagnostics.simulation_gap`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, typically real observations.
        n_neighbors : int, default=5
            Number of nearest training simulations whose mean distance
            scores a row.

        Returns
        -------
        SimulationGap
            Per-sample ``distance``, ``percentile`` and ``distance_ratio``;
            overall ``score`` (about 1 with no gap) and ``outside_fraction``.

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian()
        >>> est = SimulationGroundedRegressor(sim, n_simulations=1000, max_epochs=10,
        ...                                   random_state=0).fit()
        >>> X = sim.simulate(300, random_state=1).X
        >>> gap, shifted = est.simulation_gap(X), est.simulation_gap(X + 3)
        >>> gap.outside_fraction < shifted.outside_fraction
        True
        """
        from ..diagnostics import simulation_gap

        return simulation_gap(self, X, n_neighbors)


def _fixed_chunk_split(
    n_fixed: int, n_valid: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows of online training's fixed chunk to fit on and to validate on.

    The validation share is the chunk's head; when it fills the whole chunk,
    half of it is fitted on.

    Examples
    --------
    >>> [r.tolist() for r in _fixed_chunk_split(5, 2)]
    [[2, 3, 4], [0, 1]]
    >>> [r.tolist() for r in _fixed_chunk_split(4, 4)]
    [[2, 3], [0, 1]]
    >>> _fixed_chunk_split(3, 0)[1] is None
    True
    """
    if n_valid == 0:
        return np.arange(n_fixed), None
    if n_valid >= n_fixed:
        n_valid = n_fixed // 2
    return np.arange(n_valid, n_fixed), np.arange(n_valid)


def _as_float64(block: np.ndarray) -> np.ndarray:
    return block.astype(np.float64)


def _take(array: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """``array[indices]``, as a view (no copy) when the indices are a range."""
    if len(indices) and np.array_equal(
        indices, np.arange(indices[0], indices[0] + len(indices))
    ):
        return array[indices[0] : indices[0] + len(indices)]
    return array[indices]
