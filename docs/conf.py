"""Sphinx configuration of the cgiter_edu book (``make -C docs html``).

Built offline: Sphinx, MyST-NB and sphinx-book-theme from PyPI, no theme, font or script
fetched at build or view time. The lessons are copied from ``../notebooks`` into
``lessons/`` and executed at build time; the command reference is generated from the
argparse parsers, the API reference from the docstrings (numpydoc).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import bookgen  # noqa: E402  (docs/bookgen.py: the generated pages)

project = "cgiter_edu"
author = "the cgiter_edu developers"
copyright = "2026, the cgiter_edu developers"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "README.md",
                    "_generated", "jupyter_execute"]
root_doc = "index"

# -- the lessons: copied in and executed at build time ------------------------------------
# CGITER_BOOK_LESSONS=DIR: lessons already run top to bottom (tests/test_book.py gives the
# runs the notebook tests made), shown as they are instead of executed again
_executed = os.environ.get("CGITER_BOOK_LESSONS")
bookgen.copy_lessons(Path(_executed) if _executed else ROOT / "notebooks", HERE / "lessons")
bookgen.write_cli_reference(HERE / "_generated" / "cli.md")
bookgen.draw_layout(HERE / "_generated" / "layout.png")

nb_execution_mode = ("off" if _executed
                     else os.environ.get("CGITER_BOOK_EXECUTE", "force"))  # "off": a quick look
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_ipywidgets_js = {}            # no require.js / widget manager from a CDN
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

# -- API reference ------------------------------------------------------------------------
autodoc_typehints = "none"          # numpydoc sections say the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
autosummary_generate = False

# -- HTML: everything served from the book itself -----------------------------------------
html_theme = "sphinx_book_theme"
html_title = "cgiter_edu"
html_static_path = ["_static"]
html_css_files = ["cgiter.css"]
html_theme_options = {
    "home_page_in_toc": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_context = {"default_mode": "light"}   # an empty mode logs a console error on file://
html_last_updated_fmt = None
html_copy_source = False
mathjax_path = "no-mathjax.js"     # never loaded: the book has no math (and no CDN)
# the search page lists the pages found without fetching each for a summary: opened from
# file:// (docs/_build/html/index.html) every fetch is refused and logged as an error
html_show_search_summary = False

# links to the internet are listed by tests/test_book.py, never fetched at build time
linkcheck_ignore = [r".*"]


def _alt_from_outputs() -> None:
    """A picture's alt text from its output: a figure drawn by a cgiter_edu view carries
    what it shows in the output's metadata (``{"image/png": {"alt": ...}}``, see
    ``cgiter_edu.viz.view.figure_alt``); MyST-NB reads only width and height there, so the
    image node takes the alt from it here (the cell's ``mystnb.image.alt`` stays the
    fallback)."""
    from myst_nb.core.render import NbElementRenderer

    plain = NbElementRenderer.render_image
    if getattr(plain, "_cgiter_alt", False):
        return

    def render_image(self, data):
        out = plain(self, data)
        alt = (data.output_metadata.get(data.mime_type) or {}).get("alt")
        if alt:
            for node in out:
                node["alt"] = str(alt)
        return out

    render_image._cgiter_alt = True
    NbElementRenderer.render_image = render_image


_alt_from_outputs()


def _inherited_members_by_layer() -> None:
    """``:inherited-members:`` in source order, layer by layer: autodoc's ``bysource``
    follows the documented class's own module only and puts every inherited member after
    it, alphabetically.  :class:`cgiter_edu.Hierarchy` is built of layers that inherit one
    another (``mkdir`` from cgroup_tree.py, ``spawn`` from processes.py, ``kill`` from
    references.py): its page lists the lowest layer's members first, each layer's in its
    source order, ``to_json`` & co. last, as a reader meets them."""
    import inspect

    from sphinx.errors import PycodeError
    from sphinx.ext.autodoc import ClassDocumenter
    from sphinx.pycode import ModuleAnalyzer

    plain = ClassDocumenter.sort_members
    if getattr(plain, "_cgiter_layers", False):
        return

    def sort_members(self, documenters, order):
        documenters = plain(self, documenters, order)
        if order != "bysource" or not self.options.inherited_members:
            return documenters
        bases = [c for c in inspect.getmro(self.object) if c is not object]   # derived first
        tags = []
        for cls in bases:
            try:
                analyzer = ModuleAnalyzer.for_module(cls.__module__)
                analyzer.analyze()
                tags.append(analyzer.tagorder)
            except PycodeError:         # a base without source (a builtin): no order
                tags.append({})

        def key(entry):
            name = entry[0].name.split("::")[-1].rpartition(".")[2]
            for i, cls in enumerate(bases):         # the class that defines it
                where = tags[i].get(f"{cls.__qualname__}.{name}")
                if where is not None:
                    return (len(bases) - i, where)
            return (len(bases) + 1, 0)

        return sorted(documenters, key=key)

    sort_members._cgiter_layers = True
    ClassDocumenter.sort_members = sort_members


_inherited_members_by_layer()


def _finished(app, exc):
    if exc is None:
        bookgen.check_offline(app.outdir)


def setup(app):
    app.connect("build-finished", _finished)
