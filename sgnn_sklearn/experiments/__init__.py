"""Runnable experiments behind the claims of simulation-grounded learning.

Each experiment compares the simulation-grounded estimators with the classical
tools and scikit-learn baselines a scientist would otherwise use, prints a
table and saves a figure. From the command line::

    python -m sgnn_sklearn.experiments model-selection --quick --seed 0

``--quick`` runs small budgets (under two minutes on 2 CPU cores); without it
the full budgets behind the documented results run. The experiments:

- ``model-selection``: which mechanism generated a series; SGNN vs AIC, BIC
  and the Bayes-optimal error;
- ``parameter-recovery``: R0 from early epidemic incidence, and the excess
  risk over the exact Bayes risk on ``LinearGaussian``;
- ``misspecification``: test data from perturbed generators, with the
  simulation gap next to each error;
- ``unobservable``: a quantity never present in the observed data;
- ``few-labels``: zero-shot and fine-tuned SGNN vs scikit-learn learners
  trained on a few labelled real samples.
"""

from ._registry import EXPERIMENTS, run_experiment
from ._result import ExperimentResult

__all__ = ["EXPERIMENTS", "ExperimentResult", "run_experiment"]
