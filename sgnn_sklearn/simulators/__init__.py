"""Simulators: priors over parameters and the mechanistic models they drive.

Every simulator returns a :class:`Simulation` from
``simulate(n_samples, random_state)``. Observation models (overdispersion,
under-reporting, reporting delays, weekday effects, missing reports) and
interventions wrap any :class:`LatentSimulator` and one another.
"""

from ._base import Simulator
from ._epidemic import SEIR, SIR
from ._function import FunctionSimulator
from ._growth import ExponentialGrowth, GompertzGrowth, LogisticGrowth
from ._intervention import Intervention
from ._latent import LatentSimulator
from ._linear_gaussian import LinearGaussian
from ._mixture import MixtureSimulator
from ._oscillator import DampedOscillator
from ._parallel import simulate_chunked
from ._prevalence import BinomialPrevalence
from ._quadratic_gaussian import QuadraticGaussian
from ._reporting import (
    DayOfWeekEffect,
    MissingReports,
    Overdispersed,
    ReportingDelay,
    UnderReported,
)
from ._simulation import Simulation
from ._truncated import TruncatedSimulator
from ._validation import check_simulation

__all__ = [
    "BinomialPrevalence",
    "DampedOscillator",
    "DayOfWeekEffect",
    "ExponentialGrowth",
    "FunctionSimulator",
    "GompertzGrowth",
    "Intervention",
    "LatentSimulator",
    "LinearGaussian",
    "LogisticGrowth",
    "MissingReports",
    "MixtureSimulator",
    "Overdispersed",
    "QuadraticGaussian",
    "ReportingDelay",
    "SEIR",
    "SIR",
    "Simulation",
    "Simulator",
    "TruncatedSimulator",
    "UnderReported",
    "check_simulation",
    "simulate_chunked",
]
