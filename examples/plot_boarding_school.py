"""
From simulations to a real outbreak: influenza in a boarding school, 1978
=========================================================================

In January 1978 influenza spread through an English boarding school of 763
boys; each day the school counted the boys confined to bed
(:func:`~sgnn_sklearn.datasets.load_influenza_boarding_school`). This example
takes that one real series the whole way: write a simulator for it, broaden
its observation model, train, check that the real series looks like the
simulations, predict the basic reproduction number :math:`R_0` with an
interval, explain the prediction, and compare it with a published estimate.
"""

# %%
# The data
# --------
# Fourteen daily counts, 22 January to 4 February. They are a *prevalence*:
# boys ill on the day, not boys falling ill on the day.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.preprocessing import FunctionTransformer

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.datasets import load_influenza_boarding_school
from sgnn_sklearn.simulators import LatentSimulator, Overdispersed, UnderReported

flu = load_influenza_boarding_school()
print(flu.data[0].astype(int))

# %%
# Write the simulator
# -------------------
# The package's :class:`~sgnn_sklearn.simulators.SIR` observes daily
# *incidence*, new cases per day, so it does not fit these data. A few lines
# give an epidemic model the observation the school made: the number of boys
# currently ill, :math:`N I(t)`, on days 1 to 14, the epidemic started on
# day 0 by ``i0`` infected boys. With ``latent_days=0`` it is the SIR model;
# a prior on ``latent_days`` adds a latent stage (infected, not yet ill) of
# that mean length, the SEIR model. Subclassing
# :class:`~sgnn_sklearn.simulators.LatentSimulator` keeps the two steps apart
# (the latent trajectory, then its observation), which is what the
# observation-model wrappers below need.


class BoardingSchool(LatentSimulator):
    """Boys ill each day of an SIR or SEIR epidemic in a closed school."""

    prior_params = ("R0", "gamma", "i0", "latent_days")

    def __init__(
        self, R0=(1.5, 8.0), gamma=(0.2, 1.0), i0=(0.5, 10.0), latent_days=0.0, N=763
    ):
        self.R0 = R0  # basic reproduction number
        self.gamma = gamma  # recovery rate per day: ill for 1 to 5 days
        self.i0 = i0  # boys infected on day 0
        self.latent_days = latent_days  # mean latent stage; 0: none (SIR)
        self.N = N

    @property
    def feature_names(self):
        return tuple(f"day{d}" for d in range(14))

    @property
    def target_names(self):
        return ("R0",)

    def generate_latent(self, params, rng):
        R0, gamma, i0, latent_days = params.T
        beta = R0 * gamma
        # Fractions susceptible, latent (exposed) and ill.
        state = np.stack([1 - i0 / self.N, 0 * i0, i0 / self.N])
        sir = np.all(latent_days == 0)
        sigma = 0 if sir else 1 / latent_days

        def slope(state):
            s, e, i = state
            infection = beta * s * i
            if sir:  # the newly infected are ill at once
                return np.stack([-infection, 0 * e, infection - gamma * i])
            return np.stack([-infection, infection - sigma * e, sigma * e - gamma * i])

        h, ill = 1 / 16, []  # RK4, 16 steps a day: beta reaches 8 per day
        for _ in range(14):
            for _ in range(16):
                k1 = slope(state)
                k2 = slope(state + h / 2 * k1)
                k3 = slope(state + h / 2 * k2)
                k4 = slope(state + h * k3)
                state = state + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            ill.append(self.N * state[2])
        return np.stack(ill, axis=1), R0

    def generate_observation(self, trajectory, params, rng):
        return rng.poisson(np.maximum(trajectory, 0)).astype(float)


# %%
# Broaden the observation model
# -----------------------------
# The simple model takes the boys in bed to be Poisson counts of exactly the
# ill boys. The school's counts are surely noisier, and not every infected
# boy was put to bed: 512 of the 763 fell ill, while an SIR epidemic with
# :math:`R_0` near 3.6 infects nearly everyone. The wrappers of
# :mod:`sgnn_sklearn.simulators` add both, each with a prior of its own:
# negative-binomial counts with a size between 2 and 50
# (:class:`~sgnn_sklearn.simulators.Overdispersed`) and a share of the ill
# boys in bed between 0.5 and 1
# (:class:`~sgnn_sklearn.simulators.UnderReported`).


def broaden(simulator):
    return UnderReported(
        Overdispersed(simulator, dispersion=(2.0, 50.0)), reporting_rate=(0.5, 1.0)
    )


simulators = {
    "SIR, Poisson": BoardingSchool(),
    "SIR, broad observation": broaden(BoardingSchool()),
    "SEIR, broad observation": broaden(BoardingSchool(latent_days=(0.2, 2.0))),
}
print(simulators["SEIR, broad observation"].param_names)

# %%
# Fit
# ---
# One network per simulator, each trained on 6,000 simulations of log counts.
settings = dict(
    n_simulations=6000,
    hidden_layer_sizes=(64, 64),
    max_epochs=60,
    lr=3e-3,
    preprocessor=FunctionTransformer(np.log1p),
    random_state=0,
)
estimators = {
    name: SimulationGroundedRegressor(simulator, **settings).fit()
    for name, simulator in simulators.items()
}

# %%
# Check the gap
# -------------
# Does the real series look like the simulations, in each network's own
# representation? ``simulation_gap`` compares its distance to the nearest
# training simulations with those of held-out simulations: the percentile is
# the share of held-out simulations that lie farther away, uniform for a
# series the simulator could have produced, near 1 for one it could not.
# (:func:`~sgnn_sklearn.diagnostics.simulation_gap_test` asks the same of a
# set of real series as a whole, with a p-value; it needs at least 10, and
# one outbreak is one series.)
for name, est in estimators.items():
    gap = est.simulation_gap(flu.data)
    print(f"{name:>24}: gap score {gap.score:.2f}, percentile {gap.percentile[0]:.2f}")

# %%
# The SIR network with Poisson counts places the real series farther from
# its simulations than 99% of held-out simulations: with exact counts the SIR
# model cannot produce it. Broadening the observation brings it closer
# (percentile 0.86). Influenza has a latent stage of a day or two before
# illness; with it (SEIR) the real series comes barely closer still
# (percentile 0.85, and the lowest gap score: unusual, but not beyond what one
# simulation in seven does). A single series' percentile moves with the
# network that measures it: with ``random_state`` 1 to 3 the broadened SIR and
# SEIR networks gave 0.87 to 0.97 and 0.76 to 0.94, and with the estimators'
# earlier defaults (no fresh observation noise each epoch, raw counts) the
# three percentiles were 0.98, 0.99 and 0.62.
#
# Predict R0 with an interval
# ---------------------------
for name, est in estimators.items():
    mean = est.predict(flu.data)[0]
    lower, upper = est.predict_interval(flu.data, coverage=0.9)
    print(f"{name:>24}: R0 = {mean:.2f}, 90% interval [{lower[0]:.2f}, {upper[0]:.2f}]")

# %%
# Explain the prediction
# ----------------------
# The 200 training simulations nearest to the real series, in the SEIR
# network's representation, and what generated them: their parameters say
# which simulated worlds the prediction rests on.
chosen = estimators["SEIR, broad observation"]
explanation = chosen.explain_mechanism(flu.data, n_neighbors=200)
for j, name in enumerate(explanation.param_names):
    print(
        f"{name:>15}: mean {explanation.param_mean[0, j]:7.2f}, 90% of neighbours "
        f"in [{explanation.param_lower[0, j]:.2f}, {explanation.param_upper[0, j]:.2f}]"
    )

# %%
# The real series against the expected counts in bed of 40 of those
# neighbours (the ill boys times the share of them in bed), drawn again from
# their parameters.
bank = chosen.memory_bank_
row_of = {int(index): row for row, index in enumerate(bank.simulation_index)}
neighbours = bank.params[[row_of[int(i)] for i in explanation.neighbor_index[0][:40]]]
in_bed = chosen.simulator_.simulate_latent_from_params(neighbours).X
in_bed *= neighbours[:, -1:]
fig, ax = plt.subplots(figsize=(7, 4))
days = np.arange(1, 15)
for row in in_bed:
    ax.plot(days, row, color="tab:blue", alpha=0.2)
ax.plot(days, flu.data[0], "ko-", label="boys in bed (1978)")
ax.set_xlabel("day (1 = 22 January 1978)")
ax.set_ylabel("boys in bed")
ax.set_title("The real series and 40 of its nearest simulations (SEIR)")
ax.legend()
plt.show()

# %%
# Compare with a published estimate
# ---------------------------------
# Keeling and Rohani (2008, *Modeling Infectious Diseases in Humans and
# Animals*, Princeton University Press) fit the SIR model to the same counts
# with a transmission rate of 1.66 per day and an infectious period of 2.2
# days, that is :math:`R_0 = 1.66 \times 2.2 \approx 3.65` (the values as
# quoted in github.com/benmaier/boarding_school_SIR). Their fit, like the
# first simulator here, takes the boys in bed to be all the ill boys and has
# no latent stage.
published = 1.66 * 2.2
print(f"Keeling and Rohani (SIR): R0 = {published:.2f}")

# %%
# The SIR network with Poisson counts is close to it (3.62, 90% interval 3.35
# to 3.89). But the gap check says the SIR model with Poisson counts cannot
# produce this series; the model that comes (narrowly) closest, with a latent
# stage and the broader observation, puts :math:`R_0` higher and far less
# certain (5.89, 3.93 to 7.85, up against the prior's upper end of 8):
# fourteen days of prevalence do not separate a fast epidemic with a latent
# stage from a slower one without. A narrow interval from a simulator the
# data fall outside is not a precise answer.
