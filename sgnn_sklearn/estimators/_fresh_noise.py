"""Fresh observation noise at every epoch around a fixed budget of latent trajectories.

A :class:`~sgnn_sklearn.simulators.LatentSimulator` draws the latent
trajectory (the costly part: an ODE, say) apart from the observation noise
(cheap). With ``observation_noise="fresh"`` an offline fit simulates
``n_simulations`` latent trajectories once and draws new observation noise
around the training share of them before every epoch after the first: the
network sees a new observed series per trajectory and epoch, so it cannot
learn one draw of the noise by heart. The validation share keeps the first
draw, so early stopping compares epochs on the same data.

Each epoch's noise comes from its own generator (:func:`epoch_generator`),
so the next epoch's observations can be drawn and encoded in a background
thread while the network trains on the current ones: numpy's draws release
the GIL, and torch trains on one thread, so a second core does the drawing.
The bits are those of drawing at the start of each epoch; only the memory
grows, by one draw, so it is done only for draws of at most
``PREFETCH_MAX_BYTES``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from skorch.callbacks import Callback

from .._pages import forget_rows, releasable_empty
from ..simulators import MixtureSimulator, Simulation, TruncatedSimulator
from ..simulators._base import NamesFromWrapped, Simulator
from ..simulators._latent import LatentSimulator
from ..simulators._trajectory import observation_blocks

# The next epoch's observations are drawn during the current epoch only when
# one draw, counted in float64, takes at most this much: 43 MB at 10^5 series
# of 60 days is drawn ahead (holding a second set of float32 inputs, 22 MB, and
# what drawing it holds: a block of rows for the built-in count simulators,
# the whole draw for others); at 10^6 (432 MB) each epoch draws its own after
# letting the last go, so an offline fit's peak memory stays what it was.
PREFETCH_MAX_BYTES = 128 * 2**20


def noise_can_be_redrawn(simulator: Any) -> bool:
    """True when fresh noise reproduces what ``simulator.simulate`` draws.

    ``observation_noise="auto"`` draws fresh noise only then: the simulator
    is a :class:`~sgnn_sklearn.simulators.LatentSimulator` whose ``simulate``
    is still the latent trajectory followed by its observation. A subclass
    that overrides ``simulate``, ``simulate_from_params`` or ``generate`` (to
    post-process the series, say) would be bypassed by ``simulate_latent``
    and ``observe``, so it is trained on its simulations as drawn. A
    :class:`~sgnn_sklearn.simulators.MixtureSimulator` qualifies when every
    one of its mechanisms does.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import FunctionSimulator, LinearGaussian
    >>> noise_can_be_redrawn(LinearGaussian())
    True
    >>> drawn = FunctionSimulator(lambda p, rng: [p["a"]] * 5, {"a": (0, 1)})
    >>> noise_can_be_redrawn(drawn)
    False
    >>> class Clipped(LinearGaussian):
    ...     def generate(self, params, rng):
    ...         X, y = super().generate(params, rng)
    ...         return X.clip(-1, 1), y
    >>> noise_can_be_redrawn(Clipped())
    False
    >>> from sgnn_sklearn.simulators import TruncatedSimulator
    >>> noise_can_be_redrawn(TruncatedSimulator(LinearGaussian(), {"theta0": (0, 1)}))
    True
    >>> from sgnn_sklearn.simulators import MixtureSimulator
    >>> noise_can_be_redrawn(MixtureSimulator([("a", LinearGaussian()),
    ...                                        ("b", LinearGaussian(noise_std=2.0))]))
    True
    >>> noise_can_be_redrawn(MixtureSimulator([("a", LinearGaussian()),
    ...                                        ("b", drawn)]))
    False
    """
    if isinstance(simulator, TruncatedSimulator):
        # Its simulate is the wrapped one's on parameters from the box, and
        # it passes on simulate_latent and observe: as redrawable as that one.
        return noise_can_be_redrawn(simulator.simulator)
    if isinstance(simulator, MixtureSimulator):
        # Each row is its mechanism's simulate, which its mechanism's
        # simulate_latent and observe reproduce when that one's noise can be
        # drawn again.
        return type(simulator).simulate is MixtureSimulator.simulate and all(
            noise_can_be_redrawn(s) for _, s in simulator.simulators
        )
    cls = type(simulator)
    return (
        isinstance(simulator, LatentSimulator)
        and cls.simulate is Simulator.simulate
        and cls.simulate_from_params is Simulator.simulate_from_params
        and cls.generate is LatentSimulator.generate
    )


class LatentDraws(NamesFromWrapped):
    """A simulator whose ``simulate`` returns another's latent trajectories.

    It lets the estimators' simulation machinery (chunks, parallel workers,
    the cache, the fault policy) draw latent trajectories as it draws
    simulations.

    Parameters
    ----------
    simulator : LatentSimulator
        The simulator whose ``simulate_latent`` is called.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> latent = LatentDraws(LinearGaussian()).simulate(3, random_state=0)
    >>> latent.X.shape
    (3, 5)
    """

    def __init__(self, simulator: Any) -> None:
        self.simulator = simulator

    def simulate(self, n_samples: int, random_state: Any = None) -> Simulation:
        return self.simulator.simulate_latent(n_samples, random_state)


def epoch_generator(seed: int, epoch: int) -> np.random.Generator:
    """The observation-noise generator of one epoch (0: the fit's first draw).

    Examples
    --------
    >>> a, b = epoch_generator(3, 1).random(), epoch_generator(3, 1).random()
    >>> a == b, a == epoch_generator(3, 2).random()
    (True, False)
    """
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(epoch,)))


def counts_as_float32(
    simulator: Any, latent: Simulation, rng: np.random.Generator
) -> np.ndarray | None:
    """``simulator.observe(latent, rng).X`` as float32, when that is exact.

    Count noise (that ``observation_blocks`` draws in blocks of rows) is
    drawn block by block into float32, half the
    memory of the float64 counts, as long as every count is exact in float32
    (below 2^24); None when one is not or the simulator's noise is not drawn
    in blocks (``rng`` is then spent: draw again from a new one).

    Examples
    --------
    >>> from sgnn_sklearn.simulators import SIR, LinearGaussian
    >>> sim = SIR(n_days=5)
    >>> latent = sim.simulate_latent(3, random_state=0)
    >>> X = counts_as_float32(sim, latent, np.random.default_rng(1))
    >>> X.dtype, bool((X == sim.observe(latent, np.random.default_rng(1)).X).all())
    (dtype('float32'), True)
    >>> sim = LinearGaussian()
    >>> counts_as_float32(sim, sim.simulate_latent(3), np.random.default_rng(1))
    """
    blocks = observation_blocks(simulator, latent, rng)
    if blocks is None:
        return None
    X = releasable_empty(np.shape(latent.X), np.dtype(np.float32))
    for rows, block in blocks:
        X[rows] = block
        if not (X[rows] == block).all():
            return None
    return X


class _Prefetch:
    """One epoch's inputs, computed in a background thread.

    Examples
    --------
    >>> _Prefetch(2, lambda: 40 + 2).result()
    42
    """

    def __init__(self, epoch: int, compute: Callable[[], Any]) -> None:
        self.epoch = epoch
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(compute,), name="sgnn-fresh-noise", daemon=True
        )
        self._thread.start()

    def _run(self, compute: Callable[[], Any]) -> None:
        try:
            self._result = compute()
        except BaseException as error:  # handed to the training thread
            self._error = error

    def result(self) -> Any:
        """Wait for the inputs; raise what computing them raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result

    def wait(self) -> None:
        """Wait for the thread to end, dropping its inputs (and any error)."""
        self._thread.join()
        self._result = self._error = None


class FreshObservations(Callback):
    """skorch callback: new observation noise for the training rows at each epoch.

    The next epoch's inputs are drawn in a background thread while the
    current epoch trains, when one draw takes at most ``PREFETCH_MAX_BYTES``
    (the same bits as drawing them at the start of that epoch). The thread is
    waited for at the end of training (``on_train_end``); if training fails,
    whoever runs it calls :meth:`let_go`.

    Parameters
    ----------
    simulator : LatentSimulator
        Draws the noise (``observe``).
    latent : Simulation
        The latent trajectories of the training rows, in their order.
    encode : callable
        ``encode(X) -> inputs``: the estimator's input transform.
    seed : int
        Seeds each epoch's noise (see :func:`epoch_generator`).
    first_draw : Simulation, default=None
        Every row's latent trajectories, the training rows last (``latent``
        is their tail), whose first draw (that of :func:`epoch_generator`
        with epoch 0) the training inputs are. When given, an epoch's count
        noise drawn in blocks and not ahead is written over the training
        inputs in place, not beside them (206 MB fewer at 10^6 series of 60
        days), and the first draw is drawn again into them at the end of
        training, so that they are what the fit drew after training as
        before it: the same bits, for one more draw.
    """

    def __init__(
        self,
        simulator: Any,
        latent: Simulation | None,
        encode: Any,
        seed: int,
        first_draw: Simulation | None = None,
    ) -> None:
        self.simulator = simulator
        self.latent = latent
        self.encode = encode
        self.seed = seed
        self.first_draw = first_draw

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:
        self.close()

    def on_epoch_begin(
        self, net: Any, dataset_train: Any = None, **kwargs: Any
    ) -> None:
        epoch = len(net.history)  # 1 in the first epoch, which keeps the fit's draw
        if dataset_train is None:
            return
        if epoch > 1:
            pending, self._next = self._pending(), None
            if pending is not None and pending.epoch == epoch:
                dataset_train.X = pending.result()
            else:
                if pending is not None:
                    pending.wait()
                target = self._overwritable(dataset_train.X)
                if target is None:
                    # The last draw is let go first: two draws of the training
                    # inputs are never held at once (206 MB each at 10^6
                    # series of 60 days).
                    dataset_train.X = None
                dataset_train.X = self._inputs(epoch, target)
        if epoch < net.max_epochs and self._prefetches(dataset_train.X):
            self._next = _Prefetch(epoch + 1, lambda: self._inputs(epoch + 1))

    def on_train_end(self, net: Any, **kwargs: Any) -> None:
        self.close()
        overwritten = self.__dict__.pop("_overwritten", None)
        if overwritten is not None:
            self._draw_first_again(overwritten)
        self.let_go()

    def close(self) -> None:
        """Wait for a draw still running in the background, and drop it."""
        pending, self._next = self._pending(), None
        if pending is not None:
            pending.wait()

    def let_go(self) -> None:
        """Close, and let go of the trajectories, the simulator and the transform.

        The fitted net keeps its callbacks: without this it would carry the
        training trajectories (and the temporary file they may be kept in),
        the simulator and the estimator into every pickle of the model, and a
        fit that failed would hold them.
        """
        self.close()
        self.__dict__.pop("_overwritten", None)
        self.simulator = self.latent = self.encode = self.first_draw = None

    def _pending(self) -> _Prefetch | None:
        return self.__dict__.get("_next")

    def _overwritable(self, inputs: Any) -> np.ndarray | None:
        """``inputs`` if the next draw may be written over them, else None."""
        if self.first_draw is None or self.latent is None:
            return None
        # Only count noise drawn in blocks is written in place: a draw made
        # whole would be held beside the inputs anyway.
        rng = epoch_generator(self.seed, 0)  # not drawn from: blocks are lazy
        if observation_blocks(self.simulator, self.latent, rng) is None:
            return None
        return inputs

    def _draw_first_again(self, inputs: np.ndarray) -> None:
        """Write the training rows of the first draw into ``inputs`` again."""
        everyone = self.first_draw
        assert everyone is not None
        first = len(everyone) - len(inputs)
        rng = epoch_generator(self.seed, 0)
        blocks = observation_blocks(self.simulator, everyone, rng)
        assert blocks is not None
        for rows, X in blocks:
            start, stop, _ = rows.indices(len(everyone))
            # The validation rows are drawn (the generator passes them) but
            # not written: their inputs were never overwritten.
            low = max(start, first)
            if low < stop:
                inputs[low - first : stop - first] = self.encode(X[low - start :])

    def _inputs(self, epoch: int, out: np.ndarray | None = None) -> np.ndarray:
        """The training inputs of ``epoch``: its noise drawn, then encoded.

        ``out``: the inputs to write over when the noise is drawn in blocks.
        """
        latent = self.latent
        assert latent is not None  # until on_train_end
        rng = epoch_generator(self.seed, epoch)
        blocks = observation_blocks(self.simulator, latent, rng)
        if blocks is None:
            observed = self.simulator.observe(latent, rng)
            forget_rows(latent.X, slice(None))  # when kept in a temporary file
            return self.encode(np.asarray(observed.X))
        # Count noise is drawn and encoded a block of rows at a time: the
        # float64 counts of every row (458 MB at 10^6 series of 60 days) are
        # never held, the same bits.
        if out is None:
            inputs = np.empty(np.shape(latent.X), dtype=np.float32)
        else:
            inputs = self._overwritten = out
        for rows, X in blocks:
            inputs[rows] = self.encode(X)
        return inputs

    def _prefetches(self, inputs: Any) -> bool:
        """Whether the next draw may be held beside ``inputs`` (float32)."""
        shape = np.shape(inputs)
        return len(shape) == 2 and shape[0] * shape[1] * 8 <= PREFETCH_MAX_BYTES
