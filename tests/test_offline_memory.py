"""The offline fit's memory savings change nothing: same simulations, same bits."""

import copy
import mmap
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from skorch.dataset import Dataset

from sgnn_sklearn import (
    SimulationGroundedClassifier,
    SimulationGroundedRegressor,
    _pages,
)
from sgnn_sklearn._pages import releasable_empty, release_rows
from sgnn_sklearn.estimators import (
    _ensemble,
    _fresh_noise,
    _heads,
    _input_encoding,
    _inputs,
    _regressor,
    _scaling,
    _uncertainty,
    _variance,
)
from sgnn_sklearn.estimators._inference import run_in_batches
from sgnn_sklearn.estimators._networks import MLP
from sgnn_sklearn.estimators._variance import GaussianHead
from sgnn_sklearn.preprocessing import LogCounts
from sgnn_sklearn.simulators import (
    SIR,
    LinearGaussian,
    MixtureSimulator,
    Simulation,
    _observation,
    simulate_chunked,
)
from sgnn_sklearn.simulators._parallel import chunk_seeds, iter_simulated_chunks

FAST = dict(max_epochs=1, hidden_layer_sizes=(16,), random_state=0)


@pytest.mark.parametrize(
    "simulator",
    [
        LinearGaussian(n_features=4),
        MixtureSimulator(
            [
                ("a", LinearGaussian(n_features=4)),
                ("b", LinearGaussian(n_features=4, noise_std=3.0)),
            ]
        ),
    ],
)
def test_chunks_joined_in_place_equal_their_concatenation(simulator):
    chunks = chunk_seeds(20_000, 0, 8192)
    expected = Simulation.concatenate(list(iter_simulated_chunks(simulator, chunks)))
    joined = simulate_chunked(simulator, 20_000, random_state=0)
    assert joined.X.flags.c_contiguous and joined.X.dtype == expected.X.dtype
    for field in ("X", "y", "params", "mechanism"):
        a, b = getattr(joined, field), getattr(expected, field)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
    assert joined.mechanism_names == expected.mechanism_names


@pytest.mark.parametrize(
    "cls", [SimulationGroundedRegressor, SimulationGroundedClassifier]
)
def test_predictions_are_those_of_standard_scaler_to_the_last_bit(monkeypatch, cls):
    # 20,000 simulations in three chunks, and scaler blocks of 1,000 rows: the
    # fit spans many blocks of both.
    monkeypatch.setattr(_scaling, "BLOCK_ROWS", 1000)
    monkeypatch.setattr(_input_encoding, "TRANSFORM_BLOCK_ROWS", 1000)
    sim = LinearGaussian(n_features=4)
    if cls is SimulationGroundedClassifier:
        sim = MixtureSimulator(
            [("a", sim), ("b", LinearGaussian(n_features=4, noise_std=3.0))]
        )
    X = sim.simulate(500, random_state=1).X
    method = "predict" if cls is SimulationGroundedRegressor else "predict_proba"
    blockwise = cls(sim, 20_000, **FAST).fit()
    monkeypatch.setattr(
        _input_encoding,
        "fit_standard_scaler",
        lambda X, _=None: StandardScaler().fit(X),
    )
    reference = cls(sim, 20_000, **FAST).fit()
    np.testing.assert_array_equal(
        getattr(blockwise, method)(X), getattr(reference, method)(X)
    )
    np.testing.assert_array_equal(
        blockwise.memory_bank_.inputs, reference.memory_bank_.inputs
    )


@pytest.mark.parametrize("observation_noise", ["fixed", "fresh"])
def test_log_counts_in_blocks_predict_as_on_the_whole_to_the_last_bit(
    monkeypatch, observation_noise
):
    # LogCounts runs on blocks of rows, in the scaler's fit and in the input
    # transform, never on the whole set; FunctionTransformer(np.log1p) takes
    # the path every other preprocessor takes (the whole X at once, as LogCounts
    # did before), and the fits are the same to the last bit.
    monkeypatch.setattr(_scaling, "BLOCK_ROWS", 1000)
    monkeypatch.setattr(_input_encoding, "TRANSFORM_BLOCK_ROWS", 1000)
    rows_seen = []
    transform = LogCounts.transform

    def spy(self, X):
        rows_seen.append(len(X))
        return transform(self, X)

    monkeypatch.setattr(LogCounts, "transform", spy)
    sim = SIR(n_days=20)
    X = sim.simulate(300, random_state=1).X
    options = {**FAST, "max_epochs": 3, "observation_noise": observation_noise}
    blockwise = SimulationGroundedRegressor(sim, 6000, **options).fit()
    assert isinstance(blockwise.preprocessor_, LogCounts)  # chosen by "auto"
    assert rows_seen and max(rows_seen) <= 1000
    whole = SimulationGroundedRegressor(
        sim, 6000, preprocessor=FunctionTransformer(np.log1p), **options
    ).fit()
    _assert_same_fit(blockwise, whole, X)


def test_log_counts_in_blocks_name_the_rows_of_the_whole_input(monkeypatch):
    monkeypatch.setattr(_input_encoding, "TRANSFORM_BLOCK_ROWS", 10)
    sim = SIR(n_days=20)
    est = SimulationGroundedRegressor(sim, 300, **FAST).fit()
    X = sim.simulate(35, random_state=1).X
    X[32, 3] = -1.0
    with pytest.raises(ValueError, match=r"in 1 row \(the first: row 32,"):
        est.predict(X)


def _variance_head_as_before(
    module,
    inputs,
    targets,
    train,
    valid,
    *,
    lr,
    batch_size,
    max_epochs,
    patience,
    seed,
    residual=None,
    **_,
):
    """The variance head as fitted before it embedded rows block by block.

    Every row's last hidden layer computed at once and indexed per mini-batch:
    the algorithm of 8ad6e47, kept here to pin its results. ``residual``, when
    given, replaces ``targets`` less the network's mean.
    """
    mean, hidden = run_in_batches(
        module, module.mean_and_hidden, inputs, max(batch_size, 4096), "cpu"
    )
    hidden = torch.as_tensor(hidden)
    if residual is None:
        residual = targets.reshape(len(targets), -1) - mean
    squared = torch.as_tensor(residual**2)
    head = module.log_variance
    with torch.no_grad():
        floor = float(np.exp(_variance.LOG_VARIANCE_BOUNDS[0]))
        head[-1].bias.copy_(squared[train].mean(dim=0).clamp_min(floor).log())

    def loss(rows):
        log_var = module.log_variance_of(hidden[rows])
        return _variance.gaussian_nll(log_var, squared[rows])

    monitor = train if valid is None else valid
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(head.parameters(), lr=lr)
    train_rows = torch.as_tensor(train)
    with torch.no_grad():
        best = float(loss(monitor))
    best_state, since_best = copy.deepcopy(head.state_dict()), 0
    for _ in range(max_epochs):
        head.train()
        order = train_rows[torch.randperm(len(train_rows), generator=generator)]
        for start in range(0, len(order), batch_size):
            optimizer.zero_grad()
            loss(order[start : start + batch_size]).backward()
            optimizer.step()
        if patience is None:
            best_state = copy.deepcopy(head.state_dict())
            continue
        with torch.no_grad():
            score = float(loss(monitor))
        if score < best:
            best, best_state, since_best = score, copy.deepcopy(head.state_dict()), 0
        else:
            since_best += 1
            if since_best >= patience:
                break
    head.load_state_dict(best_state)
    head.eval()


def _variance_head_as_before_in_a_fit(frozen, training):
    """The reference above, called as a fit calls the variance head."""
    _variance_head_as_before(
        frozen.module,
        frozen.inputs,
        None,
        training.train,
        training.valid,
        residual=frozen.residual,
        lr=training.lr,
        batch_size=training.batch_size,
        max_epochs=training.max_epochs,
        patience=training.patience,
        seed=training.seed,
    )


def _assert_same_fit(a, b, X):
    """Same predictions, memory bank inputs and input scaler, to the last bit."""
    _assert_same_predictions(a, b, X)
    np.testing.assert_array_equal(a.memory_bank_.inputs, b.memory_bank_.inputs)
    for name in ("mean_", "scale_"):
        np.testing.assert_array_equal(
            getattr(a.input_scaler_, name), getattr(b.input_scaler_, name)
        )


def _assert_same_predictions(a, b, X):
    """The two regressors predict the same means and spreads, to the last bit."""
    for mine, theirs in zip(
        a.predict(X, return_std=True), b.predict(X, return_std=True), strict=True
    ):
        np.testing.assert_array_equal(mine, theirs)


def _embed_block_by_block(monkeypatch):
    # No hidden layer kept, and blocks of 1,000 rows rounded to mini-batches:
    # every epoch spans several blocks, the last one short.
    monkeypatch.setattr(_heads, "HIDDEN_CACHE_BYTES", 0)
    monkeypatch.setattr(_heads, "EPOCH_BLOCK_ROWS", 1000)


@pytest.mark.parametrize("keep_hidden", [True, False])
@pytest.mark.parametrize("patience", [2, None])
@pytest.mark.parametrize("validation", [True, False])
def test_variance_head_is_that_of_the_whole_hidden_layer_to_the_last_bit(
    monkeypatch, keep_hidden, patience, validation
):
    if not keep_hidden:
        _embed_block_by_block(monkeypatch)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 6)).astype(np.float32)
    y = (X[:, :2] + np.abs(X[:, 2:4]) * rng.normal(size=(5000, 2))).astype(np.float32)
    train, valid = np.arange(4500), (np.arange(4500, 5000) if validation else None)
    torch.manual_seed(0)
    net = GaussianHead(MLP, n_features=6, n_outputs=2, hidden_layer_sizes=(32, 32))
    reference = copy.deepcopy(net)
    options = dict(lr=1e-2, batch_size=64, max_epochs=6, patience=patience, seed=3)
    frozen = _heads.FrozenNetwork(net, X, y, options["batch_size"], "cpu")
    _variance.fit_variance_head(frozen, _heads.HeadTraining(train, valid, **options))
    _variance_head_as_before(reference, X, y, train, valid, **options)
    for name, value in reference.state_dict().items():
        assert torch.equal(net.state_dict()[name], value), name


def test_predicted_spread_is_that_of_main_when_embedded_block_by_block(monkeypatch):
    sim = LinearGaussian(n_features=4, noise_std=2.0)
    X = sim.simulate(500, random_state=1).X
    options = dict(max_epochs=2, hidden_layer_sizes=(16,), random_state=0)
    monkeypatch.setattr(
        _uncertainty, "fit_variance_head", _variance_head_as_before_in_a_fit
    )
    before = SimulationGroundedRegressor(sim, 20_000, **options).fit()
    monkeypatch.undo()
    _embed_block_by_block(monkeypatch)
    after = SimulationGroundedRegressor(sim, 20_000, **options).fit()
    _assert_same_predictions(after, before, X)


@pytest.mark.parametrize("method", ["pinball", "mixture"])
def test_learnt_quantiles_do_not_depend_on_keeping_the_hidden_layer(
    monkeypatch, method
):
    sim = LinearGaussian(n_features=4, noise_std=2.0)
    X = sim.simulate(500, random_state=1).X
    options = dict(
        max_epochs=2,
        hidden_layer_sizes=(16,),
        random_state=0,
        interval_method=method,
    )
    kept = SimulationGroundedRegressor(sim, 20_000, **options).fit()
    _embed_block_by_block(monkeypatch)
    streamed = SimulationGroundedRegressor(sim, 20_000, **options).fit()
    np.testing.assert_array_equal(
        streamed.predict_quantiles(X, [0.05, 0.5, 0.95]),
        kept.predict_quantiles(X, [0.05, 0.5, 0.95]),
    )


def test_inputs_past_float32_are_found_in_any_block(monkeypatch):
    # Finiteness is checked block by block: a value too large in the last
    # block is refused as one in the first is.
    monkeypatch.setattr(_inputs, "FINITE_CHECK_ROWS", 10)
    X = np.ones((35, 3))
    assert _inputs.as_network_inputs(X, X).dtype == np.float32
    X[32, 1] = 1e300
    with pytest.raises(ValueError, match="too large for the network: 1 values"):
        _inputs.as_network_inputs(X, X)


def test_fresh_noise_reads_the_training_trajectories_without_copying_them(
    monkeypatch,
):
    # The callback's latent trajectories are a view of those the fit drew, and
    # the fit is the one it was when they were a copy.
    seen = []

    class Spy(_ensemble.FreshObservations):
        def __init__(self, simulator, latent, *args, **kwargs):
            seen.append(latent)
            super().__init__(simulator, latent, *args, **kwargs)

    class Copying(_ensemble.FreshObservations):
        def __init__(self, simulator, latent, *args, **kwargs):
            copied = latent.take(np.arange(len(latent)))
            super().__init__(simulator, copied, *args, **kwargs)

    sim = LinearGaussian(n_features=4)
    X = sim.simulate(200, random_state=1).X
    options = {**FAST, "observation_noise": "fresh", "max_epochs": 3}
    monkeypatch.setattr(_ensemble, "FreshObservations", Spy)
    viewed = SimulationGroundedRegressor(sim, 2000, **options).fit()
    assert len(seen) == 1 and seen[0].X.base is not None
    monkeypatch.setattr(_ensemble, "FreshObservations", Copying)
    copied = SimulationGroundedRegressor(sim, 2000, **options).fit()
    _assert_same_predictions(viewed, copied, X)


def test_fresh_noise_lets_the_last_draw_go_before_the_next():
    held = []

    class Observer:
        def observe(self, latent, rng):
            held.append(dataset.X)
            return SimpleNamespace(X=latent.X + rng.normal(size=latent.X.shape))

    latent = SimpleNamespace(X=np.zeros((6, 2)))
    dataset = Dataset(np.ones((6, 2), np.float32), np.zeros(6, np.float32))
    callback = _ensemble.FreshObservations(
        Observer(), latent, lambda X: X.astype(np.float32), 0
    )
    net = SimpleNamespace(history=[{}, {}], max_epochs=2)
    callback.on_epoch_begin(net, dataset_train=dataset)
    assert held == [None]
    assert dataset.X.shape == (6, 2) and not (dataset.X == 1).any()


def _rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    pytest.skip("no VmRSS here")


@pytest.mark.skipif(not hasattr(mmap.mmap, "madvise"), reason="no mmap.madvise")
def test_released_rows_give_their_memory_back():
    X = releasable_empty((1 << 16, 128), np.dtype(np.float64))  # 64 MiB
    X[...] = 1.0
    before = _rss_mb()
    release_rows(X[: 1 << 15], 1 << 15)  # a view of the first half
    assert before - _rss_mb() > 24
    assert not X[: (1 << 15) - 4].any() and (X[(1 << 15) + 4 :] == 1).all()
    release_rows(np.ones((10, 2)), 10)  # anything else is left alone: no error


@pytest.mark.parametrize("preprocessor", [None, "auto"])
def test_simulations_released_as_standardised_predict_as_kept(
    monkeypatch, preprocessor
):
    # 20,000 simulations in three chunks, standardised in blocks of 1,000
    # rows: every block of the joined simulations is released once written,
    # and the fit is the one that kept them.
    monkeypatch.setattr(_input_encoding, "TRANSFORM_BLOCK_ROWS", 1000)
    released = []

    def spy(X, stop):
        released.append(stop)
        _pages.release_rows(X, stop)

    monkeypatch.setattr(_input_encoding, "release_rows", spy)
    sim = SIR(n_days=20)
    X = sim.simulate(300, random_state=1).X
    options = {**FAST, "max_epochs": 2, "observation_noise": "fixed"}
    lean = SimulationGroundedRegressor(
        sim, 20_000, preprocessor=preprocessor, **options
    ).fit()
    assert released == list(range(1000, 20_001, 1000))
    monkeypatch.setattr(_input_encoding, "release_rows", lambda X, stop: None)
    kept = SimulationGroundedRegressor(
        sim, 20_000, preprocessor=preprocessor, **options
    ).fit()
    _assert_same_predictions(lean, kept, X)
    np.testing.assert_array_equal(lean.memory_bank_.inputs, kept.memory_bank_.inputs)


def test_simulations_are_released_only_while_finite(monkeypatch):
    # A block too large for float32 stops the release, so the refusal quotes
    # the values it refuses.
    monkeypatch.setattr(_input_encoding, "TRANSFORM_BLOCK_ROWS", 1000)
    est = SimulationGroundedRegressor(preprocessor=None, **FAST)
    X = releasable_empty((40_000, 8), np.dtype(np.float64))
    X[...] = np.random.default_rng(0).normal(size=X.shape)
    est.preprocessor_ = None
    est.input_scaler_ = StandardScaler().fit(X)
    X[25_500, 3] = 1e300
    with pytest.raises(
        ValueError, match=r"1 values .*largest absolute value in X: 1e\+300"
    ):
        est._transform_inputs(X, release=True)
    assert not X[:24_000].any() and X[25_000:].all()


def test_fresh_noise_draws_released_as_standardised_predict_as_kept(monkeypatch):
    # The first draw and each epoch's new draw are handed back block by block
    # as they are standardised; the fit is the one that kept them.
    monkeypatch.setattr(_input_encoding, "TRANSFORM_BLOCK_ROWS", 1000)
    released = []

    def spy(X, stop):
        _pages.release_rows(X, stop)
        # Whole pages (4096 bytes: at most 52 rows of 20 float32 or float64)
        # before row stop - 60 read as zeros.
        released.append((len(X), stop, not X[: stop - 60].any()))

    monkeypatch.setattr(_input_encoding, "release_rows", spy)
    sim = SIR(n_days=20)
    X = sim.simulate(300, random_state=1).X
    options = {**FAST, "max_epochs": 3, "observation_noise": "fresh"}
    lean = SimulationGroundedRegressor(sim, 20_000, **options).fit()
    # The first draw (20,000 rows), then the training rows' draws of epochs 2
    # and 3 (18,000 rows each) when they are drawn whole.
    first = [(20_000, stop, True) for stop in range(1000, 20_001, 1000)]
    redraw = [(18_000, stop, True) for stop in range(1000, 18_001, 1000)]
    assert released[: len(first)] == first
    released.clear()
    monkeypatch.setattr(_fresh_noise, "observation_blocks", lambda *args: None)
    whole = SimulationGroundedRegressor(sim, 20_000, **options).fit()
    assert released == first + redraw + redraw
    monkeypatch.setattr(_input_encoding, "release_rows", lambda X, stop: None)
    kept = SimulationGroundedRegressor(sim, 20_000, **options).fit()
    for released_fit in (lean, whole):
        _assert_same_predictions(released_fit, kept, X)
        np.testing.assert_array_equal(
            released_fit.memory_bank_.inputs, kept.memory_bank_.inputs
        )


@pytest.mark.parametrize("noise", ["negbin", "poisson"])
@pytest.mark.parametrize("shape", [(20_500, 7), (300, 7), (20_500,)])
def test_count_blocks_are_the_counts_drawn_whole(noise, shape):
    rng = np.random.default_rng(0)
    mean = rng.gamma(2.0, 5.0, size=shape)
    k = rng.uniform(0.5, 20.0, size=(shape[0], 1) if len(shape) == 2 else shape)
    whole_rng, block_rng = np.random.default_rng(3), np.random.default_rng(3)
    whole = _observation.sample_counts(mean, noise, whole_rng, k)
    blocks = list(_observation.iter_count_blocks(mean, noise, block_rng, k))
    assert max(len(b) for _, b in blocks) <= _observation.DRAW_BLOCK_ROWS
    assert len(blocks) == -(-shape[0] // _observation.DRAW_BLOCK_ROWS)
    np.testing.assert_array_equal(np.concatenate([b for _, b in blocks]), whole)
    for rows, block in blocks:
        np.testing.assert_array_equal(whole[rows], block)
    # The generator is left where drawing the whole leaves it.
    assert block_rng.random() == whole_rng.random()


@pytest.mark.parametrize("noise", ["negbin", "poisson"])
def test_fresh_count_noise_drawn_in_blocks_predicts_as_drawn_whole(monkeypatch, noise):
    # Blocks of 1,000 rows: each redraw of 5,400 training rows spans six.
    monkeypatch.setattr(_observation, "DRAW_BLOCK_ROWS", 1000)
    drawn = []
    blocks_of = _fresh_noise.observation_blocks

    def spy(*args):
        blocks = blocks_of(*args)
        drawn.append(blocks is not None)
        return blocks

    monkeypatch.setattr(_fresh_noise, "observation_blocks", spy)
    sim = SIR(n_days=20, noise=noise)
    X = sim.simulate(300, random_state=1).X
    options = {**FAST, "max_epochs": 4, "observation_noise": "fresh"}
    blockwise = SimulationGroundedRegressor(sim, 6000, **options).fit()
    assert drawn == [True] * 4  # the first draw (as float32) and three more
    monkeypatch.setattr(_fresh_noise, "observation_blocks", lambda *args: None)
    whole = SimulationGroundedRegressor(sim, 6000, **options).fit()
    _assert_same_predictions(blockwise, whole, X)


def test_fresh_noise_lets_the_latent_trajectories_go_before_the_heads(monkeypatch):
    # The heads train on the first draw: the latent trajectories (twice the
    # float32 inputs) are let go before they take their own memory.
    held = []
    after_training = _regressor.SimulationGroundedRegressor._after_training

    def spy(self, *args, **kwargs):
        held.append(self._fresh_latent)
        return after_training(self, *args, **kwargs)

    monkeypatch.setattr(_regressor.SimulationGroundedRegressor, "_after_training", spy)
    options = {**FAST, "max_epochs": 2, "observation_noise": "fresh"}
    est = SimulationGroundedRegressor(SIR(n_days=20), 2000, **options).fit()
    assert est.observation_noise_ == "fresh" and held == [None]


@pytest.mark.parametrize(
    "preprocessor, noise", [("auto", "negbin"), (None, "negbin"), ("auto", "poisson")]
)
def test_first_draw_held_as_float32_counts_predicts_as_drawn_whole(
    monkeypatch, preprocessor, noise
):
    # The first draw, held as float32 (every count exact) and read back in
    # float64 blocks of 1,000 rows by the preprocessor check, the scaler and
    # the input transform, gives the fit that drew it whole in float64.
    monkeypatch.setattr(_observation, "DRAW_BLOCK_ROWS", 1000)
    monkeypatch.setattr(_scaling, "BLOCK_ROWS", 1000)
    monkeypatch.setattr(_input_encoding, "TRANSFORM_BLOCK_ROWS", 1000)
    kinds = []
    as_float32 = _ensemble.counts_as_float32

    def spy(*args):
        X = as_float32(*args)
        kinds.append(None if X is None else X.dtype)
        return X

    monkeypatch.setattr(_ensemble, "counts_as_float32", spy)
    sim = SIR(n_days=20, noise=noise)
    X = sim.simulate(300, random_state=1).X
    options = {**FAST, "max_epochs": 2, "observation_noise": "fresh"}
    compact = SimulationGroundedRegressor(
        sim, 6000, preprocessor=preprocessor, **options
    ).fit()
    assert kinds == [np.float32]
    monkeypatch.setattr(_ensemble, "counts_as_float32", lambda *args: None)
    whole = SimulationGroundedRegressor(
        sim, 6000, preprocessor=preprocessor, **options
    ).fit()
    assert type(compact.preprocessor_) is type(whole.preprocessor_)
    assert (compact.preprocessor_ is None) == (preprocessor is None)
    _assert_same_fit(compact, whole, X)


def test_counts_past_float32_are_drawn_in_float64():
    # Counts of a population of 10^10 pass 2^24, which float32 rounds: the
    # first draw is then drawn again, whole, in float64.
    sim = SIR(n_days=20, population=1e10)
    latent = sim.simulate_latent(200, random_state=0)
    assert latent.X.max() > 2**25
    assert _fresh_noise.counts_as_float32(sim, latent, np.random.default_rng(0)) is None
    options = {**FAST, "max_epochs": 2, "observation_noise": "fresh"}
    est = SimulationGroundedRegressor(sim, 500, **options).fit()
    assert est.observation_noise_ == "fresh" and "_counts_as_float32" not in vars(est)


@pytest.mark.parametrize("n_estimators, early_stopping", [(1, True), (2, False)])
def test_fresh_noise_written_over_the_first_draw_predicts_as_beside_it(
    monkeypatch, n_estimators, early_stopping
):
    # Drawn each epoch (not ahead), in blocks of 1,000 rows, over the first
    # draw's training inputs, which are drawn again after training: the fit
    # is the one that held each draw beside them.
    monkeypatch.setattr(_fresh_noise, "PREFETCH_MAX_BYTES", 0)
    monkeypatch.setattr(_observation, "DRAW_BLOCK_ROWS", 1000)
    targets = []

    class Spy(_fresh_noise.FreshObservations):
        def _inputs(self, epoch, out=None):
            inputs = super()._inputs(epoch, out)
            targets.append(inputs is out)
            return inputs

    monkeypatch.setattr(_ensemble, "FreshObservations", Spy)
    sim = SIR(n_days=20)
    X = sim.simulate(300, random_state=1).X
    options = {
        **FAST,
        "max_epochs": 3,
        "observation_noise": "fresh",
        "n_estimators": n_estimators,
        "early_stopping": early_stopping,
    }
    over = SimulationGroundedRegressor(sim, 6000, **options).fit()
    assert targets == [True, True] * n_estimators

    class Beside(_fresh_noise.FreshObservations):
        def __init__(self, *args, first_draw=None):
            super().__init__(*args)

    monkeypatch.setattr(_ensemble, "FreshObservations", Beside)
    beside = SimulationGroundedRegressor(sim, 6000, **options).fit()
    _assert_same_predictions(over, beside, X)
    np.testing.assert_array_equal(over.memory_bank_.inputs, beside.memory_bank_.inputs)
