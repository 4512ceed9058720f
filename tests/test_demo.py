"""The README demo runs end to end and prints a complete table."""

from sgnn_sklearn import demo


def test_demo_prints_every_method(capsys):
    demo.main(["--n-simulations", "400", "--n-labelled", "20", "--seed", "1"])
    out = capsys.readouterr().out
    for name in ("SGNN, zero-shot", "SGNN, fine-tuned", "RandomForest", "Ridge"):
        assert name in out
    assert "nan" not in out.lower()
