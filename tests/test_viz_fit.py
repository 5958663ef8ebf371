"""No text off a picture: every picture the package draws, at slide size, keeps each of
its texts (titles, labels, legends, captions, tick labels) inside the figure, and the PDF
of key pictures keeps each of its words inside its page."""

from __future__ import annotations

import re
import shutil
import subprocess

import matplotlib
import pytest
from conftest import need

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from vizkit import CASES, case_trace  # noqa: E402

from cgiter_edu import Order, programs, run, shapes  # noqa: E402
from cgiter_edu.scenarios import writer_waits  # noqa: E402
from cgiter_edu.viz import (  # noqa: E402
    plot_buffer,
    plot_capacity,
    plot_mutex,
    plot_orders,
    plot_walk,
)
from cgiter_edu.viz.style import PathText  # noqa: E402


def texts_outside(fig) -> list[str]:
    """The texts of ``fig`` that reach outside it, each with where it is (display pixels).
    Tick labels count as matplotlib draws them (only those in view: ``Axis.get_tightbbox``);
    every other text (``Text`` or the package's ``PathText``) by its own extent."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    box = fig.bbox

    def off(bb) -> bool:
        return (bb.width > 0 and bb.height > 0 and
                (bb.x0 < box.x0 - 1 or bb.y0 < box.y0 - 1
                 or bb.x1 > box.x1 + 1 or bb.y1 > box.y1 + 1))

    ticks = set()
    bad = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for t in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks.update((id(t.label1), id(t.label2)))
            ticks.update((id(axis.label), id(axis.get_offset_text())))
            if ax.get_visible() and ax.axison and axis.get_visible():
                bb = axis.get_tightbbox(r)
                if bb is not None and off(bb):
                    bad.append(f"{ax.get_title()!r} {axis.axis_name}-axis at {bb.bounds}")
    for a in fig.findobj(lambda a: isinstance(a, (Text, PathText))):
        if id(a) in ticks or not a.get_visible() or not a.get_text().strip():
            continue
        if a.axes is not None and not a.axes.get_visible():
            continue
        bb = a.get_window_extent(r)
        if off(bb):
            bad.append(f"{a.get_text()[:50]!r} at {tuple(round(v) for v in bb.bounds)}")
    return bad


def test_the_check_sees_a_text_off_the_figure():
    fig, ax = plt.subplots(figsize=(16, 9))
    ax.set_title("inside")
    assert texts_outside(fig) == []
    fig.text(0.98, 0.5, "this sentence runs off the right edge", fontsize=30)
    ax.set_ylabel("y label")
    ax.yaxis.set_label_coords(-0.2, 0.5)                  # left of the figure
    bad = texts_outside(fig)
    assert any("runs off" in b for b in bad) and any("y-axis" in b for b in bad), bad


@pytest.mark.parametrize("case", sorted(CASES))
def test_walk_and_buffer_pictures_keep_their_text_inside(case):
    _res, trace = case_trace(case)
    n = len(trace.events)
    for step in (None, n // 3, n - 1):
        for view in (plot_walk(trace, step=step), plot_buffer(trace, step=step)):
            assert texts_outside(view.figure) == [], (case, step, type(view).__name__)
            plt.close(view.figure)


def test_mutex_capacity_orders_pictures_keep_their_text_inside():
    for size in (1024, 300):
        v = plot_mutex(writer_waits(read_size=size))
        assert texts_outside(v.figure) == [], f"plot_mutex read_size={size}"
    v = plot_capacity()
    assert texts_outside(v.figure) == [], "plot_capacity"
    views = plot_orders(shapes.balanced(2, 3), "/", up_start="/c1/c2")
    fig = next(iter(views.values())).figure if isinstance(views, dict) else views.figure
    assert texts_outside(fig) == [], "plot_orders"
    big = run(shapes.balanced(2, 100), programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE,
              trace=True)
    assert texts_outside(plot_walk(big.trace).figure) == [], "plot_walk of 10,101 cgroups"


def test_key_pictures_keep_their_text_inside_at_their_pdf_size():
    from cgiter_edu.course import slides

    for title, fig in slides.key_pictures():
        fig.set_size_inches(*slides.PDF_PAGE_INCHES)
        assert texts_outside(fig) == [], title
        plt.close(fig)


def test_key_pictures_pdf_words_stay_on_their_pages(tmp_path):
    """What the PDF really holds, read back by poppler: every word's box on its page."""
    need(shutil.which("pdftotext") is not None, "no pdftotext (apt-get install poppler-utils)",
         browser=True)
    from cgiter_edu.course import slides

    pdf = slides.key_pictures_pdf(tmp_path / "key-pictures.pdf")
    html = tmp_path / "words.html"
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(html)], check=True)
    text = html.read_text()
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', text, re.S)
    assert len(pages) >= 8
    for i, (w, h, body) in enumerate(pages, 1):
        words = re.findall(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" '
                           r'yMax="([-\d.]+)">([^<]*)</word>', body)
        assert len(words) >= 5, f"page {i}: {len(words)} words"
        for x0, y0, x1, y1, word in words:
            assert (float(x0) >= -0.5 and float(y0) >= -0.5 and float(x1) <= float(w) + 0.5
                    and float(y1) <= float(h) + 0.5), f"page {i}: {word!r} off the page"
