"""`SimulationGroundedClassifier`: posterior probabilities of classes or mechanisms."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNetClassifier

from ..simulators import Simulation
from ._ensemble import EnsembleBase
from ._inference import ReproducibleNetClassifier
from ._threads import uses_torch_threads


class SimulationGroundedClassifier(ClassifierMixin, EnsembleBase):
    """Neural network classifier trained on simulations from a mechanistic model.

    Trained with cross-entropy on draws from the simulator under its prior,
    the network's probabilities converge to the posterior probability of each
    class given the observation. With a
    :class:`~sgnn_sklearn.simulators.MixtureSimulator` the classes are the
    mechanisms, so the classifier answers "which mechanism generated this
    series?" (Bayesian model selection, amortised). Inside, a skorch
    ``NeuralNetClassifier`` is trained on standardised inputs.

    Parameters
    ----------
    simulator : object with ``simulate(n_samples, random_state)``, default=None
        The simulator to learn from. The classes are its ``mechanism`` labels
        when it has them (a mixture), else its ``y``. ``None`` turns the
        estimator into an ordinary supervised network trained by ``fit(X, y)``.
    n_simulations : int, default=10_000
        Number of simulations drawn for training; at least 20 with
        ``early_stopping``. See :class:`SimulationGroundedRegressor`.
    architecture : {"mlp", "cnn"} or torch.nn.Module class, default="mlp"
        See :class:`SimulationGroundedRegressor`.
    hidden_layer_sizes : tuple of int or "auto", default=(128, 128)
        Width of each hidden layer. ``"auto"``: one layer whose width
        follows the number of training samples; see
        :class:`SimulationGroundedRegressor`.
    dropout : float, default=0.0
        Dropout probability after each hidden layer.
    max_epochs : int, default=300
        Maximum number of passes over the training data.
    lr : float, default=1e-3
        Learning rate of the Adam optimiser.
    batch_size : int, default=128
        Mini-batch size for training; prediction runs in batches of
        ``max(batch_size, 4096)`` rows.
    early_stopping : bool, default=True
        Stop when the validation loss has not improved for
        ``n_iter_no_change`` epochs, and keep the best weights.
    validation_fraction : float or "auto", default="auto"
        Share of the training data held out for early stopping; ``"auto"``
        follows the number of samples: a fifth up to 5,000, a tenth from
        10,000 (see :class:`SimulationGroundedRegressor`).
    n_iter_no_change : int or "auto", default="auto"
        Patience of early stopping, in epochs; ``"auto"`` follows the number
        of training samples (see :class:`SimulationGroundedRegressor`).
    preprocessor : scikit-learn transformer, "auto" or None, default="auto"
        Feature preprocessing fitted on the simulated inputs and applied to
        every input; see the Notes of :class:`SimulationGroundedRegressor`.
        ``"auto"``: :class:`~sgnn_sklearn.preprocessing.LogCounts` when every
        simulated value is a non-negative whole number and the largest at
        least 100 (counts spanning orders of magnitude), else none; on a
        :class:`~sgnn_sklearn.simulators.TruncatedSimulator`, only when some
        feature's counts span two orders of magnitude within the truncated
        prior (:func:`~sgnn_sklearn.preprocessing.auto_preprocessor`).
    real_data : {"finetune", "ignore"}, default="finetune"
        What ``fit(X, y)`` does with real data when there is a simulator.
        Real labels must be among the simulated classes.
    finetune_lr : float, default=None
        Learning rate of the fine-tuning on real data; None takes a tenth of
        ``lr``. See :class:`SimulationGroundedRegressor` for how far it moves.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Torch device.
    n_jobs : int, default=None
        Number of joblib workers that run the simulations.
    n_threads : int or None, default=1
        Threads torch uses inside this estimator's methods; the caller's
        setting is restored when they return. See
        :class:`SimulationGroundedRegressor`.
    random_state : int, RandomState instance or None, default=None
        Seeds simulations, initialisation, shuffling and splits.
    verbose : int, default=0
        0 prints nothing. 1 or more shows the simulations' progress as a tqdm
        bar on stderr (plain counts if tqdm cannot be imported) and skorch's
        table of epochs on stdout.
    simulation : {"offline", "online"}, default="offline"
        ``"online"`` draws fresh simulations for every epoch, chunk by chunk,
        with memory that does not grow with ``n_simulations``; see
        :class:`SimulationGroundedRegressor`. The fixed first chunk (up to
        8192 simulations) must show every class.
    memory : str, path-like, joblib.Memory or None, default=None
        Caches the simulated training set on disk, keyed by the simulator,
        ``n_simulations`` and the seed (``random_state`` must be an int); see
        :class:`SimulationGroundedRegressor`.
    on_invalid : {"drop", "raise"}, default="drop"
        What to do with invalid simulations (NaN or inf, or a draw that
        raised): drop them with a warning that counts them, or raise at the
        first one. See :class:`SimulationGroundedRegressor`.
    min_valid_fraction : float in [0, 1], default=0.5
        With ``on_invalid="drop"``, ``fit`` raises when the valid share of the
        simulations, or of any mechanism, is below this.
    memory_bank_size : int, default=10_000
        Number of training simulations kept after fit, a random subset, with
        their latent parameters, mechanisms and embeddings (``memory_bank_``):
        what ``explain_mechanism`` and ``simulation_gap`` compare inputs with.
        It holds ``memory_bank_size * (n_features + width of the last hidden
        layer)`` floats; 0 keeps none. Online, the bank is drawn from the
        fixed first chunk, so it holds at most 8192 simulations.
    n_estimators : int, default=1
        Number of networks trained on the same simulations (a deep
        ensemble); ``predict_proba`` averages their probabilities. See
        :class:`SimulationGroundedRegressor`.
    weight_decay : float, default=0.0
        Decoupled weight decay (AdamW); 0 trains with Adam.
    lr_schedule : {"constant", "plateau"}, default="plateau"
        ``"plateau"`` cuts the learning rate on a plateau of the monitored
        loss; see :class:`SimulationGroundedRegressor`.
    observation_noise : {"auto", "fixed", "fresh"}, default="auto"
        ``"auto"``: ``"fresh"`` when the fit is offline and the simulator is a
        :class:`~sgnn_sklearn.simulators.LatentSimulator` (or a
        :class:`~sgnn_sklearn.simulators.MixtureSimulator` of them), else
        ``"fixed"``. ``"fresh"`` draws new observation noise around the
        fixed latent trajectories at every epoch when the simulator is one of
        those; see :class:`SimulationGroundedRegressor`.
    average_weights : bool, default=False
        Judge and keep a running average of the network's weights over
        training instead of its last step's; see
        :class:`SimulationGroundedRegressor`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (mechanism names for a mixture).
    net_ : skorch.NeuralNetClassifier
        The trained network (the first member of an ensemble): its last
        hidden layer is what ``explain_mechanism``, ``simulation_gap`` and
        the memory bank use.
    nets_ : list of skorch.NeuralNetClassifier
        The ``n_estimators`` trained networks; ``nets_[0]`` is ``net_``.
    observation_noise_ : {"fresh", "fixed"}
        Whether the last fit on simulations drew fresh observation noise
        every epoch (see ``observation_noise``).
    simulator_ : object or None
        The simulator trained on, or None.
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
        Standardises the (preprocessed) inputs.
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
    SimulationGroundedRegressor : The same for continuous targets.
    sgnn_sklearn.simulators.MixtureSimulator : Labels samples by mechanism.

    Notes
    -----
    As for the regressor, preprocessing placed before the estimator in a
    ``Pipeline`` never sees the simulations; use ``preprocessor``.

    Invalid simulations are dropped, not replaced, and a KeyboardInterrupt
    keeps the best weights so far, as for the regressor (see its Notes).
    Dropping changes the mechanisms' prior weights when they fail at
    different rates; the warning gives the counts by mechanism.
    ``predict_proba`` is bit-identical whatever the batch size on CPU.

    Examples
    --------
    >>> from sgnn_sklearn import SimulationGroundedClassifier
    >>> from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator
    >>> mix = MixtureSimulator([("quiet", LinearGaussian(noise_std=0.3)),
    ...                         ("noisy", LinearGaussian(noise_std=3.0))])
    >>> clf = SimulationGroundedClassifier(mix, n_simulations=2000, max_epochs=20,
    ...                                    random_state=0).fit()
    >>> clf.classes_.tolist()
    ['noisy', 'quiet']
    >>> test = mix.simulate(500, random_state=1)
    >>> bool(clf.score(test.X, test.mechanism) > 0.8)
    True
    """

    _multi_output = False

    def _simulated_targets(
        self, simulation: Simulation
    ) -> tuple[np.ndarray, tuple[str, ...]]:
        if simulation.mechanism is not None:
            return np.asarray(simulation.mechanism), ("mechanism",)
        if simulation.y is None:
            raise ValueError(
                "The simulation has neither mechanism labels nor targets y to classify."
            )
        return np.asarray(simulation.y), tuple(simulation.target_names)

    def _fit_targets(
        self, y: np.ndarray, names: tuple[str, ...] | None = None
    ) -> tuple[np.ndarray, int]:
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        check_classification_targets(y)
        self._label_encoder = LabelEncoder().fit(y)
        self.classes_ = self._label_encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes to "
                f"learn from; got 1 class: {self.classes_.tolist()[0]!r}."
            )
        return self._encode_targets(y), len(self.classes_)

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(
                f"y has labels {unseen.tolist()} that the estimator does not know; "
                f"known classes: {self.classes_.tolist()}."
            )
        return self._label_encoder.transform(y).astype(np.int64)

    def _make_net(self, **kwargs: Any) -> NeuralNetClassifier:
        return ReproducibleNetClassifier(
            criterion=torch.nn.CrossEntropyLoss,
            classes=np.arange(len(self.classes_)),
            **self._with_recipe(kwargs),
        )

    @uses_torch_threads
    def predict_proba(self, X: Any) -> np.ndarray:
        """Predict the posterior probability of each class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations, real or simulated.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; each row sums to 1.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn import SimulationGroundedClassifier
        >>> X = np.r_[np.zeros((20, 2)), np.ones((20, 2))]
        >>> y = np.r_[np.zeros(20), np.ones(20)]
        >>> clf = SimulationGroundedClassifier(max_epochs=5, random_state=0).fit(X, y)
        >>> np.allclose(clf.predict_proba(X).sum(axis=1), 1.0)
        True
        """
        inputs = self._network_inputs(X)
        members = []
        for net in self._members():
            proba = net.predict_proba(inputs).astype(np.float64)
            finite = np.isfinite(proba).all(axis=1)
            if not finite.all():
                raise FloatingPointError(
                    f"The network of {type(self).__name__} gives NaN or infinite "
                    f"probabilities for {int((~finite).sum())} of {len(proba)} "
                    "rows, so no class can be predicted for them; refit it (a fit "
                    "whose training diverges now raises)."
                )
            members.append(proba / proba.sum(axis=1, keepdims=True))
        return members[0] if len(members) == 1 else np.mean(members, axis=0)

    def predict(self, X: Any) -> np.ndarray:
        """Predict the most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn import SimulationGroundedClassifier
        >>> X = np.r_[np.zeros((20, 2)), np.ones((20, 2))]
        >>> y = np.array(["a"] * 20 + ["b"] * 20)
        >>> clf = SimulationGroundedClassifier(max_epochs=30, random_state=0).fit(X, y)
        >>> clf.predict([[0.0, 0.0], [1.0, 1.0]]).tolist()
        ['a', 'b']
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
