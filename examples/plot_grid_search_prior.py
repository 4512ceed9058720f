"""
Choosing a simulator's prior with GridSearchCV
==============================================

A simulator's prior is a modelling choice. When some labelled real data
exist, the prior can be chosen like any hyperparameter: the simulator's
parameters are reachable from the estimator as ``simulator__PARAM``, so
:class:`~sklearn.model_selection.GridSearchCV` can search over them.

With ``real_data="ignore"`` each candidate network is trained on simulations
only and the cross-validation scores it, zero-shot, on the held-out real
labels: the search picks the prior under which the simulations look most like
the real data.
"""

# %%
# Real data whose parameter varies more than the default prior says
# -------------------------------------------------------------------
# The real parameters have standard deviation 2.5; the simulator's default
# prior assumes 1.0.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian

true_prior_std = 2.5
real = LinearGaussian(n_features=5, noise_std=1.0, prior_std=true_prior_std).simulate(
    150, random_state=0
)

# %%
# Search over the prior's width
# -----------------------------
estimator = SimulationGroundedRegressor(
    LinearGaussian(n_features=5, noise_std=1.0),
    n_simulations=2000,
    hidden_layer_sizes=(32, 32),
    max_epochs=20,
    batch_size=256,
    lr=3e-3,
    real_data="ignore",
    random_state=0,
)
grid = {"simulator__prior_std": [0.5, 1.0, 2.5, 5.0]}
search = GridSearchCV(estimator, grid, cv=2, scoring="neg_mean_squared_error")
search.fit(real.X, real.y)
print("best prior:", search.best_params_)

# %%
# The cross-validated error is lowest at the prior that generated the real
# data: too narrow a prior shrinks every estimate towards zero, too wide a
# prior trusts the noisy measurements too much.
prior_stds = np.array(grid["simulator__prior_std"])
mse = -search.cv_results_["mean_test_score"]
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(prior_stds, mse, marker="o")
ax.axvline(true_prior_std, color="grey", ls="--", label="prior of the real data")
ax.set_xscale("log")
ax.set_xlabel("simulator__prior_std")
ax.set_ylabel("cross-validated MSE on real labels")
ax.legend()
fig.tight_layout()
plt.show()
