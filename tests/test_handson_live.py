"""Lesson 7's C twins on the real kernel: each compiles with clang, passes the verifier,
and prints, byte for byte, what the Python solution (docs/teaching.md) prints on the same
tree -- the lesson's tree and the hidden ones ``check`` uses (dead cgroups, a walk from
below the root, more cgroups than a session holds, a one-page read()).

The tree is mirrored as real cgroups under a scratch cgroup; the Python program runs on
the emulator on a replica of that mirror (real ids, names and levels), see
:mod:`cgiter_edu.live.own`.  Live tests: they take ``require_live`` (root, BPF, cgroup
v2, clang, libbpf), skip with the reason elsewhere, fail under CGITER_REQUIRE_LIVE=1.
"""

from __future__ import annotations

import os

import pytest
from test_handson import solution

from cgiter_edu import Order, shapes
from cgiter_edu.course.handson import NAMES, c_source, cases, lesson_tree, on_kernel


def _ours() -> list[str]:
    try:
        mnt = shapes.cgroup2_mount()
        return [d for d in os.listdir(mnt) if d.startswith(f"cgiter_edu-{os.getpid()}-")]
    except OSError:
        return []


@pytest.fixture(autouse=True)
def no_scratch_left():
    yield
    assert not _ours(), f"scratch cgroups left behind: {_ours()}"


@pytest.mark.parametrize("name", NAMES)
def test_the_c_twin_compiles_and_passes_the_verifier(require_live, name):
    from cgiter_edu.live.own import load

    obj, prog = load(c_source(name))
    assert prog == name and obj.program(name)


@pytest.mark.parametrize("name", NAMES)
def test_the_c_twin_prints_what_the_python_solution_prints(require_live, name):
    from cgiter_edu.live.own import side_by_side

    py = solution(name)
    for k, case in enumerate(cases(name)):
        walks = 2 if name == "leaves" else 1        # the second walk checks the reset
        for _ in range(walks):
            r = side_by_side(c_source(name), py, case.h, Order.DESCENDANTS_PRE, case.start,
                             read_size=case.read_size, extra_reads=1)
            assert r.kernel.attach_errno == 0, r.kernel.summary()
            assert r.kernel.output, f"case {k}: the C program printed nothing\n{r}"
            assert r.kernel.reads == r.emulator.reads, f"case {k} ({case.where()}):\n{r}"
            assert r.same


def test_the_kernel_side_of_the_lesson_tree(require_live):
    """What the lesson's cell shows: real ids, the real levels, the stop at 'web'."""
    r = on_kernel("first_match", solution("first_match"))
    lines = r.kernel.output.decode().splitlines()
    assert [x.split(" ", 1)[1] for x in lines][1:] == ["system.slice", "sshd.service",
                                                      "kubepods", "besteffort", "web"]
    assert lines[0].split(" ", 1)[1].startswith("cgiter_edu-")   # the scratch cgroup
    ids = [int(x.split()[0]) for x in lines]
    assert ids == sorted(ids) and ids[0] > 1
    text = str(r)
    assert "C on the kernel" in text and "Python on the emulator" in text
    assert text.endswith("the same bytes")
    leaves = on_kernel("leaves", solution("leaves"), lesson_tree())
    levels = [int(x.split()[1]) for x in leaves.kernel.output.decode().splitlines()]
    s = 1                  # the scratch cgroup is a child of the mount's root
    assert levels == [s + 2, s + 3, s + 3, s + 3, s + 1]   # sshd.service, web, db, web, user.slice
    assert leaves.same


def test_a_c_program_the_verifier_refuses_says_why(require_live):
    from cgiter_edu.live.errors import LiveError
    from cgiter_edu.live.own import side_by_side

    bad = c_source("first_match").replace("return 1;", "return 2;")
    with pytest.raises(LiveError, match=r"^the kernel's verifier refused first_match: At "
                                        r"program exit the register R0 has smin=2 smax=2 "
                                        r"should have been in \[0, 1\]\nits log:\n0: "):
        side_by_side(bad, None, lesson_tree())


def test_a_c_program_that_does_not_compile_says_where(require_live):
    from cgiter_edu.live.build import BuildError
    from cgiter_edu.live.own import side_by_side

    bad = c_source("page").replace("ctx->meta->seq_num", "ctx->meta->seqnum")
    with pytest.raises(BuildError, match=r"clang failed: no member named 'seqnum' in "
                                         r"'struct bpf_iter_meta'.*\nprogram.bpf.c:\d+:\d+: error"):
        side_by_side(bad, None, lesson_tree())


def test_on_kernel_answers_a_broken_c_program_without_a_traceback(require_live):
    bad = c_source("leaves").replace("return 0;\n}", "return 3;\n}")
    r = on_kernel(bad, solution("leaves"))
    assert r.kernel is None and r.emulator is not None
    text = str(r)
    assert text.startswith("The kernel side did not run: the kernel's verifier refused "
                           "leaves: At program exit the register R0 has smin=3 smax=3")
    assert "the Python program on the emulator:" in text
    r = on_kernel(c_source("page").replace("BPF_SEQ_PRINTF", "BPF_SEQ_PRINT"), None)
    assert str(r).startswith("The kernel side did not run: clang failed: ")
