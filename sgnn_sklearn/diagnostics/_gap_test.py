"""`simulation_gap_test`: can real series be told apart from held-out simulations?"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from ..estimators._faults import drop_invalid
from ..estimators._inputs import refuse_incomplete_rows
from ..estimators._memory import MemoryBank, SimulationGapWarning, fitted_memory_bank
from ..simulators import simulate_chunked
from ..simulators._validation import check_n_samples, check_simulation

# Below this many real series a fold of the effect size's cross-fitting would
# hold fewer than 5, and the test has little power against any mismatch.
MIN_REAL_SERIES = 10
# At most this many real series enter the test (a random subset beyond):
# the kernel matrix and the permutations grow with the square of the count,
# and 500 series already detect any mismatch a few hundred would.
MAX_REAL_SERIES = 500
# The kernel is the mean of Gaussian kernels with length scales 1, 1/2, 1/4
# and 1/8 times the median pairwise distance: the median alone is too wide in
# a representation of many units and misses a change in the spread (in a
# first trial on the misspecification experiment's settings it caught
# overdispersed reports in 17 of 20 draws, the mixture in 20 of 20; see the
# uncertainty page), and a mixture needs no single scale to be right.
N_NARROWER_SCALES = 3
# reference="fresh" draws at least this many simulations by default.
MIN_FRESH = 200
# The significance level at which ``fit(X_real)`` warns.
FIT_WARNING_LEVEL = 0.05


@dataclass(frozen=True)
class SimulationGapTest:
    """Result of :func:`simulation_gap_test`: a two-sample test and its effect size.

    Parameters
    ----------
    statistic : float
        The unbiased estimate of the squared maximum mean discrepancy (MMD)
        between the real series and the held-out simulations, in the
        representation named by ``representation``, with a mixture of
        Gaussian kernels. 0 in expectation when they come from the same
        distribution.
    pvalue : float
        Share of label permutations whose statistic reaches the observed one
        (counting the observed labelling): the probability, were the real
        series drawn from the simulator, of a discrepancy at least this large.
    effect_size : float
        Area under the ROC curve (AUC) of a kernel classifier that tells real
        series from held-out simulations, each scored by a witness function
        learnt on the other half of both sets: the probability that a random
        real series scores as less simulation-like than a random held-out
        simulation. 0.5 means indistinguishable; 1 perfectly separated.
    representation : str
        Where the series were compared.
    n_real : int
        Number of real series tested (at most 500, a random subset beyond).
    n_reference : int
        Number of simulations compared with.
    n_permutations : int
        Number of label permutations behind ``pvalue``.
    bandwidth : float
        The median pairwise distance of the pooled series; the kernels' length
        scales are 1/8, 1/4, 1/2 and 1 times it.
    alpha : float
        Significance level: the test rejects when ``pvalue <= alpha``.
    reference : {"held-out", "fresh"}, default="held-out"
        Which simulations the real series were compared with: those the fit
        held out, or new ones drawn for this test.

    Examples
    --------
    >>> result = SimulationGapTest(0.02, 0.001, 0.81, "embedding", 100, 2000,
    ...                            999, 3.2, 0.05)
    >>> result.rejected
    True
    >>> print(result)  # doctest: +NORMALIZE_WHITESPACE
    SimulationGapTest(rejected at alpha=0.05: p-value 0.001, effect size (AUC)
    0.81, MMD^2 0.02; 100 real series vs 2000 held-out simulations in the
    embedding, 999 permutations)
    """

    statistic: float
    pvalue: float
    effect_size: float
    representation: str
    n_real: int
    n_reference: int
    n_permutations: int
    bandwidth: float
    alpha: float
    reference: str = "held-out"

    @property
    def rejected(self) -> bool:
        """Whether the real series are distinguishable from the simulations.

        Examples
        --------
        >>> SimulationGapTest(0.0, 0.4, 0.5, "embedding", 50, 200, 99, 1.0,
        ...                   0.05).rejected
        False
        """
        return bool(self.pvalue <= self.alpha)

    def __repr__(self) -> str:
        verdict = "rejected" if self.rejected else "not rejected"
        return (
            f"SimulationGapTest({verdict} at alpha={self.alpha:g}: p-value "
            f"{self.pvalue:.3g}, effect size (AUC) {self.effect_size:.2f}, MMD^2 "
            f"{self.statistic:.3g}; {self.n_real} real series vs "
            f"{self.n_reference} {self.reference} simulations in the "
            f"{self.representation}, "
            f"{self.n_permutations} permutations)"
        )


def simulation_gap_test(
    estimator: Any,
    X_real: Any,
    *,
    reference: str = "held-out",
    n_reference: int | None = None,
    n_permutations: int = 999,
    alpha: float = 0.05,
    random_state: Any = None,
) -> SimulationGapTest:
    """Test whether real series are distinguishable from held-out simulations.

    Both are compared where the network sees them: in its last hidden layer
    (the embedding that :func:`simulation_gap` and the memory bank use). The
    held-out simulations are the memory bank's reference, which the network
    was not trained on. The test is a kernel two-sample test: the maximum
    mean discrepancy (MMD) with a Gaussian kernel, calibrated by permuting
    which series are real. Where :func:`simulation_gap` scores how far each
    series lies from the simulations, this test asks whether the real series
    *as a set* could have come from the simulator, so it also catches a
    mismatch that keeps every series inside the simulated support but moves
    where they fall in it.

    Parameters
    ----------
    estimator : fitted SimulationGroundedRegressor or SimulationGroundedClassifier
        Fitted on a simulator, with ``memory_bank_size > 0``.
    X_real : array-like of shape (n_samples, n_features)
        The real series, at least 10; beyond 500 a random subset of 500 is
        tested.
    reference : {"held-out", "fresh"}, default="held-out"
        What the real series are compared with. ``"held-out"``: the
        simulations the fit held out for early stopping (the memory bank's
        reference). ``"fresh"``: ``n_reference`` new simulations drawn from
        the estimator's simulator for this test, so that tests of several
        data sets against one model do not share one sample of simulations
        (see Notes). They are drawn and checked as the fit's were: invalid
        ones (NaN or inf, a draw that raised) are dropped with a warning that
        counts them, or raise, as ``on_invalid`` and ``min_valid_fraction``
        say.
    n_reference : int, optional
        With ``reference="fresh"``, how many simulations to draw; by default
        as many as the fit held out (at least 200). Only for ``"fresh"``.
    n_permutations : int, default=999
        Number of label permutations; the smallest reachable p-value is
        ``1 / (n_permutations + 1)``.
    alpha : float in (0, 1), default=0.05
        Significance level of ``rejected``.
    random_state : int, RandomState instance or None, default=None
        Seeds the fresh simulations, the permutations, the subset beyond 500
        real series and the halves of the effect size. An int gives
        identical results on every call.

    Returns
    -------
    SimulationGapTest
        ``statistic`` (MMD^2), ``pvalue``, ``effect_size`` (an AUC),
        ``rejected`` and what was compared.

    Raises
    ------
    ValueError
        If ``X_real`` has fewer than 10 rows, the wrong number of features,
        or a missing or infinite value; or if the estimator kept no
        simulations to compare with.

    See Also
    --------
    simulation_gap : Per-series distance from the simulations.

    Notes
    -----
    How to read it. The p-value answers "could these real series have been
    drawn from the simulator (under its prior)?": a small one (below
    ``alpha``) says they could not, in the network's eyes, and the network's
    predictions on them rest on data unlike its training data. The effect
    size says how much: the AUC of telling a real series from a simulated
    one. About 0.5 is no detectable difference; 0.55 to 0.65 a small one,
    which with many real series is significant yet may cost little accuracy;
    above 0.75 most real series look unlike the simulations, and the
    simulator or its observation model needs changing (broaden the
    observation process, widen the prior) before its predictions are
    trusted. A large p-value is no proof that the simulator is right: with
    few real series only large mismatches are detected, and a mismatch that
    the network's representation discards (one that does not change what
    the network computes) is invisible to it by design.

    The statistic is the unbiased estimate of the squared MMD of Gretton et
    al. [1]_ between the ``n`` real and ``m`` held-out simulated embeddings,
    each unit standardised over the pooled set. The kernel is the mean of
    four Gaussian kernels whose length scales are 1/8, 1/4, 1/2 and 1 times
    the median pairwise distance of the pooled embeddings: the median alone
    (the usual heuristic [1]_) is too wide in a representation of many
    units and missed overdispersed reports, and a mixture of scales,
    itself a characteristic kernel, needs no single one to be right. The
    p-value is that of a permutation test [1]_: the pooled embeddings are
    relabelled at random ``n_permutations`` times, and
    ``p = (1 + #{permuted statistic >= observed}) / (1 + n_permutations)``,
    which is valid at every ``n`` (the level is exact when the real series
    are exchangeable with the held-out simulations). The standardisation and
    the length scales come from the pooled sample, which the permutations
    leave unchanged, so they do not bias the level.

    The level holds over draws of both sets. Tests of several real data
    sets against one fitted estimator share its held-out simulations, and
    if those happen to be an unusual sample the tests reject together: on
    ``LinearGaussian(n_features=4, noise_std=0.5)`` fitted on 1,000
    simulations, 20 draws of 300 series the simulator itself made were
    rejected 5 and 8 times at the 5% level against the held-out sets of two
    fits, and 0 times against fresh simulations of the same size; over 20
    fits, one draw each, 0 times (``tests/test_diagnostics.py``). To test
    many data sets, pass ``reference="fresh"`` with a different
    ``random_state`` for each: each test then draws its own simulations,
    against which the level holds test by test.

    The effect size is the AUC of a classifier two-sample test in the sense
    of Lopez-Paz and Oquab [2]_, with the MMD's witness function
    (the mean kernel similarity to the real series minus that to the
    simulations) as the classifier: it is learnt on one half of both sets
    and scores the other, and the two halves swap. It is conservative (a
    witness learnt from half the series separates less well than the true
    one) and, unlike the MMD, it has the same scale whatever the
    representation.

    References
    ----------
    .. [1] A. Gretton, K. M. Borgwardt, M. J. Rasch, B. Schölkopf and
       A. Smola, "A kernel two-sample test", Journal of Machine Learning
       Research 13 (2012) 723-773.
    .. [2] D. Lopez-Paz and M. Oquab, "Revisiting classifier two-sample
       tests", International Conference on Learning Representations (2017).

    Examples
    --------
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> from sgnn_sklearn.diagnostics import simulation_gap_test
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian(n_features=3)
    >>> est = SimulationGroundedRegressor(sim, n_simulations=5000, max_epochs=10,
    ...                                   random_state=0).fit()
    >>> same = simulation_gap_test(est, sim.simulate(50, random_state=3).X,
    ...                            random_state=0)
    >>> noisier = LinearGaussian(n_features=3, noise_std=2.0)
    >>> gap = simulation_gap_test(est, noisier.simulate(50, random_state=2).X,
    ...                           random_state=0)
    >>> same.rejected, gap.rejected
    (False, True)
    >>> print(gap)  # doctest: +NORMALIZE_WHITESPACE
    SimulationGapTest(rejected at alpha=0.05: p-value 0.001, effect size (AUC)
    0.83, MMD^2 0.0632; 50 real series vs 1000 held-out simulations in the
    network's last hidden layer (102 varying units, standardised), 999
    permutations)
    """
    if reference not in ("held-out", "fresh"):
        raise ValueError(f"reference must be 'held-out' or 'fresh'; got {reference!r}.")
    if n_reference is not None and reference != "fresh":
        raise ValueError(
            "n_reference sets how many fresh simulations to draw; it applies "
            "to reference='fresh' only (the held-out ones are the fit's)."
        )
    check_is_fitted(estimator)
    if reference == "fresh" and getattr(estimator, "simulator_", None) is not None:
        # Fresh simulations need the simulator, not the kept ones.
        bank = getattr(estimator, "memory_bank_", None)
    else:
        bank = fitted_memory_bank(estimator, "simulation_gap_test")
    n_permutations = check_n_samples(n_permutations, "n_permutations")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}.")
    X_real = _check_real_series(X_real, estimator)
    embeddings = estimator._embed_inputs(estimator._network_inputs(X_real))
    rng = check_random_state(random_state)
    if reference == "fresh":
        held_out = 0 if bank is None else len(bank.reference_embeddings)
        n = max(held_out, MIN_FRESH) if n_reference is None else n_reference
        simulated = _fresh_embeddings(estimator, check_n_samples(n, "n_reference"), rng)
    else:
        assert bank is not None
        simulated = bank.reference_embeddings
    result = embedding_gap_test(
        embeddings,
        simulated,
        n_permutations=n_permutations,
        alpha=alpha,
        random_state=rng,
    )
    return replace(result, reference=reference)


def _fresh_embeddings(estimator: Any, n: int, rng: Any) -> np.ndarray:
    """Embeddings of ``n`` new simulations, the invalid ones dropped, counted.

    Drawn and checked as the fit drew its own: in chunks, under the
    estimator's fault policy (``on_invalid``, ``min_valid_fraction``) and
    its fitted preprocessor, as online training checks each new chunk.
    """
    simulator = estimator.simulator_
    simulation = simulate_chunked(
        simulator,
        n,
        random_state=rng.randint(np.iinfo(np.int32).max),
        n_jobs=estimator.n_jobs,
    )
    simulation, n_invalid = drop_invalid(
        check_simulation(simulation, simulator, n, allow_nonfinite=True),
        simulator,
        on_invalid=estimator.on_invalid,
        min_valid_fraction=estimator.min_valid_fraction,
        warn=False,
        preprocessor=estimator.preprocessor_,
        preprocessor_is_fitted=True,
    )
    if n_invalid:
        warnings.warn(
            f"simulation_gap_test: {n_invalid} of the {n} fresh simulations "
            "were invalid (NaN or inf, or a draw that raised) and were dropped.",
            UserWarning,
            stacklevel=3,
        )
    return estimator._embed_inputs(estimator._network_inputs(simulation.X))


def _check_real_series(X_real: Any, estimator: Any) -> np.ndarray:
    """``X_real`` as a finite 2-D array of enough rows, or a clear error."""
    X = check_array(X_real, dtype=None, ensure_all_finite=False, ensure_min_samples=0)
    if len(X) < MIN_REAL_SERIES:
        raise ValueError(
            f"simulation_gap_test needs at least {MIN_REAL_SERIES} real series "
            f"to compare with the simulations; got {len(X)}. With fewer, no "
            "test can tell a mismatch from chance: gather more series, or look "
            "at each one's distance with simulation_gap(estimator, X_real)."
        )
    expected = getattr(estimator, "n_features_in_", X.shape[1])
    if X.shape[1] != expected:
        raise ValueError(
            f"X_real has {X.shape[1]} features, but {type(estimator).__name__} "
            f"was fitted on simulations with {expected}: real and simulated "
            "series must have the same features."
        )
    refuse_incomplete_rows(X, "X_real", "the test compares whole series")
    return X


def embedding_gap_test(
    real: np.ndarray,
    reference: np.ndarray,
    *,
    n_permutations: int = 999,
    alpha: float = 0.05,
    random_state: Any = None,
) -> SimulationGapTest:
    """The MMD permutation test and its AUC on two sets of embeddings.

    See :func:`simulation_gap_test`, which embeds real series and calls this.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> same = embedding_gap_test(rng.normal(size=(50, 2)),
    ...                           rng.normal(size=(200, 2)), random_state=0)
    >>> moved = embedding_gap_test(rng.normal(size=(50, 2)) + 1,
    ...                            rng.normal(size=(200, 2)), random_state=0)
    >>> same.rejected, moved.rejected, bool(moved.effect_size > 0.7)
    (False, True, True)
    """
    if len(reference) < 2:
        raise ValueError(
            f"The test needs at least 2 held-out simulations; the memory bank "
            f"holds {len(reference)}. Fit with more simulations."
        )
    rng = check_random_state(random_state)
    if len(real) > MAX_REAL_SERIES:
        real = real[np.sort(rng.choice(len(real), MAX_REAL_SERIES, replace=False))]
    pooled = _standardised(np.concatenate((real, reference)).astype(np.float64))
    n, m = len(real), len(reference)
    squared = _squared_distances(pooled)
    # Each pair appears twice off the diagonal, which leaves the median as is.
    off_diagonal = ~np.eye(n + m, dtype=bool)
    bandwidth = float(np.sqrt(np.median(squared[off_diagonal])))
    # exp(-d^2 / (2 (h / 2^j)^2)) is the widest kernel to the power 4^j: a
    # few squarings instead of an exponential per scale.
    widest = np.exp(-squared / (2 * max(bandwidth, 1e-12) ** 2))
    kernel, power = widest.copy(), widest
    for _ in range(N_NARROWER_SCALES):
        power = np.square(np.square(power))
        kernel += power
    kernel /= N_NARROWER_SCALES + 1
    row_sums = kernel.sum(axis=1)
    total = float(row_sums.sum())

    def mmd2(real_rows: np.ndarray) -> np.ndarray:
        """The unbiased MMD^2 for each row of real-series positions."""
        # Sums over each subset as products with its indicator vector: one
        # matrix product instead of gathering n^2 entries per permutation.
        indicator = np.zeros((len(real_rows), n + m))
        np.put_along_axis(indicator, real_rows, 1.0, axis=1)
        within_real = np.einsum("ij,ij->i", indicator @ kernel, indicator)
        to_real = indicator @ row_sums
        within_reference = total - 2 * to_real + within_real
        between = to_real - within_real
        # The diagonal (k(x, x) = 1) is left out of the within-set means.
        return (
            (within_real - n) / (n * (n - 1))
            + (within_reference - m) / (m * (m - 1))
            - 2 * between / (n * m)
        )

    observed = float(mmd2(np.arange(n)[None, :])[0])
    permuted = np.array([rng.permutation(n + m)[:n] for _ in range(n_permutations)])
    exceed = sum(
        int((mmd2(chunk) >= observed).sum())
        for chunk in np.array_split(permuted, max(1, n_permutations // 50))
    )
    pvalue = (1 + exceed) / (1 + n_permutations)
    return SimulationGapTest(
        statistic=observed,
        pvalue=float(pvalue),
        effect_size=_witness_auc(kernel, n, rng),
        representation=(
            f"network's last hidden layer ({pooled.shape[1]} varying units, "
            "standardised)"
        ),
        n_real=n,
        n_reference=m,
        n_permutations=n_permutations,
        bandwidth=bandwidth,
        alpha=alpha,
    )


def _standardised(pooled: np.ndarray) -> np.ndarray:
    """Each unit centred and scaled over the pooled set; constant units dropped.

    Scaled so that no unit's range drowns the others' in the distances; the
    pooled statistics are the same under every permutation, which keeps the
    test's level exact.
    """
    std = pooled.std(axis=0)
    varies = std > 1e-9 * max(float(std.max(initial=0.0)), 1e-300)
    return (pooled[:, varies] - pooled[:, varies].mean(axis=0)) / std[varies]


def _squared_distances(points: np.ndarray) -> np.ndarray:
    norms = (points**2).sum(axis=1)
    squared = norms[:, None] + norms[None, :] - 2 * points @ points.T
    return np.maximum(squared, 0.0)


def _witness_auc(kernel: np.ndarray, n: int, rng: np.random.RandomState) -> float:
    """AUC of the cross-fitted MMD witness (real = positive class).

    Each set is cut in two halves; the witness learnt on one half scores the
    other.
    """
    m = len(kernel) - n
    half = np.zeros(n + m, dtype=bool)
    half[rng.permutation(n)[: n // 2]] = True
    half[n + rng.permutation(m)[: m // 2]] = True
    is_real = np.arange(n + m) < n
    scores = np.empty(n + m)
    for scored in (half, ~half):
        learnt = ~scored
        witness = kernel[np.ix_(scored, learnt & is_real)].mean(axis=1) - kernel[
            np.ix_(scored, learnt & ~is_real)
        ].mean(axis=1)
        scores[scored] = witness
    ranks = rankdata(scores)
    # Mann-Whitney: the AUC from the real series' rank sum.
    return float((ranks[:n].sum() - n * (n + 1) / 2) / (n * m))


def warn_if_distinguishable(
    bank: MemoryBank | None, embeddings: np.ndarray, random_state: int
) -> None:
    """Warn, at ``fit(X_real)``, when the gap test rejects at the 5% level.

    Silent with fewer than 10 real series or no memory bank. The permutations
    are seeded by ``random_state``, so a refit warns the same.

    Parameters
    ----------
    bank : MemoryBank or None
        The fitted estimator's ``memory_bank_``.
    embeddings : ndarray of shape (n_samples, n_hidden)
        The real series' embeddings by the fitted network.
    random_state : int
        Seeds the test.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sgnn_sklearn.estimators._memory import MemoryBank
    >>> rng = np.random.default_rng(0)
    >>> reference = rng.normal(size=(200, 2))
    >>> bank = MemoryBank(reference, reference, np.zeros((200, 1)), ("a",), None,
    ...                   None, np.arange(200), reference, reference)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_distinguishable(bank, rng.normal(size=(50, 2)) + 1, 0)
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    The 50 real series are distinguishable from held-out simulations ...
    """
    if (
        bank is None
        or len(embeddings) < MIN_REAL_SERIES
        or len(bank.reference_embeddings) < 2
    ):
        return
    result = embedding_gap_test(
        embeddings,
        bank.reference_embeddings,
        alpha=FIT_WARNING_LEVEL,
        random_state=random_state,
    )
    if not result.rejected:
        return
    warnings.warn(
        f"The {result.n_real} real series are distinguishable from held-out "
        "simulations in the network's representation (gap test: p-value "
        f"{result.pvalue:.3g}, effect size AUC {result.effect_size:.2f}, where "
        "0.5 is indistinguishable and 1 fully separated). The simulator does not "
        "reproduce them, so predictions on them may be biased and their "
        "intervals too narrow: broaden the simulator's observation model or "
        "prior until sgnn_sklearn.diagnostics.simulation_gap_test(est, X) no "
        "longer rejects, or calibrate the intervals on labelled real series "
        "with sgnn_sklearn.calibration.SplitConformalRegressor.",
        SimulationGapWarning,
        stacklevel=5,
    )
