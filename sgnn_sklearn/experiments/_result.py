"""The outcome of one experiment: a table, notes and a figure, and how to save them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from typing import Any


@dataclass
class ExperimentResult:
    """A finished experiment: its table, what it found, and its figure.

    Parameters
    ----------
    name : str
        The experiment's command-line name, such as ``"model-selection"``.
    columns : list of str
        The table's column headers.
    rows : list of list
        One list of cells per row, in the order of ``columns``. Cells are
        strings (labels) or real numbers (measurements).
    settings : dict
        What the run used: seed, budgets, quick or full mode.
    notes : list of str, default=[]
        Findings in words, printed under the table: where a method wins,
        where it loses, and why.
    figure : matplotlib.figure.Figure or None, default=None
        The experiment's figure.

    Examples
    --------
    >>> result = ExperimentResult(
    ...     name="demo", columns=["method", "error"],
    ...     rows=[["SGNN", 0.1], ["AIC", 0.2]], settings={"seed": 0})
    >>> print(result.to_markdown())
    | method | error |
    | --- | --- |
    | SGNN | 0.1 |
    | AIC | 0.2 |
    >>> result.is_complete()
    True
    """

    name: str
    columns: list[str]
    rows: list[list[Any]]
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    figure: Any = None

    def is_complete(self) -> bool:
        """Whether every row has a cell per column and every number is finite.

        Returns
        -------
        bool
            True when the table has no missing or non-finite cell.

        Examples
        --------
        >>> ExperimentResult("demo", ["a"], [[float("nan")]], {}).is_complete()
        False
        """
        if not self.rows:
            return False
        for row in self.rows:
            if len(row) != len(self.columns):
                return False
            for cell in row:
                if cell is None:
                    return False
                if isinstance(cell, Real) and not math.isfinite(float(cell)):
                    return False
        return True

    def to_markdown(self, digits: int = 4) -> str:
        """The table as markdown, numbers to ``digits`` significant digits.

        Parameters
        ----------
        digits : int, default=4
            Significant digits of real numbers.

        Returns
        -------
        str
            A markdown table with a header row.

        Examples
        --------
        >>> print(ExperimentResult("demo", ["x"], [[1 / 3]], {}).to_markdown(2))
        | x |
        | --- |
        | 0.33 |
        """

        def cell(value: Any) -> str:
            if isinstance(value, bool) or not isinstance(value, Real):
                return str(value)
            if isinstance(value, int):
                return str(value)
            return f"{float(value):.{digits}g}"

        lines = [
            "| " + " | ".join(self.columns) + " |",
            "| " + " | ".join("---" for _ in self.columns) + " |",
        ]
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in self.rows]
        return "\n".join(lines)

    def save(self, directory: str | Path) -> list[Path]:
        """Write ``NAME.md``, ``NAME.json`` and, with a figure, ``NAME.png``.

        Parameters
        ----------
        directory : str or pathlib.Path
            Created if missing.

        Returns
        -------
        list of pathlib.Path
            The files written.

        Examples
        --------
        >>> import tempfile
        >>> result = ExperimentResult("demo", ["x"], [[1.0]], {"seed": 0})
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     [path.name for path in result.save(tmp)]
        ['demo.md', 'demo.json']
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        markdown = directory / f"{self.name}.md"
        settings = ", ".join(f"{key}={value}" for key, value in self.settings.items())
        text = [f"# {self.name}", "", f"Settings: {settings}", "", self.to_markdown()]
        if self.notes:
            text += ["", *(f"- {note}" for note in self.notes)]
        markdown.write_text("\n".join(text) + "\n")
        data = directory / f"{self.name}.json"
        payload = {
            "name": self.name,
            "settings": self.settings,
            "columns": self.columns,
            "rows": self.rows,
            "notes": self.notes,
        }
        data.write_text(json.dumps(payload, indent=2, default=_jsonable) + "\n")
        written = [markdown, data]
        if self.figure is not None:
            image = directory / f"{self.name}.png"
            self.figure.savefig(image, dpi=120, bbox_inches="tight")
            written.append(image)
        return written


def _jsonable(value: Any) -> Any:
    """numpy scalars and arrays as plain Python for ``json.dumps``."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
