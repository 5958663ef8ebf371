"""Lesson 9's graded parts: the ``ring`` quiz kind and the ``live_only`` task."""

import re

import pytest

from cgiter_edu.course.handson import check, exercise
from cgiter_edu.course.questions import ALL_KINDS, KINDS, question
from cgiter_edu.opencoded import (
    BPF_CGROUP_ITER_DESCENDANTS_PRE,
    CSS_ONLINE,
    bpf_cgroup_from_id,
    bpf_cgroup_release,
    bpf_for_each,
    bpf_rcu_read_lock,
    bpf_rcu_read_unlock,
    prog_test_run,
)


@pytest.mark.parametrize("seed", range(12))
def test_ring_question_answer_is_the_ring_buffers_arithmetic(seed):
    q = question(seed, "ring")
    text = " ".join(q.text.split())
    n = int(re.search(r"walks all (\d+) cgroups", text).group(1))
    rec = int(re.search(r"&rec, (\d+), 0\)", text).group(1))
    size = int(re.search(r"max_entries = (\d+) bytes", text).group(1))
    per = (rec + 8 + 7) // 8 * 8
    assert q.answer == n - (size - 1) // per > 0
    assert q.check(q.answer_text) and not q.check(str(q.answer + 1))
    assert f"round_up({rec} + 8, 8) = {per}" in " ".join(q.explanation.split())
    assert question(seed, "ring").text == q.text            # the same for the same seed


def test_ring_is_asked_for_by_name_only():
    assert "ring" in ALL_KINDS and "ring" not in KINDS
    assert {question(s).kind for s in range(40)} <= set(KINDS)


def _walker(keep_dead: bool, rcu: bool = True):
    def live_only(h, start_id):
        ids = []

        def prog(ctx):
            cg = bpf_cgroup_from_id(start_id)
            if cg is None:
                return 1
            if rcu:
                bpf_rcu_read_lock()
            for pos in bpf_for_each("css", cg.self, BPF_CGROUP_ITER_DESCENDANTS_PRE):
                if keep_dead or pos.flags & CSS_ONLINE:
                    ids.append(pos.cgroup.id)
            if rcu:
                bpf_rcu_read_unlock()
            bpf_cgroup_release(cg)
            return 0

        prog_test_run(h, prog)
        return ids
    return live_only


def test_live_only_task():
    ex = exercise("live_only")
    assert (ex.lesson, ex.kind) == (9, "function")
    ns = {}
    exec(ex.starter, ns)
    r = check("live_only", ns["live_only"])
    assert not r and "returned nothing" in str(r) and "load_error" in str(r)
    r = check("live_only", _walker(keep_dead=True))
    assert not r and "dead cgroup(s) [15]" in str(r) and "CSS_ONLINE" in str(r)
    r = check("live_only", _walker(keep_dead=False, rcu=False))
    assert not r and "returned nothing" in str(r)
    assert check("live_only", _walker(keep_dead=False))
    r = check("live_only", lambda h, s: [c.id for c in h.cgroups() if not c.dead])
    assert not r and "ran no BPF program" in str(r)
    r = check("live_only", lambda h, s: 1 / 0)
    assert not r and "raised ZeroDivisionError" in str(r)
