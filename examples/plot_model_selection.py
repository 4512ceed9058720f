"""
Which mechanism generated this series? Model selection with a mixture
======================================================================

A :class:`~sgnn_sklearn.simulators.MixtureSimulator` draws each sample from
one of several candidate mechanisms and labels it with the mechanism's name.
A :class:`~sgnn_sklearn.SimulationGroundedClassifier` trained on the mixture
learns, through cross-entropy, the posterior probability of each mechanism
given an observed series: Bayesian model selection, amortised over every
series it will ever see.
"""

# %%
# Two growth mechanisms
# ---------------------
# Exponential growth keeps accelerating; logistic growth slows as it nears a
# carrying capacity. Both are observed as noisy Poisson counts over 30 days.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.preprocessing import FunctionTransformer

from sgnn_sklearn import SimulationGroundedClassifier
from sgnn_sklearn.simulators import FunctionSimulator, MixtureSimulator

days = np.arange(30)


def exponential(params, rng):
    return rng.poisson(5 * np.exp(params["rate"] * days))


def logistic(params, rng):
    capacity = params["capacity"]
    curve = capacity / (1 + (capacity / 5 - 1) * np.exp(-params["rate"] * days))
    return rng.poisson(curve)


mixture = MixtureSimulator(
    [
        ("exponential", FunctionSimulator(exponential, {"rate": (0.05, 0.2)})),
        (
            "logistic",
            FunctionSimulator(
                logistic,
                {"rate": (0.1, 0.4), "capacity": (50.0, 400.0)},
                targets=["rate"],
            ),
        ),
    ]
)
examples = mixture.simulate(6, random_state=0)
fig, ax = plt.subplots(figsize=(6, 3))
for x, mechanism in zip(examples.X, examples.mechanism, strict=True):
    ax.plot(days, x, color="tab:red" if mechanism == "logistic" else "tab:blue")
ax.set_xlabel("day")
ax.set_ylabel("count (red: logistic, blue: exponential)")
fig.tight_layout()

# %%
# Train the classifier on the mixture
# -----------------------------------
# Counts span orders of magnitude, so a ``preprocessor`` takes their logarithm;
# it is fitted on the simulations and applied to every input, simulated or real.
clf = SimulationGroundedClassifier(
    mixture,
    n_simulations=4000,
    hidden_layer_sizes=(64, 64),
    max_epochs=30,
    batch_size=256,
    lr=3e-3,
    preprocessor=FunctionTransformer(np.log1p),
    random_state=0,
)
clf.fit()
print("classes:", clf.classes_)

# %%
# Posterior probabilities, and how well they are calibrated
# ---------------------------------------------------------
# On fresh simulations, series whose predicted probability of "logistic" is
# about p are logistic about a fraction p of the time: the probabilities mean
# what they say, under the simulation prior.
test = mixture.simulate(2000, random_state=1)
proba = clf.predict_proba(test.X)[:, list(clf.classes_).index("logistic")]
is_logistic = test.mechanism == "logistic"
bins = np.linspace(0, 1, 11)
which = np.clip(np.digitize(proba, bins) - 1, 0, 9)
centres, observed = [], []
for b in range(10):
    if (which == b).sum() >= 10:
        centres.append(proba[which == b].mean())
        observed.append(is_logistic[which == b].mean())

fig, (ax_cal, ax_cm) = plt.subplots(1, 2, figsize=(10, 4))
ax_cal.plot([0, 1], [0, 1], color="grey", lw=1)
ax_cal.plot(centres, observed, marker="o")
ax_cal.set_xlabel("predicted probability of logistic")
ax_cal.set_ylabel("observed fraction logistic")
ConfusionMatrixDisplay.from_predictions(
    test.mechanism, clf.predict(test.X), ax=ax_cm, colorbar=False
)
fig.tight_layout()
plt.show()
