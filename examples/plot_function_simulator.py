"""
Your own simulator in a few lines: FunctionSimulator
====================================================

Most scientific simulators are written one run at a time.
:class:`~sgnn_sklearn.simulators.FunctionSimulator` turns such a function and
a prior over its parameters into a simulator that the estimators can train
on. Here the simulator is a damped oscillator observed with noise, and the
network learns to read its damping rate and frequency off a noisy series.
"""

# %%
# The simulator: one function call per parameter draw
# ---------------------------------------------------
# The function receives a dict with one value per parameter and a
# ``numpy.random.Generator``, and returns the observation.
import matplotlib.pyplot as plt
import numpy as np

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.simulators import FunctionSimulator

times = np.linspace(0, 10, 50)


def damped_oscillator(params, rng):
    signal = np.exp(-params["damping"] * times) * np.cos(params["frequency"] * times)
    return signal + 0.1 * rng.standard_normal(times.size)


simulator = FunctionSimulator(
    damped_oscillator,
    priors={"damping": (0.05, 0.5), "frequency": (0.5, 3.0)},
)
example = simulator.simulate(3, random_state=0)

fig, ax = plt.subplots(figsize=(6, 3))
for x, (damping, frequency) in zip(example.X, example.params, strict=True):
    ax.plot(times, x, label=f"damping {damping:.2f}, frequency {frequency:.2f}")
ax.set_xlabel("time")
ax.legend(fontsize="small")
fig.tight_layout()

# %%
# Train on simulations
# --------------------
# The targets are the parameters (``targets=None`` means all of them); the
# regressor learns their posterior means.
est = SimulationGroundedRegressor(
    simulator,
    n_simulations=4000,
    hidden_layer_sizes=(64, 64),
    max_epochs=30,
    batch_size=256,
    lr=3e-3,
    random_state=0,
)
est.fit()
print("targets:", est.target_names_)

# %%
# Check on fresh simulations
# --------------------------
# Held-out simulations, drawn with another seed, show how well each parameter
# can be recovered from 50 noisy points.
test = simulator.simulate(500, random_state=1)
predicted = est.predict(test.X)
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for j, (ax, name) in enumerate(zip(axes, est.target_names_, strict=True)):
    ax.scatter(test.y[:, j], predicted[:, j], s=5, alpha=0.5)
    lims = [test.y[:, j].min(), test.y[:, j].max()]
    ax.plot(lims, lims, color="grey", lw=1)
    ax.set_xlabel(f"true {name}")
    ax.set_ylabel(f"predicted {name}")
fig.tight_layout()
plt.show()
