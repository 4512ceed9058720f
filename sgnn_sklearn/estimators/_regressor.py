"""`SimulationGroundedRegressor`: the posterior mean of continuous targets."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from scipy.stats import norm
from sklearn.base import RegressorMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNetRegressor

from ..simulators import Simulation
from ._batches import PREDICT_BATCH_SIZE
from ._divergence import as_network_targets
from ._ensemble import EnsembleBase
from ._inference import ReproducibleNetRegressor, run_in_batches
from ._inputs import numeric_targets
from ._interrupts import warn_interrupted_step
from ._online import SimulationStream
from ._quantiles import (
    check_quantile_levels,
    fit_quantile_head,
    interpolate_levels,
    learnt_quantiles,
)
from ._threads import uses_torch_threads
from ._variance import (
    MAX_UNTRAINED_ROWS,
    GaussianHead,
    check_coverage,
    fit_variance_head,
)


class SimulationGroundedRegressor(RegressorMixin, EnsembleBase):
    """Neural network regressor trained on simulations from a mechanistic model.

    Trained with squared loss on draws from the simulator under its prior, the
    network converges, as the number of simulations grows, to the posterior
    mean of the targets given the observation: amortised Bayesian inference
    that needs no labelled real data. Inside, a skorch ``NeuralNetRegressor``
    is trained on standardised inputs and targets.

    Parameters
    ----------
    simulator : object with ``simulate(n_samples, random_state)``, default=None
        The simulator to learn from, e.g. a
        :class:`~sgnn_sklearn.simulators.Simulator`. ``None`` turns the
        estimator into an ordinary supervised network trained by ``fit(X, y)``.
        Its parameters are reachable as ``simulator__PARAM`` in grid searches.
    n_simulations : int, default=10_000
        Number of simulations drawn for training (a share of them is held out
        for early stopping); per epoch when ``simulation="online"``. More
        simulations bring the fit closer to the posterior mean; more epochs
        over the same simulations do not. At least 20 with ``early_stopping``.
    architecture : {"mlp", "cnn"} or torch.nn.Module class, default="mlp"
        ``"mlp"``: fully connected network. ``"cnn"``: 1-D convolutions over
        the features read as one time series. A module class is called with
        ``n_features``, ``n_outputs``, ``hidden_layer_sizes``, ``dropout`` and
        must have an ``embed(X)`` method returning its last hidden layer.
    hidden_layer_sizes : tuple of int or "auto", default=(128, 128)
        Width of each hidden layer. ``"auto"``: one layer whose width
        follows the number of training samples ``n``: the power of two
        nearest to ``1.28 * sqrt(n)``, between 64 and 256 (64 at 1,000
        simulations, 128 at 10,000, 256 from about 30,000).
    dropout : float, default=0.0
        Dropout probability after each hidden layer.
    max_epochs : int, default=100
        Maximum number of passes over the training data.
    lr : float, default=1e-3
        Learning rate of the Adam optimiser.
    batch_size : int, default=128
        Mini-batch size for training. Prediction and validation run in
        batches of ``max(batch_size, 4096)`` rows, so their memory does not
        grow with the number of rows.
    early_stopping : bool, default=True
        Stop when the validation loss has not improved for
        ``n_iter_no_change`` epochs, and keep the best weights. With fewer
        than 20 training samples no validation share is held out and the
        training loss is monitored instead.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int or "auto", default=10
        Patience of early stopping, in epochs. ``"auto"``: ``10 *
        sqrt(10_000 / n)`` for ``n`` training samples, between 10 and 40
        (a small set takes few optimiser steps per epoch).
    preprocessor : scikit-learn transformer, "auto" or None, default="auto"
        Feature preprocessing fitted on the simulated inputs (or on ``X`` when
        there is no simulator) and applied to every input at predict. Use it,
        not a ``Pipeline`` step, for preprocessing that must treat simulated
        and real data alike: see Notes. ``"auto"``:
        :class:`~sgnn_sklearn.preprocessing.LogCounts` (``log(1 + x)``) when
        every simulated value is a non-negative whole number and the largest
        at least 100 (counts spanning orders of magnitude), else none; on a
        :class:`~sgnn_sklearn.simulators.TruncatedSimulator` (the rounds of
        :meth:`refine`), only when some feature's counts span two orders of
        magnitude within the truncated prior
        (:func:`~sgnn_sklearn.preprocessing.auto_preprocessor`).
        ``preprocessor_`` says which was chosen. ``None``: the inputs as
        they are.
    real_data : {"finetune", "ignore"}, default="finetune"
        What ``fit(X, y)`` does with real data when there is a simulator:
        ``"finetune"`` continues training on it as far as the labels
        support: with ``early_stopping``, 5-fold cross-validation on the
        labels chooses the number of epochs, 0 (the zero-shot network, kept
        unchanged) included, and that many are run on all of them; without
        it, ``max_epochs`` are. ``"ignore"`` only checks its shapes and keeps
        the zero-shot network, e.g. to score it against real labels in
        cross-validation.
    finetune_lr : float, default=None
        Learning rate of the fine-tuning on real data; None takes a tenth of
        ``lr``. A few labelled series pull hard at the simulation's learning
        rate; smaller steps keep the network near its simulation-trained
        solution (see the few-labels experiment in the results).
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Torch device for training and prediction. ``"auto"`` uses a GPU when
        torch finds one. A model trained on a GPU loads (unpickles) and
        predicts on a machine without one, on the CPU.
    n_jobs : int, default=None
        Number of joblib workers that run the simulations (in chunks, each
        with its own seed, so results do not depend on ``n_jobs``). Inside
        ``joblib.parallel_config(backend="dask")`` the chunks run on a Dask
        cluster; see Notes.
    n_threads : int or None, default=1
        Threads torch uses for the network inside ``fit``, ``predict`` and
        the other methods; the caller's ``torch.get_num_threads()`` is
        restored when they return. One thread suits the small networks
        trained here: a second barely speeds an idle fit, and when other
        processes compete for the cores it makes the fit several times
        slower. Raise it for large networks or batches on an otherwise idle
        machine. The count is part of what makes results reproducible:
        torch splits its reductions between threads, so the same fit with 1
        and 2 threads differs in the last bits. ``None`` uses the caller's
        setting, which ``threadpoolctl.threadpool_limits``,
        ``OMP_NUM_THREADS`` and joblib's workers lower.
    random_state : int, RandomState instance or None, default=None
        Seeds the simulations, the network's initialisation, shuffling and
        the validation split. An int gives bit-identical results on CPU.
    verbose : int, default=0
        0 prints nothing. 1 or more shows the simulations' progress as a tqdm
        bar on stderr (plain counts if tqdm cannot be imported) and skorch's
        table of epochs on stdout.
    simulation : {"offline", "online"}, default="offline"
        ``"offline"`` simulates ``n_simulations`` once (in chunks) and trains
        on them for every epoch. ``"online"`` draws ``n_simulations`` fresh
        simulations for every epoch, chunk by chunk (8192 at a time, one
        chunk per joblib worker), so memory stays flat however large the
        budget; inputs and targets are standardised on a fixed first chunk,
        which also holds the validation share (at most one chunk). Online
        training cannot overfit the simulations: more epochs mean more data.
    memory : str, path-like, joblib.Memory or None, default=None
        Caches the simulated training set on disk, as ``Pipeline``'s
        ``memory``: a directory or a ``joblib.Memory``. The key is the
        simulator (class and parameters), ``n_simulations`` and the seed drawn
        from ``random_state`` (which must be an int for a refit to find its
        simulations), so ``GridSearchCV`` or ``cross_val_score`` over network
        parameters simulate once. Online mode caches only its fixed first
        chunk.
    on_invalid : {"drop", "raise"}, default="drop"
        What to do with invalid simulations: rows whose ``X`` or ``y`` holds
        NaN or inf, and draws that raised (e.g. in a
        :class:`~sgnn_sklearn.simulators.FunctionSimulator`). ``"drop"``
        removes them with a warning that counts them
        (``n_invalid_simulations_``); they are not replaced, see Notes.
        ``"raise"`` stops ``fit`` at the first one, showing the parameters
        that drew it: a ValueError for NaN or inf, a RuntimeError chained to
        the exception for a draw that raised. Real data are never dropped:
        NaN or inf in them always raise.
    min_valid_fraction : float in [0, 1], default=0.5
        With ``on_invalid="drop"``, ``fit`` raises a ValueError when the valid
        share of the simulations, or of any mechanism of a mixture, is below
        this: a simulator failing that often needs fixing, not training on.
    memory_bank_size : int, default=10_000
        Number of training simulations kept after fit, a random subset, with
        their latent parameters, mechanisms and embeddings (``memory_bank_``):
        what ``explain_mechanism`` and ``simulation_gap`` compare inputs with.
        It holds ``memory_bank_size * (n_features + width of the last hidden
        layer)`` floats; 0 keeps none. Online, the bank is drawn from the
        fixed first chunk, so it holds at most 8192 simulations.
    n_estimators : int, default=1
        Number of networks trained (a deep ensemble), each from its own
        initialisation and shuffling, on the same simulations. ``predict``
        averages their means; ``return_std`` gives the mixture's total
        standard deviation (the members' variances and the spread of their
        means); learnt quantiles are averaged level by level. Training
        takes ``n_estimators`` times as long. The first member is the network
        that ``n_estimators=1`` trains, bit for bit.
    weight_decay : float, default=0.0
        Decoupled weight decay (AdamW) of the training; 0 trains with Adam.
    lr_schedule : {"constant", "plateau"}, default="constant"
        ``"plateau"`` multiplies the learning rate by 0.3 whenever the
        monitored loss has not improved for a third of the early-stopping
        patience (skorch's ``LRScheduler`` with ``ReduceLROnPlateau``).
    observation_noise : {"auto", "fixed", "fresh"}, default="auto"
        ``"auto"``: ``"fresh"`` when the fit is offline and the simulator is a
        :class:`~sgnn_sklearn.simulators.LatentSimulator`, else ``"fixed"``,
        silently. ``"fresh"``, offline and with a
        :class:`~sgnn_sklearn.simulators.LatentSimulator` (every built-in
        simulator is one): the ``n_simulations`` latent trajectories are
        simulated once, and new observation noise is drawn around the
        training share of them before every epoch after the first, so a
        fixed budget of trajectories is worth more; the validation share
        keeps its first draw. A simulator without ``simulate_latent`` and
        ``observe`` offers no latent trajectories: its simulations are then
        trained on as drawn, with a warning (``observation_noise_`` says
        which was used). Online mode draws everything afresh anyway.
    interval_method : {"gaussian", "pinball"}, default="gaussian"
        Where ``predict_quantiles`` and ``predict_interval`` come from.
        ``"gaussian"``: the Gaussian with the predicted mean and standard
        deviation. ``"pinball"``: heads trained with the pinball (quantile)
        loss, whose minimiser is the posterior quantile, at 25 fixed levels
        from 0.005 to 0.995 (interpolated between them); they follow skewed
        and multimodal posteriors, and cost a second head's training.

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The trained network (the first member of an ensemble);
        ``net_.history`` has the losses of every epoch. Its last hidden layer
        is what ``explain_mechanism``, ``simulation_gap`` and the memory bank
        use.
    nets_ : list of skorch.NeuralNetRegressor
        The ``n_estimators`` trained networks; ``nets_[0]`` is ``net_``.
    observation_noise_ : {"fresh", "fixed"}
        Whether the last fit on simulations drew fresh observation noise
        every epoch (see ``observation_noise``).
    simulator_ : object or None
        The simulator trained on, or None after ``fit(X, y)`` without one.
    n_simulations_ : int
        Number of valid simulations drawn for training (0 without a
        simulator): ``n_simulations`` less ``n_invalid_simulations_``, and in
        online mode summed over the epochs.
    n_epochs_ : int
        Number of epochs run in the last training phase.
    n_finetune_epochs_ : int
        Epochs of fine-tuning on real labels that ``fit(X, y)`` chose and ran;
        0 when the zero-shot network was kept or there was no fine-tuning.
    n_invalid_simulations_ : int
        Number of invalid simulations dropped (see ``on_invalid``); 0 without
        a simulator. In online mode, summed over the epochs.
    preprocessor_ : transformer or None
        The fitted clone of ``preprocessor``, or the transform ``"auto"``
        chose (``None`` when it chose none).
    input_scaler_ : sklearn.preprocessing.StandardScaler
        Standardises the (preprocessed) inputs, fitted on the training data.
    target_scaler_ : sklearn.preprocessing.StandardScaler
        Standardises the targets, fitted on the training targets.
    target_names_ : tuple of str
        Names of the targets (from the simulator, or ``y0, y1, ...``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.
    memory_bank_ : sgnn_sklearn.attribution.MemoryBank or None
        The kept training simulations (at most ``memory_bank_size``, drawn
        from the training share) and held-out ones (from the validation
        share) that ``explain_mechanism`` and ``simulation_gap`` read; None
        after ``fit(X, y)`` without a simulator or with
        ``memory_bank_size=0``.

    See Also
    --------
    SimulationGroundedClassifier : The same for classes or mechanisms.
    sklearn.neural_network.MLPRegressor : A network trained on labelled data only.

    Notes
    -----
    A transformer placed *before* this estimator in a ``Pipeline`` is fitted
    on, and applied to, the real data only: the simulations never pass through
    it, so the network would be trained on raw simulated inputs and then asked
    to predict from transformed real ones. Pass such preprocessing as
    ``preprocessor`` instead, which is fitted on the simulated inputs and
    applied to both.

    Invalid simulations are dropped, not replaced: ``n_simulations`` is the
    simulation budget (the number of simulator calls), and the network trains
    on the ``n_simulations_ = n_simulations - n_invalid_simulations_`` valid
    ones. Drawing replacements would make the cost unbounded when failures
    are common, and would not change what is learnt: either way the network
    learns the posterior under the prior restricted to the parameters whose
    simulations succeed. Raise ``n_simulations`` to train on more. In a
    mixture, dropping also changes the mechanisms' prior weights when they
    fail at different rates; the warning gives the counts by mechanism.

    A KeyboardInterrupt (Ctrl-C) during training ends it with a warning; the
    estimator is fitted, with the weights of the best epoch so far (by the
    validation loss, or by the training loss without early stopping).
    Fine-tuning on real data that ``fit(X, y)`` would have done after it is
    skipped. One before training begins (during the simulations) cancels the
    fit. A fit that raises leaves the estimator as it was before it; a
    training whose loss is not finite raises. The "Reliability" page of the
    documentation says what happens wherever an interrupt lands.

    Predictions are bit-identical for the same fitted model and rows, on
    CPU, whatever the batch size and however ``X`` is split: the dense layers
    and 1-D convolutions are evaluated row by row during prediction (training
    uses the batched kernels), because batched products round differently
    with the number of rows. Fits running at once in threads are
    bit-identical to the same fits run in turn: each draws from a torch
    generator of its own. A pickled model records the sgnn_sklearn version; loading
    it with another version warns (``sgnn_sklearn.ModelVersionWarning``).

    Besides the mean, the network has a variance head: a small network on its
    last hidden layer that learns the log-variance of each target's residual
    by Gaussian negative log-likelihood, a proper scoring rule. It is trained
    after the network, with the body and the mean frozen, on the same
    training share and with early stopping on the same validation share. The
    mean is therefore that of the plain squared-loss network, bit for bit.
    ``predict(X, return_std=True)``, ``predict_interval`` and
    ``predict_quantiles`` use it; by default their intervals are Gaussian:
    exact when the posterior is, approximate when it is skewed or
    multimodal. With ``interval_method="pinball"`` a third head, also on the
    frozen last hidden layer, learns the residual's quantiles with the
    pinball loss (their Bayes-optimal values are the posterior quantiles),
    as a lowest quantile plus non-negative increments, so they never cross;
    intervals and quantiles then come from it. The Gaussian stays the
    default: where the posterior is Gaussian it is as accurate and
    needs no extra training, and the documented figures rest on it.

    A deep ensemble (``n_estimators > 1``) trains every member as above;
    ``explain_mechanism``, ``simulation_gap`` and the memory bank use the
    first member's last hidden layer (the same as ``n_estimators=1``).

    Scale: simulations run through joblib, so a slow simulator can run on a
    cluster with no change to the code::

        from dask.distributed import Client
        import joblib
        client = Client("scheduler-address:8786")
        with joblib.parallel_config(backend="dask"):
            est.fit(simulator)

    With a large budget, ``simulation="online"`` keeps memory flat, and
    ``device="cuda"`` trains on a GPU. Training on several GPUs goes through
    skorch's Accelerate integration; see the "Scaling" page of the
    documentation.

    Examples
    --------
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian(n_features=5)
    >>> est = SimulationGroundedRegressor(n_simulations=2000, max_epochs=20,
    ...                                   random_state=0)
    >>> est.fit(sim)
    SimulationGroundedRegressor(max_epochs=20, n_simulations=2000, random_state=0)
    >>> real = sim.simulate(500, random_state=1)
    >>> exact = sim.posterior_mean(real.X)  # the Bayes-optimal prediction
    >>> bool(((est.predict(real.X) - exact) ** 2).mean() < 0.05)
    True
    """

    _parameter_constraints: dict = {
        **EnsembleBase._parameter_constraints,
        "interval_method": [StrOptions({"gaussian", "pinball"})],
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
        interval_method: str = "gaussian",
    ) -> None:
        super().__init__(
            simulator,
            n_simulations,
            architecture=architecture,
            hidden_layer_sizes=hidden_layer_sizes,
            dropout=dropout,
            max_epochs=max_epochs,
            lr=lr,
            batch_size=batch_size,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            preprocessor=preprocessor,
            real_data=real_data,
            finetune_lr=finetune_lr,
            device=device,
            n_jobs=n_jobs,
            n_threads=n_threads,
            random_state=random_state,
            verbose=verbose,
            simulation=simulation,
            memory=memory,
            on_invalid=on_invalid,
            min_valid_fraction=min_valid_fraction,
            memory_bank_size=memory_bank_size,
            n_estimators=n_estimators,
            weight_decay=weight_decay,
            lr_schedule=lr_schedule,
            observation_noise=observation_noise,
        )
        self.interval_method = interval_method

    def _simulated_targets(
        self, simulation: Simulation
    ) -> tuple[np.ndarray, tuple[str, ...]]:
        if simulation.y is None:
            raise ValueError(
                "The simulation has no common targets y (a mixture whose "
                "mechanisms have different target_names?); a regressor needs "
                "targets shared by every sample."
            )
        simulator = getattr(self, "simulator_", None)
        source = (
            ""
            if simulator is None
            else f" from the simulator {type(simulator).__name__}"
        )
        targets = numeric_targets(simulation.y, type(self).__name__, source)
        return targets, tuple(simulation.target_names)

    def _fit_targets(
        self, y: np.ndarray, names: tuple[str, ...] | None = None
    ) -> tuple[np.ndarray, int]:
        y = numeric_targets(y, type(self).__name__)
        self._y_ndim = y.ndim
        y2d = y.reshape(len(y), -1)
        self.target_names_ = names or tuple(f"y{j}" for j in range(y2d.shape[1]))
        with np.errstate(over="ignore"):  # refused in _encode_targets
            self.target_scaler_ = StandardScaler().fit(y2d)
        return self._encode_targets(y), y2d.shape[1]

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        y2d = numeric_targets(y, type(self).__name__).reshape(len(y), -1)
        n_targets = self.target_scaler_.n_features_in_
        if y2d.shape[1] != n_targets:
            raise ValueError(
                f"y has {y2d.shape[1]} targets, but the estimator learns "
                f"{n_targets} ({', '.join(self.target_names_)})."
            )
        with np.errstate(over="ignore"):
            encoded = self.target_scaler_.transform(y2d).astype(np.float32)
        return as_network_targets(encoded, y2d)

    def _check_real_targets(self, y: np.ndarray) -> None:
        numeric_targets(y, type(self).__name__)

    def _make_net(self, **kwargs: Any) -> NeuralNetRegressor:
        return ReproducibleNetRegressor(
            module=GaussianHead,
            module__base=kwargs.pop("module"),
            criterion=torch.nn.MSELoss,
            **self._with_recipe(kwargs),
        )

    def _after_training(
        self, X: Any, targets: Any, *, presplit: bool, finetune: bool
    ) -> None:
        if isinstance(X, SimulationStream):
            return  # _fit_online fits the uncertainty heads on its fixed chunk
        self._fit_uncertainty(X, targets, *self._split(len(X), presplit), finetune)

    def _fit_uncertainty(
        self,
        inputs: np.ndarray,
        targets: np.ndarray,
        train: np.ndarray,
        valid: np.ndarray | None,
        finetune: bool = False,
    ) -> None:
        heads = [fit_variance_head]
        if self.interval_method == "pinball":
            heads.append(fit_quantile_head)
        max_epochs, untrained = self.max_epochs, self._interrupted
        if untrained:
            # Honour the user's Ctrl-C promptly: the heads are set from the
            # residuals of a few rows, not trained.
            rows = train[:MAX_UNTRAINED_ROWS]
            inputs, targets, valid = inputs[rows], targets[rows], None
            train, max_epochs = np.arange(len(rows)), 0
        try:
            for net, seed in zip(
                self._members(), self._member_seeds(2 + int(finetune)), strict=True
            ):
                for fit_head in heads:
                    fit_head(
                        net.module_,
                        inputs,
                        targets,
                        train,
                        valid,
                        lr=self.lr,
                        batch_size=self.batch_size,
                        max_epochs=max_epochs,
                        patience=self._patience() if self.early_stopping else None,
                        seed=seed,
                        device=net.device,
                        warm_start=finetune,
                    )
        except KeyboardInterrupt:
            self._interrupted = True
            warn_interrupted_step(
                type(self).__name__,
                "the training of the uncertainty heads",
                "each keeps its best so far",
            )
            return
        if untrained and not finetune:
            warnings.warn(
                f"{type(self).__name__}: the uncertainty heads were not trained, "
                "as training was interrupted: predict(return_std=True) gives the "
                "overall spread of the training residuals for every row.",
                UserWarning,
                stacklevel=4,
            )

    @uses_torch_threads
    def predict(
        self, X: Any, return_std: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Predict the posterior mean of the targets, and optionally its spread.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations, real or simulated.
        return_std : bool, default=False
            Also return the predicted posterior standard deviation of each
            target, learnt by the variance head (see Notes of the class).

        Returns
        -------
        mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
            The predicted posterior means, shaped like the training targets.
        std : ndarray of the same shape as ``mean``
            The predicted posterior standard deviations. Only returned when
            ``return_std`` is True.

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=3)
        >>> est = SimulationGroundedRegressor(n_simulations=500, max_epochs=5,
        ...                                   random_state=0).fit(sim)
        >>> est.predict(sim.simulate(4, random_state=1).X).shape
        (4,)
        >>> mean, std = est.predict(sim.simulate(4, random_state=1).X,
        ...                         return_std=True)
        >>> std.shape, bool((std > 0).all())
        ((4,), True)
        """
        inputs = self._network_inputs(X)
        if not return_std:
            scaled = [
                net.predict(inputs).reshape(len(inputs), -1) for net in self._members()
            ]
            average = scaled[0] if len(scaled) == 1 else np.mean(scaled, axis=0)
            return self._target_shape(
                self.target_scaler_.inverse_transform(average.astype(np.float64))
            )
        members = [self._mean_and_std(net, inputs) for net in self._members()]
        if len(members) == 1:
            mean, std = members[0]
        else:
            # The mixture of the members' Gaussians: its mean, and its total
            # variance (within-member variance plus the spread of the means).
            stacked = np.stack([m for m, _ in members])
            mean = stacked.mean(axis=0)
            within = np.mean([s**2 for _, s in members], axis=0)
            std = np.sqrt(within + ((stacked - mean) ** 2).mean(axis=0))
        mean = self.target_scaler_.inverse_transform(mean)
        return self._target_shape(mean), self._target_shape(
            std * self.target_scaler_.scale_
        )

    def _mean_and_std(
        self, net: Any, inputs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """One member's mean and standard deviation, in the scaled target space."""
        module = net.module_
        mean, log_var = (
            t.astype(np.float64)
            for t in run_in_batches(
                module,
                module.mean_and_log_variance,
                inputs,
                max(self.batch_size, PREDICT_BATCH_SIZE),
                net.device,
            )
        )
        return mean, np.exp(0.5 * log_var)

    def predict_quantiles(self, X: Any, quantiles: Any) -> np.ndarray:
        """Predict quantiles of the posterior of each target.

        With ``interval_method="gaussian"`` the quantiles are those of the
        Gaussian with the predicted mean and standard deviation
        (``predict(X, return_std=True)``). With ``"pinball"`` they are the
        learnt quantile heads' (averaged level by level over an ensemble's
        members), non-crossing, interpolated linearly in normal scores
        between the 25 learnt levels; levels outside [0.005, 0.995] are then
        an error.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.
        quantiles : float or array-like of float in (0, 1)
            The quantile levels.

        Returns
        -------
        ndarray of shape (n_samples, n_quantiles) or (n_samples, n_targets, n_quantiles)
            The quantiles, last axis in the order of ``quantiles``; the target
            axis is present when the training targets were 2-D.

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=3)
        >>> est = SimulationGroundedRegressor(n_simulations=500, max_epochs=5,
        ...                                   random_state=0).fit(sim)
        >>> q = est.predict_quantiles(sim.simulate(4, random_state=1).X,
        ...                           [0.1, 0.5, 0.9])
        >>> q.shape, bool((q[:, 0] < q[:, 2]).all())
        ((4, 3), True)
        """
        levels = check_quantile_levels(quantiles)
        if self.interval_method == "gaussian":
            mean, std = self.predict(X, return_std=True)
            return mean[..., None] + std[..., None] * norm.ppf(levels)
        inputs = self._network_inputs(X)
        batch_size = max(self.batch_size, PREDICT_BATCH_SIZE)
        # Members' quantiles averaged level by level (Vincentisation).
        grid = np.mean(
            [
                learnt_quantiles(net.module_, inputs, batch_size, net.device)
                for net in self._members()
            ],
            axis=0,
        )
        grid = (
            grid * self.target_scaler_.scale_[:, None]
            + self.target_scaler_.mean_[:, None]
        )
        values = interpolate_levels(grid, levels)
        return values[:, 0] if self._y_ndim == 1 else values

    def predict_interval(
        self, X: Any, coverage: float = 0.9
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predict a central posterior interval for each target.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.
        coverage : float in (0, 1), default=0.9
            Posterior probability that the interval holds the target: the
            interval runs from the ``(1 - coverage) / 2`` to the
            ``(1 + coverage) / 2`` quantile.

        Returns
        -------
        lower, upper : ndarray of shape (n_samples,) or (n_samples, n_targets)
            The interval's bounds, shaped like ``predict(X)``.

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=3)
        >>> est = SimulationGroundedRegressor(n_simulations=500, max_epochs=5,
        ...                                   random_state=0).fit(sim)
        >>> lower, upper = est.predict_interval(sim.simulate(4, random_state=1).X)
        >>> bool((lower < upper).all())
        True
        """
        tail = (1 - check_coverage(coverage)) / 2
        bounds = self.predict_quantiles(X, [tail, 1 - tail])
        return bounds[..., 0], bounds[..., 1]

    def refine(
        self,
        X: Any,
        n_rounds: int = 2,
        *,
        n_simulations: int | None = None,
        width: float = 5.0,
        n_estimators: int | None = None,
    ) -> SimulationGroundedRegressor:
        """Refine the posterior around given observations; return a new estimator.

        An amortised network spreads its accuracy over the whole prior. For
        the series in ``X``, each of ``n_rounds`` rounds truncates the prior
        of the targets to the box ``mean +- width * std`` of the current
        posterior (over all rows of ``X``), draws ``n_simulations`` fresh
        simulations from it and trains a clone of this estimator on them
        (truncated sequential neural posterior estimation, Deistler et al.
        2022). With ``preprocessor="auto"`` each round chooses its inputs
        on its own simulations: counts that vary by a small factor around
        a narrow posterior stay raw (see
        :func:`~sgnn_sklearn.preprocessing.auto_preprocessor`). The
        truncation keeps the posterior of the refined series
        unbiased as long as the box holds the whole of it: a prior truncated
        to a region is the same prior there, so the posterior is too. A
        warning says when the refined posterior reaches the box's edge.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The observations to refine for (typically one real series, or a
            few alike: the box covers all of them).
        n_rounds : int, default=2
            Number of rounds of truncation and training.
        n_simulations : int, default=None
            Simulations per round; None gives ``n_simulations // n_rounds``,
            so refinement costs as many simulations as the amortised fit.
        width : float, default=5.0
            Half-width of the box in posterior standard deviations (5 leaves
            out less than 1e-6 of a Gaussian posterior's mass per target).
        n_estimators : int, default=None
            Networks in the ensemble of the last round, whose estimator is
            returned; None gives ``max(self.n_estimators, 5)``. Earlier
            rounds, which only place the next box, train
            ``self.n_estimators``. Once the prior is narrowed, a single
            network's training noise is most of its error; members cost
            training time, not simulations.

        Returns
        -------
        SimulationGroundedRegressor
            A fitted clone (with ``n_estimators`` members) whose
            ``simulator_`` is a
            :class:`~sgnn_sklearn.simulators.TruncatedSimulator`: its
            ``bounds`` are the prior the answer is conditioned on. Valid for
            observations whose posterior lies inside the box (those in ``X``);
            for others use the amortised estimator. Every target must be a
            parameter of the simulator (its prior is what is truncated).

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(noise_std=0.02)
        >>> est = SimulationGroundedRegressor(sim, 1000, max_epochs=20,
        ...                                   random_state=0).fit()
        >>> x = sim.simulate(1, random_state=3).X
        >>> refined = est.refine(x, n_rounds=1)
        >>> low, high = refined.simulator_.bounds["theta0"]  # the prior it used
        >>> bool(low < sim.posterior_mean(x)[0] < high), bool(high - low < 0.5)
        (True, True)
        """
        from ._refine import refine_around

        check_is_fitted(self)
        return refine_around(self, X, n_rounds, n_simulations, width, n_estimators)

    def _target_shape(self, values: np.ndarray) -> np.ndarray:
        return values[:, 0] if self._y_ndim == 1 else values

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
