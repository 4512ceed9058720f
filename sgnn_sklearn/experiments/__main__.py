"""``python -m sgnn_sklearn.experiments NAME [--quick] [--seed S] [--out DIR]``."""

from __future__ import annotations

import argparse
import platform
import sys
import time

from ._registry import EXPERIMENTS, run_experiment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sgnn_sklearn.experiments",
        description="Run one experiment: print its table, save table and figure.",
    )
    parser.add_argument("name", choices=sorted(EXPERIMENTS) + ["all"])
    parser.add_argument(
        "--quick", action="store_true", help="small budgets (under 2 minutes)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", default="experiment_results", help="folder for .md, .json, .png"
    )
    args = parser.parse_args(argv)
    names = sorted(EXPERIMENTS) if args.name == "all" else [args.name]
    for name in names:
        start = time.perf_counter()
        result = run_experiment(name, quick=args.quick, seed=args.seed)
        seconds = time.perf_counter() - start
        result.settings.setdefault("seconds", round(seconds, 1))
        result.settings.setdefault(
            "machine", f"{platform.machine()}, {platform.python_version()}"
        )
        mode = "quick" if args.quick else "full"
        print(f"\n## {name} ({mode}, seed {args.seed}, {seconds:.1f} s)\n")
        print(result.to_markdown())
        for note in result.notes:
            print(f"- {note}")
        for path in result.save(args.out):
            print(f"wrote {path}")
        if not result.is_complete():
            print(f"{name}: the table has missing or non-finite cells", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
