"""The seeded exercises: the same seed gives the same question everywhere, and every
answer is what the emulator does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from cgiter_edu import EventKind, run
from cgiter_edu.cli import main
from cgiter_edu.course.questions import KINDS, Rng, question, questions

SEEDS = range(12)


def test_rng_is_splitmix64():
    # the published first output of splitmix64 seeded with 0 (pins the generator, so a
    # seed means the same question on every machine and Python version)
    assert Rng(0).next64() == 0xE220A8397B1DCDAF
    assert [Rng(9, "order").below(10) for _ in range(2)] == [Rng(9, "order").below(10)] * 2


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_question(kind):
    for seed in SEEDS:
        a, b = question(seed, kind), question(seed, kind)
        assert (a.text, a.answer, a.explanation) == (b.text, b.answer, b.explanation)


@pytest.mark.parametrize("kind", KINDS)
def test_different_seeds_different_questions(kind):
    texts = {question(seed, kind).text for seed in range(20)}
    answers = {json.dumps(question(seed, kind).answer) for seed in range(20)}
    assert len(texts) >= 15, kind
    assert len(answers) >= 5, kind


def test_seed_chooses_every_kind():
    assert {question(s).kind for s in range(60)} == set(KINDS)


def test_pinned_questions():
    """Exact answers for fixed seeds: a change of generator or emulator shows here."""
    assert question(0, "order").answer == [8, 7, 4, 2]
    q = question(0, "capacity")
    assert "256-byte record" in " ".join(q.text.split()) and q.answer == 127      # 32767 // 256, not 128
    assert question(0, "reads").answer == [241, 23, "EOPNOTSUPP"]
    assert question(5, "seq_num").answer == 7
    assert question(0, "format").answer == "61155   |"


def test_same_question_in_another_process():
    env = dict(os.environ, PYTHONHASHSEED="123")
    out = subprocess.run([sys.executable, "-m", "cgiter_edu.cli", "quiz", "--seed", "77",
                          "--all", "--json"], capture_output=True, text=True, env=env,
                         check=True).stdout
    here = [{"seed": q.seed, "kind": q.kind, "question": q.text, "answer": q.answer,
             "answer_text": q.answer_text, "explanation": q.explanation}
            for q in questions(77)]
    assert json.loads(out) == json.loads(json.dumps(here))


def _records(output: bytes) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(rb"C (\d+) (\d+)\n", output)]


@pytest.mark.parametrize("seed", SEEDS)
def test_answers_are_what_the_emulator_does(seed):
    """Run each question's walk again through the public API and read the answer off
    the bytes and errnos, not the trace the generator used."""
    for q in questions(seed):
        s = q.setup
        h = s.hierarchy()
        res = run(h, s.program, s.order, s.start, read_size=s.read_size,
                  kernel=s.kernel)
        recs = _records(res.output)
        if q.kind == "order":
            assert q.answer == [cid for cid, _ in recs]
        elif q.kind == "reads":
            assert q.answer == res.results
        elif q.kind == "capacity":
            first = res.reads[0][1]
            assert len(first) < s.page_size << 3 <= len(first) + len(first) // q.answer
            assert q.answer == len(_records(first)) and res.results[1] == "EOPNOTSUPP"
        elif q.kind == "never":
            rt = run(s.hierarchy(), s.program, s.order, s.start, read_size=s.read_size,
                     trace=True).trace
            ran = {e.cgroup for e in rt.of_kind(EventKind.SHOW)}
            assert q.answer == sorted(c.id for c in h.cgroups() if c.id not in ran)
            assert set(q.answer).isdisjoint(cid for cid, _ in recs)
        elif q.kind == "seq_num":
            target = int(re.search(r"record of\s+cgroup\s+(\d+)", q.text).group(1))
            assert q.answer == dict(recs)[target]
            dead = [c.id for c in h.cgroups() if c.dead]
            assert dead and q.answer > sorted(n for _, n in recs).index(q.answer)
        elif q.kind == "format":
            if res.output:
                assert q.answer == res.output.decode()
            else:
                assert q.answer == "EINVAL"
        assert q.check(q.answer_text)


def test_check_accepts_what_a_student_types():
    q = question(0, "order")
    assert q.check("8 7 4 2") and q.check("8, 7, 4, 2") and q.check("[8,7,4,2]")
    assert not q.check("2 4 7 8") and not q.check("") and not q.check("eight")
    r = question(0, "reads")
    assert r.check("241, 23, eopnotsupp") and not r.check("241 23") and not r.check(
        "241 23 EOPNOTSUPP EOPNOTSUPP")
    f = question(0, "format")
    assert f.check("'61155   |'") and not f.check("61155 |")


def test_bad_arguments():
    with pytest.raises(ValueError, match="seed"):
        question(-1)
    with pytest.raises(ValueError, match="unknown kind 'sizes'"):
        question(1, "sizes")


def test_cli_quiz(capsys):
    assert main(["quiz", "--seed", "0", "--kind", "capacity"]) == 0
    out = capsys.readouterr().out
    assert "Exercise 0 (capacity)" in out and "Answer: 127" not in out
    assert main(["quiz", "--seed", "0", "--kind", "capacity", "--answer"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Answer: 127" in out and "32768 / 256 = 128 is one too many" in out
    assert main(["quiz", "--seed", "0", "--kind", "capacity", "--check", "128"]) == 1
    assert "wrong" in capsys.readouterr().out
    assert main(["quiz", "--seed", "0", "--kind", "capacity", "--check", "127"]) == 0
    assert main(["quiz", "--seed", "-3"]) == 1
    assert capsys.readouterr().err == ("cgiter-edu quiz: --seed -3: a seed is an unsigned "
                                       "64-bit number; use 0 to 2**64 - 1\n")


def test_never_answers_are_sets_from_the_cli_and_the_widget(capsys):
    """The cgroups a walk never reaches are a set: any order of them is right, a missing
    or a repeated one is not."""
    q = question(3, "never")
    assert sorted(q.answer) == [7, 8, 9, 10, 11, 12, 13]
    assert main(["quiz", "--seed", "3", "--kind", "never", "--check", "13 12 11 10 9 8 7"]) == 0
    assert "right" in capsys.readouterr().out
    assert not q.check("13 12 11 10 9 8") and not q.check("13 12 11 10 9 8 7 7")
    pytest.importorskip("ipywidgets")
    from cgiter_edu.course.quiz import Quiz

    w = Quiz(seed=3, kind="never")
    w.answer.value = "13 12 11 10 9 8 7"
    w.check_button.click()
    assert "Right" in w.feedback.value


def test_capacity_questions_state_the_read_size():
    for seed in range(10):
        q = question(seed, "capacity")
        size = q.setup.read_size
        assert f"read(fd, buf, {size})" in " ".join(q.text.split()), q.text
        assert size > q.setup.page_size << 3          # larger than the buffer: no cut by size


def test_capacity_explanation_names_the_check_the_program_meets():
    """The course's Record prints with bpf_seq_printf: its record is refused by
    seq_bprintf()'s count + len < size, not only seq_write()'s (the explanation said
    "seq_write() refused it" and that the record "was written up to the end")."""
    q = question(7, "capacity")
    why = " ".join(q.explanation.split())
    assert (f"Record {q.answer + 1} did not fit: the buffer keeps what a program prints only "
            "if count + len < size (seq_bprintf() behind bpf_seq_printf, seq_write() behind "
            "bpf_seq_write)") in why, why
    assert f"rolled back to {q.answer * 67} bytes, the end of record {q.answer}." in why, why


# -- each lesson's quiz asks only what it or an earlier lesson taught --------------------
def test_lesson_quiz_never_asks_what_a_later_lesson_teaches():
    from cgiter_edu.course.questions import ALL_KINDS, LESSONS, TAUGHT, lesson_kinds, lesson_orders

    first_kind = {k: n for n in LESSONS for k in TAUGHT[n][0]}
    first_order = {o: n for n in LESSONS for o in TAUGHT[n][1]}
    assert set(first_kind) == set(ALL_KINDS) and set(first_order) == {1, 2, 3, 4, 5}
    assert lesson_kinds(0) == ("order",) and lesson_orders(1) == (2,)
    for lesson in LESSONS:
        seen_kinds, seen_orders = set(), set()
        for seed in range(150):
            for kind in (None, *lesson_kinds(lesson)):
                q = question(seed, kind, lesson)
                assert first_kind[q.kind] <= lesson, (lesson, seed, kind, q.kind)
                seen_kinds.add(q.kind)
                if q.kind in ("order", "never", "seq_num"):
                    assert first_order[q.setup.order] <= lesson, (lesson, seed, q.setup.order)
                    seen_orders.add(q.setup.order)
                if lesson < 2:                   # no order but pre-order named before lesson 2
                    assert "7.0" not in q.text and "post-order" not in q.text, (lesson, seed)
                assert q.lesson == lesson and q.check(q.answer_text)
        # and every kind and order taught so far is asked by some seed
        assert seen_kinds == set(lesson_kinds(lesson)), lesson
        assert seen_orders == set(lesson_orders(lesson)), lesson
        for kind in set(ALL_KINDS) - set(lesson_kinds(lesson)):
            with pytest.raises(ValueError, match=f"lesson {first_kind[kind]} teaches"):
                question(1, kind, lesson)


def test_a_lesson_that_taught_every_order_asks_the_same_questions():
    # the class seed list and the answer key stay valid: from lesson 2 on, a kind's
    # question is the one without a lesson
    for seed in range(30):
        for kind in ("order", "never", "seq_num"):
            assert question(seed, kind, 9).text == question(seed, kind).text


def test_every_lesson_quiz_cell_names_its_lesson():
    from cgiter_edu.course.classroom import quiz_cells

    nbs = os.path.join(os.path.dirname(__file__), "..", "notebooks")
    cells = quiz_cells(nbs)
    assert len(cells) >= 10
    for lesson, seed, kind, at in cells:
        assert at == int(lesson), (lesson, seed, kind)


def test_lesson_quiz_widget_keeps_to_the_lesson():
    pytest.importorskip("ipywidgets")
    from cgiter_edu.course.quiz import Quiz

    w = Quiz(seed=1, kind="order", lesson=0)
    assert [v for _, v in w.kind_box.options] == ["", "order"]
    for seed in range(40):                               # "New question", any kind
        w.kind_box.value = ""
        w.new(seed=seed)
        assert w.question.kind == "order" and w.question.setup.order == 2
        assert "pre-order (DESCENDANTS_PRE)" in " ".join(w.question.text.split())
    assert "--lesson 0" in w._repr_mimebundle_()["text/html"]
    w3 = Quiz(seed=3, lesson=3)
    assert {v for _, v in w3.kind_box.options} == {"", "order", "capacity"}
    assert w3.question.kind in ("order", "capacity")


def test_cli_quiz_lesson(capsys):
    assert main(["quiz", "--seed", "1", "--lesson", "0"]) == 0
    out = capsys.readouterr().out
    assert "pre-order (DESCENDANTS_PRE)" in " ".join(out.split()) and "--lesson 0" in out
    assert main(["quiz", "--seed", "1", "--lesson", "1", "--all"]) == 0
    assert capsys.readouterr().out.count("Exercise 1 (") == 1       # lesson 1: order only
    assert main(["quiz", "--seed", "1", "--lesson", "1", "--kind", "capacity"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == ("cgiter-edu quiz: --kind capacity: lesson 1 does not ask 'capacity' "
                   "questions: lesson 3 teaches them (lesson 1 asks: order)")
    assert main(["quiz", "--seed", "1", "--lesson", "10"]) == 1
    assert "use 0 to 9" in capsys.readouterr().err


def test_show_me_walks_a_children_question_on_the_kernel_it_names():
    pytest.importorskip("ipywidgets")
    from cgiter_edu.course.quiz import open_explorer

    q = question(7, "order")
    assert q.setup.order == 5 and "Linux 7.0" in q.text        # CHILDREN: asked on 7.0
    e = open_explorer(q)
    assert e.settings.kernel == "7.0" and e.walk.error == ""   # not EINVAL on 6.18
    assert e.walk.trace.visit_order() == q.answer
    assert open_explorer(question(3, "order")).settings.kernel == "6.18"
