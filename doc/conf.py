"""Sphinx configuration: numpydoc docstrings, a sphinx-gallery of examples, and an
API reference generated from the ``__all__`` of every public module.

Build with ``make -C doc html`` (warnings are errors).
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import sgnn_sklearn
from sgnn_sklearn._public_api import public_objects

DOC_DIR = Path(__file__).resolve().parent

project = "sgnn_sklearn"
author = "sgnn_sklearn developers"
copyright = "sgnn_sklearn developers"
release = sgnn_sklearn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/backreferences"]
html_theme = "pydata_sphinx_theme"
html_theme_options = {"navigation_with_keys": False}
html_title = f"sgnn_sklearn {release}"
html_static_path: list[str] = []

# -- autodoc / autosummary ---------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # types are in the numpydoc Parameters sections
# The class template documents members inherited from the private base class
# (``fit``), not those of scikit-learn's ``BaseEstimator``. Members that
# scikit-learn's mixins add are documented by scikit-learn; their docstrings
# refer to labels of scikit-learn's docs, so they are left out here.
SKLEARN_PLUMBING = (
    "fit_transform",
    "get_feature_names_out",
    "set_output",
    "score",
    "set_fit_request",
    "set_predict_request",
    "set_score_request",
    "get_metadata_routing",
)

# -- numpydoc ------------------------------------------------------------------
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Every public docstring must have a summary, documented parameters and
# returns, and a runnable Examples section (EX01). GL08 (no docstring of its
# own) is left out: an override of a documented method or property inherits
# the base class's docstring, and tests/test_docs.py checks that every public
# name has one, inherited or not.
numpydoc_validation_checks = {
    "all",
    "GL08",
    "GL01",  # summary may start on the line of the opening quotes
    "GL02",
    "ES01",  # an extended summary is welcome, not required
    "SA01",  # See Also is welcome, not required
    "RT02",  # "Returns" may give the name and the type
    "SS05",  # summaries may start "Draw", "Simulate", ...
    "PR09",  # parameter descriptions may end with a code literal
    "RT05",
    "YD01",
}

# -- sphinx-gallery ------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py|run_all\.py",
    "doc_module": ("sgnn_sklearn",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sgnn_sklearn": None},
    "min_reported_time": 0,
    "show_memory": False,
    "remove_config_comments": True,
}


# -- API reference from __all__ ------------------------------------------------
def _title(module_name: str) -> str:
    doc = inspect.getdoc(importlib.import_module(module_name)) or ""
    return doc.split("\n\n")[0].replace("\n", " ")


def write_api_reference(path: Path = DOC_DIR / "api.rst") -> None:
    """Write ``api.rst``: one autosummary table per public module.

    The modules and names come from ``sgnn_sklearn._public_api``, which reads
    every public module's ``__all__``: a new public module or name appears
    here without any edit to the docs.
    """
    lines = [
        ".. This file is written by conf.py from the modules' __all__; do not edit.",
        "",
        "API reference",
        "=============",
        "",
        "Every public class and function, read from each module's ``__all__``.",
        "",
    ]
    for module_name, members in public_objects().items():
        heading = f"``{module_name}``"
        lines += [heading, "-" * len(heading), "", _title(module_name), ""]
        lines += [f".. currentmodule:: {module_name}", ""]
        lines += [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        lines += [f"   {name}" for name, _ in members]
        lines.append("")
    text = "\n".join(lines)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


write_api_reference()


def _skip_plumbing(app, what, name, obj, skip, options):
    if name in SKLEARN_PLUMBING:
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_plumbing)
