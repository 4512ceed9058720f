"""`SimulationGroundedRegressor`: the posterior mean of continuous targets."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import StrOptions
from skorch import NeuralNetRegressor

from ._ensemble import EnsembleBase
from ._inference import ReproducibleNetRegressor
from ._online import SimulationStream
from ._refine import RefineMixin
from ._regression_targets import RegressionTargetsMixin
from ._threads import uses_torch_threads
from ._uncertainty import UncertaintyMixin
from ._variance import GaussianHead


class SimulationGroundedRegressor(
    RegressorMixin,
    UncertaintyMixin,
    RefineMixin,
    RegressionTargetsMixin,
    EnsembleBase,
):
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
    max_epochs : int, default=300
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
    validation_fraction : float or "auto", default="auto"
        Share of the training data held out for early stopping. ``"auto"``:
        a tenth, or 1,000 samples where that is more and at most a fifth (a
        fifth up to 5,000 samples, a tenth from 10,000). The validation loss
        decides when training stops and when the learning rate is cut; on
        the hundred samples that a tenth of 1,000 leaves, its noise decided
        too early.
    n_iter_no_change : int or "auto", default="auto"
        Patience of early stopping, in epochs. ``"auto"``: ``30 *
        sqrt(10_000 / n)`` for ``n`` training samples, between 10 and 50
        (32 at the default 10,000 simulations, of which 9,000 train; 10
        from 90,000 training samples): a small set takes few
        optimiser steps per epoch, a large one many. With the default
        ``lr_schedule="plateau"`` the learning rate is cut after a third of
        the patience, so the patience also sets how long each rate is tried.
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
    lr_schedule : {"constant", "plateau"}, default="plateau"
        ``"plateau"`` multiplies the learning rate by 0.3 whenever the
        monitored loss has not improved for a third of the early-stopping
        patience (skorch's ``LRScheduler`` with ``ReduceLROnPlateau``).
    observation_noise : {"auto", "fixed", "fresh"}, default="auto"
        ``"auto"``: ``"fresh"`` when the fit is offline and the simulator is a
        :class:`~sgnn_sklearn.simulators.LatentSimulator` (or a
        :class:`~sgnn_sklearn.simulators.MixtureSimulator` of them), else
        ``"fixed"``, silently. ``"fresh"``, offline and with a
        :class:`~sgnn_sklearn.simulators.LatentSimulator` (every built-in
        simulator is one): the ``n_simulations`` latent trajectories are
        simulated once, and new observation noise is drawn around the
        training share of them before every epoch after the first, so a
        fixed budget of trajectories is worth more; the validation share
        keeps its first draw. A simulator without ``simulate_latent`` and
        ``observe`` offers no latent trajectories: its simulations are then
        trained on as drawn, with a warning (``observation_noise_`` says
        which was used). Online mode draws everything afresh anyway. From
        128 MiB of latent trajectories on (280,000 series of 60 days), they
        are kept in a temporary file in ``tempfile.gettempdir()`` (``TMPDIR``)
        for the fit, read a block of rows at a time and let go of from memory
        after each; the file is removed from the folder as soon as it is
        written and its space given back when the fit ends or fails. On a
        folder held in memory (tmpfs) they stay in memory.
    interval_method : {"gaussian", "pinball", "mixture", "auto"}, default="gaussian"
        Where ``predict_quantiles`` and ``predict_interval`` come from.
        ``"gaussian"``: the Gaussian with the predicted mean and standard
        deviation. ``"pinball"``: heads trained with the pinball (quantile)
        loss, whose minimiser is the posterior quantile, at 25 fixed levels
        from 0.005 to 0.995 (interpolated between them). ``"mixture"``: a
        head that learns the posterior as a mixture of eight Gaussians per
        target by negative log-likelihood, reading the network's inputs
        beside its last hidden layer; its quantiles, at any level, come from
        the mixture's distribution function. The last two follow skewed and
        multimodal posteriors and cost a head's training (a few seconds at
        10,000 simulations); on the two-peaked benchmark only the mixture's
        intervals hold 88-92% of the posterior mass. ``"auto"``: trains the
        Gaussian and the mixture, and keeps the mixture only when its
        log-likelihood on the held-out simulations (the early-stopping share)
        beats the Gaussian's by more than two standard errors, so a Gaussian
        posterior keeps its Gaussian intervals; ``interval_method_`` says
        which was kept.
    average_weights : bool, default=False
        Train the network as usual, but judge and keep a running average of
        its weights (Polyak averaging): an exponential average whose window
        grows with training, so that it spans about the last tenth of the
        steps at any budget. The validation loss, early stopping and the
        learning-rate schedule see the average, and the average is the
        network kept; it costs one copy of the weights and no tuning.
        Fine-tuning on real labels continues from the kept network without
        averaging. See Notes.

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
    interval_method_ : {"gaussian", "pinball", "mixture"}
        Where the intervals come from: ``interval_method``, or with
        ``"auto"`` the one the held-out simulations chose.
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
    intervals and quantiles then come from it. With
    ``interval_method="mixture"`` the third head reads the inputs as well
    as the last hidden layer and learns the whole posterior of each target
    as a Gaussian mixture, by negative log-likelihood. The Gaussian stays
    the default: where the posterior is Gaussian it is as accurate and
    needs no extra training, and the documented figures rest on it.

    A deep ensemble (``n_estimators > 1``) trains every member as above;
    ``explain_mechanism``, ``simulation_gap`` and the memory bank use the
    first member's last hidden layer (the same as ``n_estimators=1``).

    With ``average_weights=True`` the optimiser steps the network's weights
    as usual while a running average of them follows: at step ``t`` the
    newest weights count ``9 / (10 + t)`` of it, so that it spans about the
    last tenth of the steps at any budget. Before each epoch's validation
    the average takes the network's place, so the validation loss, early
    stopping and the learning-rate schedule judge it and the average of the
    best epoch is the network kept; the next epoch resumes from the stepped
    weights. It is not the default: on the six benchmark problems it
    lowered the posterior-mean error on all six at 1,000 simulations and on
    four at 10,000, but raised it on the two-peaked one at 10,000
    (``benchmarks/README.md``, "Averaging the weights").

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
        "interval_method": [StrOptions({"gaussian", "pinball", "mixture", "auto"})],
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
        interval_method: str = "gaussian",
        average_weights: bool = False,
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
            average_weights=average_weights,
        )
        self.interval_method = interval_method

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

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
