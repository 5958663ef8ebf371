"""Lesson 7's graded programs: the teacher's solutions pass ``check``, typical wrong
programs get the message that names their mistake, and no message gives a solution away.

The solutions are read from docs/teaching.md (the answer key a teacher reads), so the
key cannot go wrong without this test failing.  The C twins are run on the kernel by
tests/test_handson_live.py.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from conftest import modules_loaded

from cgiter_edu import Order, run
from cgiter_edu.course.handson import (
    EXERCISES,
    NAMES,
    PAGE_BYTES,
    RECORD_BYTES,
    Result,
    c_source,
    cases,
    check,
    lesson_tree,
)

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "teaching.md"


def solution_source(name: str) -> str:
    """The Python block under '### Solution: <name>' in docs/teaching.md."""
    text = GUIDE.read_text()
    m = re.search(rf"^### Solution: {name}\n.*?```python\n(.*?)```", text, re.S | re.M)
    assert m, f"docs/teaching.md has no solution for {name}"
    return m.group(1)


def program(source: str, name: str | None = None):
    """The program a cell defines (its function ``name``, else its only function), in a
    namespace with what the lessons import."""
    from cgiter_edu import programs, shapes

    ns: dict = {"run": run, "Order": Order, "programs": programs, "shapes": shapes}
    exec(textwrap.dedent(source), ns)
    if name is not None and not callable(ns[name]):
        return ns[name]
    if name is None:
        (name,) = [k for k, v in ns.items() if callable(v) and not k.startswith("__")
                   and k not in ("run", "Order", "programs", "shapes")]
    return ns[name]


def solution(name: str):
    return program(solution_source(name), name)


@pytest.mark.parametrize("name", NAMES)
def test_the_solution_in_the_teachers_guide_passes(name):
    r = check(name, solution(name))
    assert isinstance(r, Result) and r.passed and bool(r)
    assert r.trees == len(cases(name)) >= 6
    assert str(r).startswith(f"{name}: right\nRight on all {r.trees} trees (the example tree and")


@pytest.mark.parametrize("name", NAMES)
def test_the_solution_passes_on_other_seeds_too(name):
    prog = solution(name)
    for seed in (1, 2, 40):
        assert check(name, prog, seed=seed).passed, seed


@pytest.mark.parametrize("name", NAMES)
def test_the_starter_runs_and_fails_with_a_hint(name):
    ex = EXERCISES[name]
    r = check(name, program(ex.starter, name))
    assert not r.passed and not bool(r)
    assert str(r).startswith(f"{name}: not yet\n")
    assert any(m.startswith("Hint: ") for m in r.messages)


def test_hidden_trees_are_seeded_varied_and_include_dead_cgroups_and_a_lower_start():
    a, b = cases("first_match", 0), cases("first_match", 1)
    assert [c.h.to_json() for c in a] == [c.h.to_json() for c in cases("first_match", 0)]
    assert [c.h.to_json() for c in a[1:]] != [c.h.to_json() for c in b[1:]]
    assert a[0].shown and not any(c.shown for c in a[1:])
    assert any(v.dead for c in a for v in c.h.cgroups())
    assert any(c.start not in (None, "/") for c in a)
    names = [{v.name for v in c.h.cgroups() if not v.dead} for c in a[1:]]
    assert any("web" not in n for n in names) and any("web" in n for n in names)
    page = cases("page")
    assert max(len(c.h) for c in page) > (8 * PAGE_BYTES - 1) // RECORD_BYTES
    assert any(c.read_size == PAGE_BYTES for c in page)


# -- typical wrong programs and what check says -------------------------------------------
WRONG = {
    "first_match": [
        ("""
        def p(ctx):
            cg = ctx.cgroup
            ctx.meta.seq.printf("%llu %s\\n", cg.id, cg.name)
            return 1 if cg.name == "web" else 0
        """, ["raised AttributeError", "epilogue call", "Hint: the last call of a walk is "
              "the epilogue, with ctx.cgroup None"]),
        ("""
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            if cg.name == "web":
                return 1
            ctx.meta.seq.printf("%llu %s\\n", cg.id, cg.name)
            return 0
        """, ["the walk stopped at /kubepods/besteffort/web (id 6)", "its own line is "
              "missing", "print the cgroup's line first, then return 1"]),
        ("""
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            ctx.meta.seq.printf("%llu %s\\n", cg.id, cg.path)
            return 1 if cg.name == "web" else 0
        """, ["line 1 is '1 /'", "not its path"]),
        ("""
        done = {"yes": False}
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            if not done["yes"]:
                ctx.meta.seq.printf("%llu %s\\n", cg.id, cg.name)
            if cg.name == "web":
                done["yes"] = True
            return 0
        """, ["the lines are right, but the walk did not stop at /kubepods/besteffort/web",
              "called on 4 more cgroups", "not printing is not stopping"]),
        ("""
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            print(cg.id, cg.name)
            return 1 if cg.name == "web" else 0
        """, ["Your program wrote nothing", "Python's print() goes to the notebook"]),
        ("""
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                ctx.meta.seq.printf("done\\n")
                return 0
            ctx.meta.seq.printf("%llu %s\\n", cg.id, cg.name)
            return 1 if cg.name == "web" else 0
        """, ["the output goes on after /kubepods/besteffort/web (id 6)", "'done' comes "
              "after it", "the epilogue call (ctx.cgroup None) prints nothing"]),
        ("""
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            ctx.meta.seq.printf("%llu %s\\n", cg.id, cg.name)
            return 2 if cg.name == "web" else 0
        """, ["returned 2 on cgroup /kubepods/besteffort/web", "0 (go on) or 1 (stop"]),
        ("""
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            ctx.meta.seq.printf("%llu %s\\n", cg.id, cg.name)
            return 1 if "web" in cg.path else 0
        """, ["On a hidden tree", "return 1 only at a cgroup named 'web'"]),
    ],
    "page": [
        ("""
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            ctx.meta.seq.printf("%-64llu %-63llu\\n", cg.id, ctx.meta.seq_num)
            return 0
        """, ["record 1 (cgroup /, id 1) is 129 bytes, newline included, not 128",
              "Hint: 1 byte too many: count each field's width, the spaces between the "
              "fields and the newline, which is one of the record's bytes too."]),
        ("""
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                ctx.meta.seq.printf("E %llu\\n", ctx.meta.seq_num)
                return 0
            ctx.meta.seq.printf("%-63llu %-63llu\\n", cg.id, ctx.meta.seq_num)
            return 0
        """, ["11 lines, one more than the cgroups", "the epilogue call (ctx.cgroup None) "
              "prints nothing"]),
        ("""
        n = {"i": 0}
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                n["i"] = 0
                return 0
            ctx.meta.seq.printf("%-63llu %-63llu\\n", cg.id, n["i"])
            n["i"] += 1
            return 0
        """, ["On a hidden tree", "seq_num", "a dead cgroup the program never sees still "
              "uses one up"]),
        ("""
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            ctx.meta.seq.printf("C %-61llu %-63llu\\n", cg.id, ctx.meta.seq_num)
            return 0
        """, ["record 1 starts with 'C 1", "two decimal numbers"]),
        ("""
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            ctx.meta.seq.write(f"{cg.id} {ctx.meta.seq_num}".encode() + b"\\n")
            return 0
        """, ["record 1 (cgroup /, id 1) is 4 bytes", "a width is a minimum"]),
    ],
    "leaves": [
        ("""
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            ctx.meta.seq.printf("%llu %d\\n", cg.id, cg.level)
            return 0
        """, ["/ (id 1) is printed, but it is no leaf: /system.slice is its child"]),
        ("""
        prev = {"id": 0, "level": -1}
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            if prev["level"] >= 0 and cg.level <= prev["level"]:
                ctx.meta.seq.printf("%llu %d\\n", prev["id"], prev["level"])
            prev["id"], prev["level"] = cg.id, cg.level
            return 0
        """, ["the last leaf, /user.slice (id 10), is missing", "only the epilogue call"]),
        ("""
        prev = {"id": 0, "level": -1}
        def p(ctx):
            cg = ctx.cgroup
            if prev["level"] >= 0 and (cg is None or cg.level <= prev["level"]):
                ctx.meta.seq.printf("%llu %d\\n", prev["id"], prev["level"])
            if cg is None:
                return 0
            prev["id"], prev["level"] = cg.id, cg.level
            return 0
        """, ["in the second walk of two", "the first walk printed the right lines",
              "start afresh when seq_num is 0"]),
        ("""
        prev = {"id": 0, "level": -1}
        def p(ctx):
            cg = ctx.cgroup
            if cg is not None and ctx.meta.seq_num == 0:
                prev["level"] = -1
            if prev["level"] >= 0 and (cg is None or cg.level < prev["level"]):
                ctx.meta.seq.printf("%llu %d\\n", prev["id"], prev["level"])
            if cg is None:
                prev["level"] = -1
                return 0
            prev["id"], prev["level"] = cg.id, cg.level
            return 0
        """, ["the leaf /kubepods/burstable/db (id 8) is missing", "is not deeper"]),
        ("""
        prev = {"id": 0, "level": -1}
        def p(ctx):
            cg = ctx.cgroup
            if cg is not None and ctx.meta.seq_num == 0:
                prev["level"] = -1
            if prev["level"] >= 0 and (cg is None or cg.level <= prev["level"]):
                ctx.meta.seq.printf("%llu %d\\n", prev["id"], prev["level"] + 1)
            if cg is None:
                prev["level"] = -1
                return 0
            prev["id"], prev["level"] = cg.id, cg.level
            return 0
        """, ["/system.slice/sshd.service (id 3) is printed with level 3", "counts the "
              "steps from the hierarchy's root (0)"]),
    ],
}

_WRONG_CASES = [(name, i) for name, ws in WRONG.items() for i in range(len(ws))]


@pytest.mark.parametrize(("name", "i"), _WRONG_CASES,
                         ids=[f"{n}-{i}" for n, i in _WRONG_CASES])
def test_a_typical_wrong_program_gets_the_message_of_its_mistake(name, i):
    source, wanted = WRONG[name][i]
    r = check(name, program(source, "p"))
    text = str(r)
    assert not r.passed, text
    assert any(m.startswith("Hint: ") for m in r.messages), text
    for w in wanted:
        assert w in " ".join(text.split()), f"{w!r} not in:\n{text}"


def _code_lines(source: str) -> list[str]:
    """The solution's lines that say something (no blank lines, no lone keywords)."""
    lines = []
    for line in textwrap.dedent(source).splitlines():
        code = line.split("#")[0].strip()
        if len(code) >= 12:
            lines.append(code)
    return lines


@pytest.mark.parametrize(("name", "i"), _WRONG_CASES,
                         ids=[f"{n}-{i}" for n, i in _WRONG_CASES])
def test_no_message_contains_the_solution(name, i):
    text = str(check(name, program(WRONG[name][i][0], "p")))
    for line in _code_lines(solution_source(name)):
        assert line not in text, f"the message gives away {line!r}:\n{text}"
    # nor the C twin's statements
    for line in _code_lines(c_source(name)):
        if "(" in line and not line.startswith(("*", "/*")):
            assert line not in text, f"the message gives away {line!r}:\n{text}"
    for fmt in re.findall(r'"([^"]*%[^"]*)"', solution_source(name)):
        assert fmt not in text


def test_check_refuses_an_unknown_exercise_and_a_non_program():
    with pytest.raises(ValueError, match="unknown exercise 'leaf': one of first_match, "
                                         "page, leaves, names, framing, visits"):
        check("leaf", lambda ctx: 0)
    with pytest.raises(TypeError, match="prog must be a program"):
        check("page", "def page(ctx): return 0")


def test_a_program_that_loops_for_ever_gets_an_answer_not_a_hung_kernel(monkeypatch):
    import signal
    import sys

    import cgiter_edu.course.handson as handson

    monkeypatch.setattr(handson, "STEP_BUDGET", 50_000)
    calls = []

    def loops(ctx):                       # loops on the third cgroup, and swallows errors
        calls.append(ctx.cgroup)
        if len(calls) == 3:
            while True:
                try:
                    pass
                except Exception:         # noqa: BLE001 - a Runaway is no Exception
                    pass
        return 0

    handler = signal.getsignal(signal.SIGALRM)
    r = check("first_match", loops)
    assert not r.passed and r.trees == 0
    assert r.messages == [
        "Your program did not return after 50,000 steps of Python, on the example tree "
        "(lesson_tree()): does it loop?",
        "Hint: a BPF program must end, and the verifier proves it does before it loads: a "
        "loop needs a bound it can see (for i in range(N)), and going from cgroup to cgroup "
        "is the iterator's job, one call of your program for each."]
    assert len(calls) == 3
    # nothing is left behind: no tracer, the old SIGALRM handler, no timer running
    assert sys.gettrace() is None and signal.getsignal(signal.SIGALRM) == handler
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert check("first_match", solution("first_match")).passed       # and it still works

    def fits(page_size, record_bytes):    # a function task that never returns
        n = 0
        while n >= 0:
            n += 1
        return n

    r = check("fits", fits)
    assert not r.passed and r.messages[0] == (
        "Your function did not return after 50,000 steps of Python, on the task's cases: "
        "does it loop?")


def test_a_program_that_waits_for_ever_is_stopped_by_the_time_budget(monkeypatch):
    import time

    import cgiter_edu.course.handson as handson

    monkeypatch.setattr(handson, "TIME_BUDGET", 0.5)

    def waits(ctx):
        time.sleep(3600)                  # no line of Python runs while it sleeps
        return 0

    r = check("leaves", waits)
    assert not r.passed and r.messages[0] == (
        "Your program did not return after 0.5 seconds, on the example tree "
        "(lesson_tree()): does it loop?")


def test_the_page_facts_the_guide_states():
    """255 records a session; a 4096-byte read() of 40 cgroups: 4096 bytes, 32 records."""
    prog = solution("page")
    big = [c for c in cases("page") if len(c.h) == 300][0]
    r = run(big.h, prog, Order.DESCENDANTS_PRE, read_size=131072)
    assert r.results[0] == 255 * 128 == 32640
    small = [c for c in cases("page") if c.read_size == PAGE_BYTES][0]
    r = run(small.h, prog, Order.DESCENDANTS_PRE, read_size=PAGE_BYTES)
    assert r.results[:2] == [4096, "EOPNOTSUPP"]
    assert r.output.count(b"\n") == 32


def test_the_lessons_tree_and_c_twins_are_there():
    assert [v.name for v in lesson_tree().cgroups()].count("web") == 2
    for name in NAMES:
        src = c_source(name)
        assert 'SEC("iter/cgroup")' in src and f"int {name}(struct bpf_iter__cgroup *ctx)" in src
        assert "BPF_SEQ_PRINTF" in src and "cgrp->kn->id" in src


def test_handson_loads_no_matplotlib_nor_ipywidgets():
    assert modules_loaded("import cgiter_edu.course.handson", ("matplotlib", "ipywidgets")) == []


def test_on_kernel_says_why_in_one_line_where_it_cannot(monkeypatch):
    from cgiter_edu.course.handson import on_kernel
    from cgiter_edu.live import availability

    monkeypatch.setattr(availability, "_cached",
                        availability.Availability(False, "not root: loading BPF programs "
                                                  "and creating cgroups need it", "run as root"))
    r = on_kernel("first_match", solution("first_match"))
    assert r.kernel is None and r.same is None
    text = str(r).splitlines()
    assert text[0] == ("The kernel side is not run here: not root: loading BPF programs and "
                       "creating cgroups need it.")
    assert text[1] == "the Python program on the emulator:"
    assert text[2:] == ["1 ", "2 system.slice", "3 sshd.service", "4 kubepods", "5 besteffort",
                        "6 web"]


def test_on_kernel_does_not_hang_on_a_program_that_loops(monkeypatch):
    import cgiter_edu.course.handson as handson
    from cgiter_edu.live import availability

    monkeypatch.setattr(handson, "STEP_BUDGET", 50_000)
    monkeypatch.setattr(availability, "_cached",
                        availability.Availability(False, "not root", "run as root"))

    def loops(ctx):
        while True: pass                                    # noqa: E701 - one line: no line events

    text = str(handson.on_kernel("first_match", loops)).splitlines()
    assert text[0].startswith("the Python program did not finish: the BPF program raised "
                              "RuntimeError: your program did not return after 50,000 steps "
                              "of Python: does it loop?"), text
    assert handson.on_kernel("first_match", solution("first_match")).emulator.output.startswith(
        b"1 \n2 system.slice\n")


def test_doctests():
    import doctest

    import cgiter_edu.course.handson as mod

    assert doctest.testmod(mod).failed == 0


def test_lesson_7_has_a_starter_and_a_check_for_each_program_and_runs_c_beside_it():
    import nbformat

    nb = nbformat.read(GUIDE.parent.parent / "notebooks" / "07-your-own-program.ipynb", 4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for name in NAMES:
        ex = EXERCISES[name]
        (cell,) = [c for c in code if f'check("{name}", {name})' in c]
        assert cell.startswith(ex.starter)                 # the starter, then its check
        assert ex.task in text                             # the task, as check means it
    assert any("on_kernel(my_c, first_match)" in c for c in code)


def test_the_guides_seed_list_is_the_class_list_and_every_question_exists():
    from collections import Counter

    from cgiter_edu.course.classroom import SHORT_KINDS, class_list, markdown_table
    from cgiter_edu.course.questions import KINDS, question

    assert markdown_table() in GUIDE.read_text()
    rows = class_list()
    assert len(rows) == 40 and len({r[1] for r in rows}) == 40
    assert sorted(Counter(r[2] for r in rows).values()) == [10] * 4
    assert set(r[2] for r in rows) == set(SHORT_KINDS)
    assert sorted(Counter(r[3] for r in rows).values()) == [6, 6, 7, 7, 7, 7]
    assert set(r[3] for r in rows) == set(KINDS)
    for _, seed, short, long in rows:
        for kind in (short, long):
            q = question(seed, kind)
            assert q.kind == kind and q.check(q.answer_text)


def test_update_quiz_key_rewrites_only_the_table(tmp_path):
    from cgiter_edu.course.classroom import quiz_cells, quiz_key, update_quiz_key

    nbs = GUIDE.parent.parent / "notebooks"
    text = GUIDE.read_text()
    guide = tmp_path / "teaching.md"
    guide.write_text(text)
    update_quiz_key(guide, nbs)                                 # now up to date
    fresh = guide.read_text()
    assert update_quiz_key(guide, nbs) is False                 # up to date: unchanged
    old = quiz_key(quiz_cells(nbs))
    assert old in fresh and fresh.replace(old, "") == text.replace(
        text[text.index("| lesson | cell | answer |"):].split("\n\n")[0], "")
    guide.write_text(fresh.replace(old, old.replace("| 00 |", "| 0x |", 1)))
    assert update_quiz_key(guide, nbs) is True and guide.read_text() == fresh


def test_classroom_doctests():
    import doctest

    import cgiter_edu.course.classroom as mod

    assert doctest.testmod(mod).failed == 0


# -- the end-of-lesson tasks ------------------------------------------------------------------
from cgiter_edu.course.handson import TASK_NAMES, TASKS  # noqa: E402

TASK_WRONG = {
    "names": ("""
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            ctx.meta.seq.printf("%s\\n", cg.path)
            return 0
        """, ["line 2 is '/system.slice'", "not the path"]),
    "framing": ("""
        n = {"calls": 0}
        def p(ctx):
            seq = ctx.meta.seq
            if ctx.cgroup is None:
                seq.printf("end %llu\\n", n["calls"])
                return 0
            if ctx.meta.seq_num == 0:
                seq.printf("begin\\n")
            seq.printf("%llu %llu\\n", ctx.meta.seq_num, ctx.cgroup.id)
            n["calls"] += 1
            return 0
        """, ["line 12 is 'end 10'", "the epilogue", "not one more"]),
    "visits": ("""
        def p(h, order, start):
            return run(h, programs.silent, order, start, trace=True).trace.visit_order()
        """, ["lists a dead cgroup", "does not call the program on it"]),
    "fits": ("""
        def p(page_size, record_bytes):
            return page_size * 8 // record_bytes
        """, ["fits(4096, 64) returned 512: one too many", "strictly less"]),
    "first_read": ("""
        def p(record_bytes, read_size):
            return min(read_size, 4096 * 8 // record_bytes * record_bytes)
        """, ["first_read(64, 131072) returned 32768", "its last byte is never used"]),
    "locks": ("""
        def p(read_size):
            return 1
        """, ["locks(131072) returned 1", "leftovers"]),
    "skipped": ("""
        last = {"n": -1}
        def p(ctx):
            cg = ctx.cgroup
            if cg is None:
                return 0
            ctx.meta.seq.printf("%llu %llu\\n", cg.id, ctx.meta.seq_num - last["n"] - 1)
            last["n"] = ctx.meta.seq_num
            return 0
        """, ["the first walk printed the right lines", "forget it at the epilogue call",
              "the last call of a walk that ends"]),
    "recorded_errors": ("""
        from cgiter_edu import kernel_walks
        p = sum(len(c["reads"]) > 2 for c in kernel_walks.bundled())
        """, ["is not the count", "errno 95"]),
    "live_only": ("""
        from cgiter_edu.opencoded import *
        def p(h, start_id):
            ids = []
            def prog(ctx):
                cg = bpf_cgroup_from_id(start_id)
                if cg is None:
                    return 1
                bpf_rcu_read_lock()
                for pos in bpf_for_each("css", cg.self, BPF_CGROUP_ITER_DESCENDANTS_PRE):
                    ids.append(pos.cgroup.id)
                bpf_rcu_read_unlock()
                bpf_cgroup_release(cg)
                return 0
            prog_test_run(h, prog)
            return ids
        """, ["has the dead cgroup(s) [15]", "does not skip dead cgroups"]),
}


@pytest.mark.parametrize("name", TASK_NAMES)
def test_the_task_solution_in_the_teachers_guide_passes(name):
    r = check(name, solution(name))
    assert r.passed, str(r)


@pytest.mark.parametrize("name", TASK_NAMES)
def test_the_task_starter_runs_and_fails_with_a_hint(name):
    r = check(name, program(TASKS[name].starter, name))
    assert not r.passed and any(m.startswith("Hint: ") for m in r.messages), str(r)


@pytest.mark.parametrize("name", TASK_NAMES)
def test_a_typical_wrong_task_answer_gets_its_hint_and_not_the_solution(name):
    source, wanted = TASK_WRONG[name]
    text = str(check(name, program(source, "p")))
    assert text.startswith(f"{name}: not yet\n")
    for w in wanted:
        assert w in " ".join(text.split()), f"{w!r} not in:\n{text}"
    for line in _code_lines(solution_source(name)):
        assert line not in text, f"the message gives away {line!r}:\n{text}"


def test_a_right_cgroups_line_with_a_wrong_count_is_said_so():
    """The starter of "skipped" prints each id with 0: the message named the cgroup of
    the wrong line as the one the line "should be" of, which it already was."""
    text = " ".join(str(check("skipped", program(TASKS["skipped"].starter, "skipped"))).split())
    m = re.search(r"line \d+ is '(\d+) 0'", text)
    assert m, text
    assert f"(id {m.group(1)})" in text and "but not what it should say" in text, text
    assert "it should be the line of" not in text, text


def test_every_lesson_has_its_task():
    assert sorted({t.lesson for t in TASKS.values()} | {7}) == list(range(10))


# -- the notebooks and the answer key ------------------------------------------------------
def _lessons():
    import nbformat

    for p in sorted((GUIDE.parent.parent / "notebooks").glob("0[0-9]-*.ipynb")):
        yield p.name[:2], nbformat.read(p, 4)


def test_every_lesson_ends_with_a_task_graded_by_check():
    tasks = {f"{t.lesson:02d}": [t.name] for t in TASKS.values() if t.lesson <= 8}
    tasks["07"] = list(NAMES)
    seen = set()
    for lesson, nb in _lessons():
        if lesson not in tasks:
            continue
        seen.add(lesson)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        for name in tasks[lesson]:
            ex = TASKS.get(name) or EXERCISES[name]
            (cell,) = [c for c in code if f'check("{name}", {name})' in c]
            assert ex.starter in cell, f"lesson {lesson}: the starter of {name} changed"
        # the task comes after the lesson's last Quiz, just before the summary (if any)
        last = max(i for i, c in enumerate(nb.cells) if f'check("{tasks[lesson][-1]}"' in c.source)
        if lesson != "07":                      # lesson 7: the programs, then its quiz
            assert all("Quiz(" not in c.source for c in nb.cells[last:]), lesson
    assert seen == set(tasks)


def test_the_answer_key_has_every_quiz_cell_and_every_predict_cell():
    from cgiter_edu.course.classroom import quiz_cells, quiz_key

    guide = GUIDE.read_text()
    cells = quiz_cells(GUIDE.parent.parent / "notebooks")
    # every lesson has its Quiz cell, each with its lesson= (the regex reads them all)
    assert sorted({c[0] for c in cells}) == [f"{n:02d}" for n in range(10)]
    assert all(c[3] == int(c[0]) for c in cells), cells
    assert quiz_key(cells) in guide, (
        "the answer key's Quiz table is out of date: in the checkout run\n  python -c "
        "\"from cgiter_edu.course.classroom import update_quiz_key; update_quiz_key()\"")
    key = guide[guide.index("## Answer key"):]
    for lesson, nb in _lessons():
        n = sum("Predict, then reveal" in c.source for c in nb.cells)
        assert len(re.findall(rf"^\| {lesson} \| ", key, re.M)) >= n + sum(
            1 for x in cells if x[0] == lesson), f"lesson {lesson}: an answer is missing"


def test_the_guides_fallback_is_the_readmes_first_quick_start_line():
    readme = (GUIDE.parent.parent / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```")[1]
    first = block.strip().splitlines()[0]
    assert first.startswith("python3 -m venv") and f"`{first}`" in GUIDE.read_text()
