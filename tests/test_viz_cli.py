"""`cgiter-edu plot` and `cgiter-edu animate`: every output format, bad input, the
benchmark."""

from __future__ import annotations

from pathlib import Path

import pytest

from cgiter_edu.viz import anim, orders

# -- the CLI ----------------------------------------------------------------------------

MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-", ".gif": b"GIF89a"}


def _cli(*args):
    from cgiter_edu.cli import main

    return main(list(args))


def _check(path):
    data = Path(path).read_bytes()
    suffix = Path(path).suffix
    if suffix in MAGIC:
        assert data.startswith(MAGIC[suffix])
    elif suffix == ".svg":
        assert b"<svg" in data[:400]
    elif suffix == ".html":
        assert data.startswith(b"<!DOCTYPE html>") and b"data:image/png;base64," in data
    elif suffix == ".mp4":
        assert data[4:8] == b"ftyp"
    assert len(data) > 1000


@pytest.mark.parametrize("picture", ["walk", "buffer", "mutex", "orders", "capacity"])
@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_cli_plot_writes_valid_files(picture, suffix, tmp_path):
    out = tmp_path / f"p{suffix}"
    args = ["plot", picture, "-o", str(out), "--tree", "small", "--dpi", "50"]
    if picture in ("walk", "buffer", "mutex"):
        args += ["--step", "-3", "--record-bytes", "64"]
    assert _cli(*args) == 0
    _check(out)


def test_cli_plot_mutex_with_a_writer(tmp_path):
    out = tmp_path / "m.png"
    assert _cli("plot", "mutex", "--writer", "/new.slice", "-o", str(out), "--dpi", "40") == 0
    _check(out)


def test_cli_plot_mutex_reader_first_and_without_a_writer(tmp_path, capsys):
    out = tmp_path / "m.png"
    assert _cli("plot", "mutex", "--writer", "/new.slice", "--first", "reader", "-o",
                str(out), "--dpi", "40") == 0
    _check(out)
    capsys.readouterr()
    assert _cli("plot", "mutex", "--first", "reader", "-o", str(tmp_path / "x.png")) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--first reader" in err and "--writer PATH" in err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("suffix", [".gif", ".html", ".mp4"])
def test_cli_animate_writes_valid_files(suffix, tmp_path):
    if suffix == ".mp4" and not anim.ffmpeg_available():
        pytest.skip("ffmpeg is not installed")
    out = tmp_path / f"a{suffix}"
    assert _cli("animate", "--tree", "small", "--order", "post", "--quiet", "-o", str(out),
                "--dpi", "40") == 0
    _check(out)


def test_cli_animate_mp4_without_ffmpeg_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(anim, "ffmpeg_available", lambda: False)
    out = tmp_path / "a.mp4"
    assert _cli("animate", "--tree", "small", "-o", str(out)) == 2
    assert not out.exists()
    assert "ffmpeg" in capsys.readouterr().err


def test_cli_rejects_unknown_suffix_and_bad_step(tmp_path, capsys):
    assert _cli("plot", "walk", "-o", str(tmp_path / "x.jpg")) == 1
    assert "use one of .png, .svg, .pdf" in capsys.readouterr().err
    assert _cli("plot", "walk", "--tree", "small", "--step", "99999",
                "-o", str(tmp_path / "x.png")) == 1
    assert "--step must be in" in capsys.readouterr().err


def test_bench_viz_runs_small(capsys):
    from cgiter_edu.viz.draw_timing import bench_viz

    r = bench_viz(n_cgroups=20, repeats=3, gif_frames=4)
    assert {"redraw_ms", "gif_s", "full_draw_ms"} <= set(r)
    assert "target" in capsys.readouterr().out




def test_plot_orders_on_a_huge_tree_says_why_not_in_one_line(tmp_path):
    import subprocess
    import sys

    from cgiter_edu import shapes

    h = shapes.balanced(2, 80)                    # 6,481 cgroups: panels would be noise
    tree = tmp_path / "t.json"
    tree.write_text(h.to_json())
    out = tmp_path / "o.png"
    p = subprocess.run([sys.executable, "-m", "cgiter_edu.cli", "plot", "orders", "--tree",
                        str(tree), "-o", str(out)], capture_output=True, text=True)
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "6,481 cgroups is more than it can show" in lines[0]
    assert not out.exists()
    with pytest.raises(ValueError, match="at most 5,000"):
        orders.plot_orders(h)
