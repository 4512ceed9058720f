"""Docstring fragments shared by the baselines, so each is documented once."""

OPTIMISER = """n_init : int, default=50
        Prior draws evaluated per series before optimising; the best ones
        are the starting points.
    n_starts : int, default=2
        L-BFGS-B runs per series (and per candidate), each from one of the
        best ``n_starts`` screened prior draws; the highest optimum is kept.
    max_iter : int, default=200
        Maximum iterations of each L-BFGS-B run."""

N_JOBS = """n_jobs : int, default=None
        Number of joblib workers; series are processed in chunks of 64 with
        their own seeds, so results do not depend on ``n_jobs``. ``None``
        means 1 unless in a ``joblib.parallel_config`` context."""

RANDOM_STATE = """random_state : int, RandomState instance or None, default=None
        Seeds the prior draws (one seed per series). An int gives identical
        results on every call."""

LIKELIHOOD_NOTES = """The likelihood is maximised over the simulator's free parameters
    (those whose prior is not a fixed value) within the support of their priors,
    on a unit scale (logarithmic for positive parameters), with L-BFGS-B and
    forward-difference gradients. Series are fitted independently; within a
    chunk their optimisers run in lockstep, so that one vectorised call of
    ``log_likelihood`` serves the evaluations of all of them (see
    ``sgnn_sklearn.baselines._lockstep``).

    A series on which every start fails (``log_likelihood`` raises, or is
    never finite) is counted in a :class:`LikelihoodFitWarning`."""

FIT_XY = """X : array-like of shape (n_samples, n_features)
            Observed series; only their number of features is used (and
            checked against the simulator's, when it says).
        y : Ignored
            Not used: the model is fixed by the simulator. Accepted so that the
            estimator drops into ``cross_val_score`` next to learned models."""
