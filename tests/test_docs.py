"""Every public name is documented with a runnable example, and the code in the
documentation's pages runs and shows what the pages say."""

import doctest
import inspect
from pathlib import Path

import pytest

from sgnn_sklearn._public_api import public_objects

DOC = Path(__file__).resolve().parents[1] / "doc"
PAGES = sorted(p for p in DOC.glob("*.rst") if p.name != "api.rst")


def _public_callables():
    """Every public class and function, and the public methods that classes
    define or inherit from this package (not those scikit-learn provides)."""
    for module_name, members in public_objects().items():
        for name, obj in members:
            yield pytest.param(obj, id=f"{module_name}.{name}")
            if not inspect.isclass(obj):
                continue
            for attr, member in inspect.getmembers(obj, inspect.isfunction):
                if not attr.startswith("_") and member.__module__.startswith(
                    "sgnn_sklearn"
                ):
                    yield pytest.param(member, id=f"{module_name}.{name}.{attr}")


@pytest.mark.parametrize("obj", list(_public_callables()))
def test_public_name_has_numpydoc_examples(obj):
    qualname = obj.__qualname__
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"{qualname} has no docstring"
    assert "Examples\n--------" in doc and ">>>" in doc, (
        f"{qualname}'s docstring has no numpydoc Examples section with a doctest"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_doc_page_code_runs(page):
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
    )
    assert result.failed == 0, f"{result.failed} examples in {page.name} failed"
