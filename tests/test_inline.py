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
    # across files, as a kernel built with LTO may: the show runs the program itself,
    # the pre-order next walks itself
    assert not {"bpf_iter_get_info", "bpf_iter_run_prog"} & set(
        cgroup_iter.cgroup_iter_seq_show.__code__.co_names)
    assert not {"css_next_descendant_pre", "css_next_child"} & set(
        cgroup_iter.cgroup_iter_seq_next.__code__.co_names)
    # a call through a function pointer loads the field and calls it (no method lookup)
    import dis
    for fn, fields in ((bpf_iter.bpf_seq_read, {"next", "show"}),
                       (cgroup_iter.cgroup_iter_seq_show, {"bpf_func"})):
        loaded = {(i.opname, i.argval) for i in dis.get_instructions(fn)}
        assert {("LOAD_ATTR", f) for f in fields} <= loaded
        assert not {("LOAD_METHOD", f) for f in fields} & loaded - {("LOAD_METHOD", "next")}
        assert {f"{f}__fp" for f in fields} <= set(fn.__code__.co_varnames)
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
    assert {"classify", "guarded"} <= names     # statements inside an expression
    assert {"classify", "small"}.isdisjoint(m.tail.__code__.co_names)
    box = [0]
    assert m.caller([1, 5], box) == [True, 5, "big", None] and box == [1]
    assert (m.tail(None), m.tail(4), m.tail(2)) == ("none", "big", None)
    assert m.before == (m.caller([1, 5], [0]), m.tail(None), m.tail(4), m.tail(2))


def test_a_body_from_another_file_runs_at_the_calls_line(tmp_path):
    """Across files: the callee's own module names are bound for the caller, a try and
    its handler's name come along, early returns in an ``if`` assign, a test the
    arguments decide is dropped, and an exception from the body points at the call."""
    import dis
    import traceback

    import pytest

    _module(tmp_path, "cgiter_inline_lib", """
        from cgiter_edu.kernel.inline import inlinable

        class Refused(Exception):
            pass

        def explain(x):
            return f"refused {x!r}"

        @inlinable
        def checked(x):
            try:
                y = 10 // x
            except ZeroDivisionError as e:
                raise Refused(explain(x)) from e
            return y

        @inlinable
        def pick(node, first):
            if first is None:
                return node[0]
            if first:
                return None
            n = node[1]
            return n
    """)
    m = _module(tmp_path, "cgiter_inline_user", """
        from cgiter_edu.kernel.inline import inline_calls
        from cgiter_inline_lib import checked, pick

        def user(x, node):
            got = checked(x)
            a = pick(node, None)
            b = pick(node, True)
            c = pick(node, False)
            return got, a, b, c

        before = user(5, "pq")
        done = inline_calls(user)
    """)
    assert m.done == 4
    names = set(m.user.__code__.co_names)
    assert {"checked", "pick", "explain", "Refused"}.isdisjoint(names)
    assert "_inlined_cgiter_inline_lib_Refused" in names        # bound, as an import would
    assert m.user(5, "pq") == m.before == (2, "p", None, "q")
    ops = [(i.opname, i.argval) for i in dis.get_instructions(m.user)]
    decided = [ops[i:i + 2] for i in range(len(ops) - 1)      # `None is None`, compiled
               if ops[i] == ("LOAD_CONST", None) and "NONE" in ops[i + 1][0]]
    assert not decided                  # `first is None` with first None: decided, dropped
    with pytest.raises(Exception) as info:
        m.user(0, "pq")
    assert type(info.value).__name__ == "Refused" and str(info.value) == "refused 0"
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    last = traceback.extract_tb(info.value.__traceback__)[-1]
    assert last.name == "user" and last.line == "got = checked(x)"
