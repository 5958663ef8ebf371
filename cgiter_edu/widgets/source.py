"""The kernel function that is running: its mirrored source with the current line lit.

Each trace event carries ``func`` (``"module:function"`` of the function in
:mod:`cgiter_edu.kernel` that emitted it) and ``line`` (the line in that module's
file).  :func:`source_of` finds that function's source, the kernel function and file
it mirrors (named in its docstring, as the house style requires) and a link to the
function in the kernel's source at the modelled version (Elixir); :func:`source_html`
renders it for an HTML widget.  Reading source files only: nothing is fetched.

Example::

    >>> src = source_of("cgiter_edu.kernel.bpf_iter:bpf_seq_read", None)
    >>> src.kernel_function, src.kernel_file
    ('bpf_seq_read', 'kernel/bpf/bpf_iter.c')
    >>> kernel_link("bpf_seq_read", "6.18")
    'https://elixir.bootlin.com/linux/v6.18/C/ident/bpf_seq_read'
"""

from __future__ import annotations

import functools
import html
import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Source", "source_of", "source_html", "kernel_link"]

_DOC_FUNC = re.compile(r"``(?:struct\s+)?([A-Za-z_]\w*)(?:\(\))?``\s*\(([\w/.+-]+\.[ch])\)")
_DOC_REF = re.compile(r":func:`~?(?:[\w.]+\.)?([A-Za-z_]\w*)`")
_DOC_FILE = re.compile(r"\b((?:kernel|fs|include|mm|lib|tools)/[\w/.+-]+\.[ch])\b")
_PKG_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Source:
    """One mirrored function: ``lines`` of its Python source starting at line
    ``first`` of ``path`` (relative to the package's parent), the ``line`` to light,
    and what it mirrors (``kernel_function`` in ``kernel_file``)."""

    func: str
    path: str
    first: int
    lines: tuple[str, ...]
    line: int | None
    kernel_function: str
    kernel_file: str

    @property
    def name(self) -> str:
        """The Python function's name (the kernel's name)."""
        return self.func.partition(":")[2]


def kernel_link(function: str, version: str) -> str:
    """The Elixir cross-reference page of ``function`` at Linux ``version`` (a link,
    never fetched)."""
    return f"https://elixir.bootlin.com/linux/v{version}/C/ident/{function}"


@functools.lru_cache(maxsize=256)
def _lookup(func: str) -> tuple[str, int, tuple[str, ...], str, str]:
    mod_name, _, qual = func.partition(":")
    mod = importlib.import_module(mod_name)
    obj: object = mod
    for part in qual.split("."):
        obj = getattr(obj, part)
    lines, first = inspect.getsourcelines(obj)          # type: ignore[arg-type]
    file = Path(inspect.getsourcefile(obj) or "")      # type: ignore[arg-type]
    try:
        path = str(file.resolve().relative_to(_PKG_ROOT.parent))
    except ValueError:
        path = file.name
    doc = inspect.getdoc(obj) or ""
    m = _DOC_FUNC.search(doc)
    if m:
        kfunc, kfile = m.group(1), m.group(2)
    else:                       # a piece of a kernel function (a label), or no mirror
        r = _DOC_REF.search(doc)
        kfunc = r.group(1) if r else ""
        fm = _DOC_FILE.search(doc) or _DOC_FILE.search(inspect.getdoc(mod) or "")
        kfile = fm.group(1) if fm else ""
    return path, first, tuple(line.rstrip("\n") for line in lines), kfunc, kfile


def source_of(func: str | None, line: int | None) -> Source | None:
    """The :class:`Source` of ``func`` (``"module:function"``) with ``line`` lit, or None
    when the event names no function or it cannot be found."""
    if not func or ":" not in func:
        return None
    try:
        path, first, lines, kfunc, kfile = _lookup(func)
    except (ImportError, AttributeError, OSError, TypeError):
        return None
    return Source(func, path, first, lines, line, kfunc, kfile)


def source_html(src: Source | None, version: str, context: int = 9) -> str:
    """HTML for the source panel: the function's file and name, what it mirrors with a
    link, and about ``2 * context + 1`` lines of source around the lit line."""
    if src is None:
        return ("<div class='cg-src cg-src-none'><b>kernel source</b>: this step names no "
                "mirrored function</div>")
    n = len(src.lines)
    cur = None if src.line is None else src.line - src.first
    if cur is not None and not 0 <= cur < n:
        cur = None
    a, b = 0, n
    if n > 2 * context + 1:
        mid = cur if cur is not None else 0
        a = max(0, min(mid - context, n - 2 * context - 1))
        b = a + 2 * context + 1
    rows = []
    for i in range(a, b):
        no = src.first + i
        text = html.escape(src.lines[i]) or " "
        if i == cur:
            rows.append(f"<div class='cg-src-line cg-src-current' data-line='{no}' "
                        f"style='background:#FFE08A;font-weight:bold'>"
                        f"<span style='color:#888'>{no:5d} </span>{text}</div>")
        else:
            rows.append(f"<div class='cg-src-line' data-line='{no}'>"
                        f"<span style='color:#888'>{no:5d} </span>{text}</div>")
    link = kernel_link(src.kernel_function, version) if src.kernel_function else ""
    kfile = f" in <code>{html.escape(src.kernel_file)}</code>" if src.kernel_file else ""
    if link:
        mirrors = (f"mirrors <a class='cg-src-link' href='{link}' target='_blank' "
                   f"rel='noopener'><code>{html.escape(src.kernel_function)}()</code></a>"
                   f"{kfile} (Linux {html.escape(version)})")
    else:
        mirrors = f"the emulator's own code{kfile and ', beside' + kfile}"
    head = (f"<div class='cg-src-head'><b>running:</b> <code>{html.escape(src.name)}()</code> "
            f"in <code>{html.escape(src.path)}</code>"
            + (f", line {src.line}" if src.line else "") + f"<br>{mirrors}</div>")
    body = ("<div class='cg-src-code' style='font-family:monospace;font-size:12px;"
            "white-space:pre;overflow-x:auto;border:1px solid #ccc;padding:4px;"
            "background:#fafafa;line-height:1.3'>" + "".join(rows) + "</div>")
    return f"<div class='cg-src'>{head}{body}</div>"
