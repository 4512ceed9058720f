"""What the regressor and the classifier share: their parameters and the fit forms.

The rest of what they share is in mixins, one responsibility each:
``_input_encoding`` (the fitted preprocessing), ``_online`` (the online fit),
``_training`` (the training loop) and ``_explain`` (the memory bank's readers).
"""

from __future__ import annotations

import os
from abc import abstractmethod
from dataclasses import replace
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import validate_data

from .._caching import fit_zero_shot_cached, simulate_cached, warn_if_uncacheable
from .._persistence import add_version, check_portable, check_version
from .._progress import progress
from ..simulators import Simulation, check_simulation
from ..simulators._validation import refuse_simulator_class
from ._explain import ExplainMixin
from ._faults import drop_invalid
from ._fit_state import commit, fresh_copy
from ._input_encoding import InputEncodingMixin
from ._inputs import match_simulated_feature_names, refuse_masked_values
from ._memory import keep_simulations, warn_if_outside_support
from ._networks import ARCHITECTURES
from ._online import OnlineFitMixin
from ._real_data import check_real_data, check_real_width
from ._threads import uses_torch_threads
from ._training import MIN_SAMPLES_FOR_VALIDATION, TrainingMixin


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


class BaseSimulationGrounded(
    InputEncodingMixin, OnlineFitMixin, TrainingMixin, ExplainMixin, BaseEstimator
):
    """Base class of the simulation-grounded estimators.

    It holds the three ways to fit (on a simulator, on labelled data, or both);
    its mixins the standardisation of inputs, the online fit, the skorch
    training loop and the memory bank's readers. Subclasses say how targets
    are prepared and which skorch net is trained.
    """

    # Whether y may have several columns (regression) or must be 1-D (classes).
    _multi_output = True

    # Declared for type checkers: assigned by the fit and its mixins.
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
        "validation_fraction": [
            Interval(Real, 0, 1, closed="neither"),
            StrOptions({"auto"}),
        ],
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
        "average_weights": ["boolean"],
    }

    def __init__(
        self,
        simulator: Any = None,
        n_simulations: int = 10_000,
        *,
        architecture: Any = "mlp",
        hidden_layer_sizes: Any = (128, 128),
        dropout: float = 0.0,
        max_epochs: int = 300,
        lr: float = 1e-3,
        batch_size: int = 128,
        early_stopping: bool = True,
        validation_fraction: float | str = "auto",
        n_iter_no_change: int | str = "auto",
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
        lr_schedule: str = "plateau",
        observation_noise: str = "auto",
        average_weights: bool = False,
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
        self.average_weights = average_weights

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
                "stopping, which holds out a share of the simulations "
                f"(validation_fraction={self.validation_fraction!r}) and needs "
                f"at least {MIN_SAMPLES_FOR_VALIDATION}: simulate more, or set "
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

    # -- pickling -----------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        return add_version(check_portable(state, type(self).__name__))

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = check_version(state, type(self).__name__)
        # Pickled before the parameter existed: those models kept the last step.
        state.setdefault("average_weights", False)
        super().__setstate__(state)
