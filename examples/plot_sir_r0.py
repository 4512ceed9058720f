"""
Estimating R0 from an epidemic curve
====================================

The basic reproduction number :math:`R_0` is never observed directly: it has
to be inferred from reported cases. An SGNN learns it from simulations of an
SIR epidemic, in which :math:`R_0` is known for every simulated outbreak,
together with the reporting rate, the recovery rate and the size of the first
cluster, none of which the network is told.

The network predicts :math:`R_0` with a posterior standard deviation and
90% intervals. This example also shows what happens when the simulator
misses a mechanism that reality has, and how to fix it by putting that
mechanism, or the doubt about it, into the simulator.
"""

# %%
# Train on SIR simulations
# ------------------------
# Each simulated outbreak is 60 days of reported incidence with
# negative-binomial reporting noise. Counts span orders of magnitude, so the
# network sees their logarithm: the ``preprocessor`` is applied to simulated
# and real inputs alike.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.preprocessing import FunctionTransformer

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.diagnostics import interval_coverage
from sgnn_sklearn.simulators import SEIR, SIR, MixtureSimulator

sir = SIR(n_days=60)
sgnn = SimulationGroundedRegressor(
    sir,
    n_simulations=6000,
    hidden_layer_sizes=(64, 64),
    max_epochs=30,
    batch_size=256,
    lr=3e-3,
    preprocessor=FunctionTransformer(np.log1p),
    random_state=0,
)
sgnn.fit()

# %%
# Two kinds of "real" outbreaks
# -----------------------------
# The first set comes from the SIR model itself: the simulator is right. The
# second comes from an SEIR model, in which infected people first pass
# through a latent stage before they become infectious; the SIR simulator has
# no such stage.
sir_outbreaks = SIR(n_days=60).simulate(1000, random_state=1)
seir_outbreaks = SEIR(n_days=60).simulate(1000, random_state=2)


def rmse(truth, predicted):
    return float(np.sqrt(np.mean((truth - predicted) ** 2)))


# %%
# :math:`R_0` with its uncertainty
# --------------------------------
# Besides the posterior mean, the regressor predicts the posterior standard
# deviation (``predict(X, return_std=True)``) and central intervals
# (``predict_interval``). On outbreaks from the simulator itself, 90%
# intervals should hold the true :math:`R_0` about 90% of the time; on the
# SEIR outbreaks, which the simulator cannot produce, nothing guarantees it.
mean, std = sgnn.predict(sir_outbreaks.X, return_std=True)
lower, upper = sgnn.predict_interval(sir_outbreaks.X, coverage=0.9)
seir_lower, seir_upper = sgnn.predict_interval(seir_outbreaks.X, coverage=0.9)
print(
    "90% intervals holding the true R0: "
    f"{interval_coverage(sir_outbreaks.y, lower, upper):.1%} on SIR outbreaks, "
    f"{interval_coverage(seir_outbreaks.y, seir_lower, seir_upper):.1%} on SEIR "
    "outbreaks"
)
print(f"median posterior std of R0 (SIR outbreaks): {np.median(std):.2f}")

shown = np.argsort(sir_outbreaks.y[:40])
fig, ax = plt.subplots(figsize=(8, 3.5))
positions = np.arange(len(shown))
ax.errorbar(
    positions,
    mean[shown],
    yerr=[mean[shown] - lower[shown], upper[shown] - mean[shown]],
    fmt="o",
    markersize=3,
    capsize=2,
    label="posterior mean and 90% interval",
)
ax.scatter(
    positions,
    sir_outbreaks.y[shown],
    color="black",
    marker="x",
    s=15,
    label=r"true $R_0$",
    zorder=3,
)
ax.set_xlabel("outbreak (sorted by true $R_0$)")
ax.set_ylabel(r"$R_0$")
ax.legend()
fig.tight_layout()


# %%
# With a latent stage an epidemic grows more slowly for the same
# :math:`R_0`, so the SIR-trained network reads SEIR outbreaks as having a
# lower :math:`R_0`: a systematic error that no amount of simulation can
# remove, because it comes from the gap between the simulated and the real
# process (see the user guide's section on misspecification).
#
# The remedy is to let the simulator express the doubt: train on a mixture
# of SIR and SEIR outbreaks. Both share the target ``R0``, so the network
# learns the posterior mean of :math:`R_0` with the mechanism unknown.
mechanism_unknown = MixtureSimulator(
    [("SIR", SIR(n_days=60)), ("SEIR", SEIR(n_days=60))]
)
either = clone(sgnn).set_params(simulator=mechanism_unknown).fit()

fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharex=True, sharey=True)
panels = [
    (sgnn, sir_outbreaks, "trained on SIR, real data SIR"),
    (sgnn, seir_outbreaks, "trained on SIR, real data SEIR"),
    (either, seir_outbreaks, "trained on SIR or SEIR, real data SEIR"),
]
for ax, (model, outbreaks, title) in zip(axes, panels, strict=True):
    predicted = model.predict(outbreaks.X)
    ax.scatter(outbreaks.y, predicted, s=4, alpha=0.4)
    ax.plot([1.2, 4.0], [1.2, 4.0], color="grey", lw=1)
    ax.set_title(f"{title}\nRMSE {rmse(outbreaks.y, predicted):.2f}", fontsize=10)
    ax.set_xlabel(r"true $R_0$")
axes[0].set_ylabel(r"predicted $R_0$")
fig.tight_layout()
plt.show()
