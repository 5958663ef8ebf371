"""kernel/inline.py: the hot callers are recompiled with the small functions the C
compiler inlines put in place of their calls; what they compute, and where a trace
places each step, stay the same."""

import importlib.util
import sys
import textwrap

from cgiter_edu.kernel import bpf_iter, cgroup, cgroup_iter, inline


def test_the_hot_callers_call_none_of_the_inlined_functions():
    assert not {"seq_has_overflowed", "bpf_iter_inc_seq_num", "bpf_iter_dec_seq_num",
                "IS_ERR"} & set(bpf_iter.bpf_seq_read.__code__.co_names)
    assert not {"__cgroup_iter_seq_show", "cgroup_is_dead"} & set(
        cgroup_iter.cgroup_iter_seq_show.__code__.co_names)
    assert "css_next_child" not in cgroup.css_next_descendant_pre.__code__.co_names
    # the functions themselves stay, and still work on their own
    assert cgroup_iter.__cgroup_iter_seq_show.__inlinable__
    code = cgroup_iter.cgroup_iter_seq_show.__code__
    first, last, name = inline.INLINED[code][0]
    assert name == "__cgroup_iter_seq_show" and inline.origin(code, first + 1) == name
    assert inline.origin(code, last + 1) is None


def _module(tmp_path, name, src):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(src))
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_each_kind_of_site_gives_what_the_call_gave(tmp_path):
    m = _module(tmp_path, "cgiter_inline_demo", """
        from cgiter_edu.kernel.inline import inlinable, inline_calls

        LIMIT = 3

        @inlinable
        def small(x):
            "an expression"
            return x > LIMIT

        @inlinable
        def bump(box):
            box[0] += 1

        @inlinable
        def first_over(xs, limit):
            n = None
            for x in xs:
                if x > limit:
                    n = x
                    break
            return n

        @inlinable
        def classify(x):
            if x is None:
                return "none"
            if small(x):
                return "big"

        @inlinable
        def guarded(x):
            try:
                return 1 // x
            except ZeroDivisionError:
                return None

        def caller(xs, box):
            bump(box)
            n = first_over(xs, 1)
            return [small(n), n, classify(n), guarded(0)]

        def tail(x):
            return classify(x)

        before = (caller([1, 5], [0]), tail(None), tail(4), tail(2))
        done = inline_calls(caller, tail)
    """)
    # caller: bump, first_over, small; tail: classify, and the small in it
    assert m.done == 5
    names = set(m.caller.__code__.co_names)
    assert {"bump", "first_over", "small"}.isdisjoint(names)
    assert {"classify", "guarded"} <= names     # statements inside an expression; a try
    assert {"classify", "small"}.isdisjoint(m.tail.__code__.co_names)
    box = [0]
    assert m.caller([1, 5], box) == [True, 5, "big", None] and box == [1]
    assert (m.tail(None), m.tail(4), m.tail(2)) == ("none", "big", None)
    assert m.before == (m.caller([1, 5], [0]), m.tail(None), m.tail(4), m.tail(2))
