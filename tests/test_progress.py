"""verbose: a progress report for simulation, skorch's table for training."""

import sys

import pytest

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.simulators import simulate_chunked

TINY = dict(n_simulations=300, hidden_layer_sizes=(8,), max_epochs=2, random_state=0)


@pytest.mark.parametrize(
    "cls", [SimulationGroundedRegressor, SimulationGroundedClassifier]
)
def test_verbose_0_prints_nothing(cls, linear, mixture, capsys):
    simulator = mixture if cls is SimulationGroundedClassifier else linear
    cls(simulator, verbose=0, **TINY).fit()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_verbose_1_shows_simulation_progress_and_epoch_table(linear, capsys):
    pytest.importorskip("tqdm")
    SimulationGroundedRegressor(linear, verbose=1, **TINY).fit()
    captured = capsys.readouterr()
    assert "Simulating" in captured.err and "300/300" in captured.err
    assert "epoch" in captured.out and "train_loss" in captured.out


def test_verbose_without_tqdm_prints_counts(linear, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    est = SimulationGroundedRegressor(linear, verbose=1, **TINY)
    est.set_params(n_simulations=250).fit()
    assert capsys.readouterr().err.splitlines() == ["Simulating: 250/250"]


def test_simulate_chunked_reports_every_chunk_once(linear):
    reported = []
    simulation = simulate_chunked(
        linear, 25, random_state=0, chunk_size=10, progress=reported.append
    )
    assert reported == [10, 10, 5]
    assert len(simulation) == 25
