"""
Why this answer? Explaining a prediction by the simulations behind it
=====================================================================

A :class:`~sgnn_sklearn.SimulationGroundedClassifier` trained on a mixture of
growth mechanisms says how probable each mechanism is for an observed series.
``explain_mechanism`` says *why*, in the simulator's own terms: it embeds the
series with the trained network's last hidden layer, finds the training
simulations the network finds most alike, and reports which mechanisms and
which parameter values produced them. Their mechanism shares approximate the
posterior probability of each mechanism, and their parameters approximate the
posterior of the latent parameters ("back to simulation" attribution).
"""

# %%
# A classifier of growth mechanisms
# ---------------------------------
# Exponential, logistic and Gompertz growth, each observed as 30 days of
# negative-binomial counts under its default prior. The classifier sees the
# logarithm of the counts; it keeps a random subset of its training
# simulations (``memory_bank_size``) to explain its predictions with.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.preprocessing import FunctionTransformer

from sgnn_sklearn import SimulationGroundedClassifier
from sgnn_sklearn.simulators import (
    ExponentialGrowth,
    GompertzGrowth,
    LogisticGrowth,
    MixtureSimulator,
)

mixture = MixtureSimulator(
    [
        ("exponential", ExponentialGrowth()),
        ("logistic", LogisticGrowth()),
        ("gompertz", GompertzGrowth()),
    ]
)
clf = SimulationGroundedClassifier(
    mixture,
    n_simulations=6000,
    hidden_layer_sizes=(64, 64),
    max_epochs=30,
    batch_size=256,
    lr=3e-3,
    preprocessor=FunctionTransformer(np.log1p),
    memory_bank_size=6000,
    random_state=0,
)
clf.fit()

# %%
# Explain a few "real" series
# ---------------------------
# Stand-ins for real observations: four series drawn from the mixture with
# another seed, so that their true mechanism and growth rate are known. For
# each, the 100 nearest training simulations give the share of each
# mechanism, next to the classifier's own ``predict_proba``, and a central
# 90% interval of each parameter.
real = mixture.simulate(4, random_state=1)
explanation = clf.explain_mechanism(real.X, n_neighbors=100)

proba = clf.predict_proba(real.X)
print("mechanisms:", explanation.mechanism_names)
for i in range(len(explanation)):
    print(
        f"series {i} (truly {real.mechanism[i]}, r = {real.params[i, 0]:.2f}): "
        f"neighbours {np.round(explanation.mechanism_proba[i], 2)}, "
        f"predict_proba {np.round(proba[i], 2)}"
    )

# %%
# ``to_frame`` gives the same as a table (pandas), one row per series: the
# mechanism shares, then the mean and the interval of each parameter among
# the neighbours (``K`` only among the neighbours whose mechanism has a
# carrying capacity), and the distance to the nearest one.
frame = explanation.to_frame()
print(frame.round(2).T)

# %%
# The series behind the answer
# ----------------------------
# ``plot_series(i)`` draws what a scientist wants to see first: the observed
# series (black) over the series of its nearest training simulations,
# coloured by their mechanism, with the share of each mechanism and each
# parameter's 90% interval among the neighbours beside it. The series are
# drawn as the network compared them, after the ``preprocessor`` (here the
# logarithm of the counts). Parameters that are the same in every neighbour
# (fixed by the simulator) or that no neighbour's mechanism has are named,
# not given an interval.
fig = explanation.plot_series(1)

# %%
# ``plot(i)`` draws the same explanation as distributions: the mechanism
# shares and the spread of each parameter among the neighbours.
fig = explanation.plot(1)

# %%
# Are the attributions consistent with the classifier?
# ----------------------------------------------------
# Both estimate the same posterior, one by the network's output layer, the
# other by counting neighbours in its representation, so on many series
# they should agree. Over 600 fresh series, the mean absolute difference
# between the neighbours' mechanism shares and ``predict_proba`` is printed
# below, with the share of series whose 90% neighbour interval of the growth
# rate ``r`` holds the true rate. The neighbours' interval is an
# approximation (100 neighbours from a bank of 6000 simulations, in a
# representation trained to tell mechanisms apart, not to estimate ``r``),
# so its coverage need not be exactly 90%.
test = mixture.simulate(600, random_state=2)
test_explanation = clf.explain_mechanism(test.X, n_neighbors=100)
test_proba = clf.predict_proba(test.X)
difference = np.abs(test_explanation.mechanism_proba - test_proba).mean()
r = list(test_explanation.param_names).index("r")
covered = (test_explanation.param_lower[:, r] <= test.params[:, r]) & (
    test.params[:, r] <= test_explanation.param_upper[:, r]
)
print(f"mean |neighbour share - predict_proba|: {difference:.3f}")
print(f"90% neighbour intervals of r holding the true r: {covered.mean():.1%}")

fig, axes = plt.subplots(1, 3, figsize=(12, 4), sharex=True, sharey=True)
for j, (ax, name) in enumerate(zip(axes, clf.classes_, strict=True)):
    ax.scatter(test_proba[:, j], test_explanation.mechanism_proba[:, j], s=5)
    ax.plot([0, 1], [0, 1], color="grey", lw=1)
    ax.set_title(name)
    ax.set_xlabel("predict_proba")
axes[0].set_ylabel("share among the 100 nearest simulations")
fig.tight_layout()
plt.show()
