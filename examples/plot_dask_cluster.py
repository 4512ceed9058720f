"""
Simulating on a Dask cluster
============================

The estimators simulate through joblib, in chunks that each carry their own
seed. A ``joblib.parallel_config(backend="dask")`` context therefore sends
the simulations to a Dask cluster without any change to the estimator, and
the result is bit-identical to a run with ``n_jobs=1``: the seeds depend on
``random_state`` and the chunk, never on which worker ran it.

This example starts a small ``dask.distributed.LocalCluster`` on this
machine; on a real cluster, connect the ``Client`` to the scheduler's
address instead (``Client("scheduler-address:8786")``) and keep the rest.
Dask is optional (``pip install sgnn_sklearn[cluster]``): without it, the
example says so and runs the local half only.
"""

# %%
# The same estimator, locally and on the cluster
# ----------------------------------------------
# An SIR estimator of :math:`R_0` with 20,000 simulations, in three chunks of
# at most 8192. A short training keeps the example quick; what matters here is
# that both fits see the same simulations.
import time

import joblib
import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.preprocessing import FunctionTransformer

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.simulators import SIR, simulate_chunked

sir = SIR(n_days=60)
local = SimulationGroundedRegressor(
    sir,
    n_simulations=20_000,
    hidden_layer_sizes=(32, 32),
    max_epochs=3,
    batch_size=512,
    lr=3e-3,
    preprocessor=FunctionTransformer(np.log1p),
    n_jobs=1,
    random_state=0,
)
start = time.perf_counter()
local.fit()
print(f"local fit, n_jobs=1: {time.perf_counter() - start:.1f} s")

outbreaks = SIR(n_days=60).simulate(300, random_state=1)
on_local = local.predict(outbreaks.X)

# %%
# Start a cluster and fit inside the Dask backend
# -----------------------------------------------
# Two single-threaded workers in this process (``processes=False`` keeps the
# example light; a real cluster's workers are separate processes or machines,
# and the code is the same). ``n_jobs=None`` lets the backend decide how many
# chunks run at once.
try:
    from dask.distributed import Client, LocalCluster
except ImportError:
    Client = LocalCluster = None
    print(
        "dask.distributed is not installed, so this example runs the local fit "
        "only. Install it with `pip install sgnn_sklearn[cluster]`."
    )

on_dask = None
if LocalCluster is not None:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        with joblib.parallel_config(backend="dask"):
            chunks_on_dask = simulate_chunked(sir, 4000, random_state=0, chunk_size=500)
            start = time.perf_counter()
            remote = clone(local).set_params(n_jobs=None).fit()
            print(f"fit on the Dask cluster: {time.perf_counter() - start:.1f} s")
    on_dask = remote.predict(outbreaks.X)

# %%
# Identical results
# -----------------
# The simulated chunks and the fitted networks' predictions are exactly the
# same (not merely close) as with one local job.
if on_dask is not None:
    chunks_local = simulate_chunked(sir, 4000, random_state=0, chunk_size=500, n_jobs=1)
    print("simulations identical:", np.array_equal(chunks_local.X, chunks_on_dask.X))
    print("predictions identical:", np.array_equal(on_local, on_dask))

# %%
# On two shared CPU cores the cluster cannot be faster than one local job:
# the gain comes when the workers are many, and the simulator is expensive.
fig, ax = plt.subplots(figsize=(5, 4.5))
ax.scatter(outbreaks.y, on_local, s=12, label="n_jobs=1")
if on_dask is not None:
    ax.scatter(outbreaks.y, on_dask, s=3, marker="x", label="Dask cluster")
ax.plot([1.2, 4.0], [1.2, 4.0], color="grey", lw=1)
ax.set_xlabel(r"true $R_0$")
ax.set_ylabel(r"predicted $R_0$")
ax.legend()
fig.tight_layout()
plt.show()
