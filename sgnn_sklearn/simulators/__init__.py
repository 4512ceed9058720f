"""Simulators: priors over parameters and the mechanistic models they drive.

Every simulator returns a :class:`Simulation` from
``simulate(n_samples, random_state)``.
"""

from ._base import Simulator
from ._epidemic import SEIR, SIR
from ._function import FunctionSimulator
from ._growth import ExponentialGrowth, GompertzGrowth, LogisticGrowth
from ._linear_gaussian import LinearGaussian
from ._mixture import MixtureSimulator
from ._parallel import simulate_chunked
from ._simulation import Simulation
from ._validation import check_simulation

__all__ = [
    "ExponentialGrowth",
    "FunctionSimulator",
    "GompertzGrowth",
    "LinearGaussian",
    "LogisticGrowth",
    "MixtureSimulator",
    "SEIR",
    "SIR",
    "Simulation",
    "Simulator",
    "check_simulation",
    "simulate_chunked",
]
