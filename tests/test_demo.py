"""The README demo runs end to end, prints a complete table, and shows progress."""

from sgnn_sklearn import demo


def test_demo_prints_every_method_and_its_progress_on_stderr(capsys):
    demo.main(["--n-simulations", "400", "--n-labelled", "20", "--seed", "1"])
    captured = capsys.readouterr()
    out = captured.out
    for name in ("SGNN, zero-shot", "SGNN, fine-tuned", "RandomForest", "Ridge"):
        assert name in out
    assert "nan" not in out.lower()
    assert "[1/5] SGNN, zero-shot (no real labels): fitting" in captured.err
    assert "Simulating" in captured.err  # the simulations' progress bar
    assert "valid_loss" in captured.err  # skorch's line per epoch
    assert "valid_loss" not in out and "Simulating" not in out
