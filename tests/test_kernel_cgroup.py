"""kernel/cgroup.py: the css walks, the sibling list, references and release."""

import errno
import threading

import pytest

from cgiter_edu import Hierarchy
from cgiter_edu.kernel.cgroup import (
    CSS_RELEASED,
    css_leftmost_descendant,
    css_next_child,
    css_next_descendant_post,
    css_next_descendant_pre,
)


@pytest.fixture
def h():
    #      1
    #    /   \
    #   2     5
    #  / \
    # 3   4
    h = Hierarchy()
    h.mkdir("/a")
    h.mkdir("/a/x")
    h.mkdir("/a/y")
    h.mkdir("/b")
    return h


def css(h, path):
    return h._css(path)


def walk(fn, root):
    out, pos = [], None
    while (pos := fn(pos, root)) is not None:
        out.append(pos.cgroup_id)
    return out


def test_css_next_child_in_creation_order(h):
    root = h.root_css
    assert css_next_child(None, root).cgroup_id == 2
    assert css_next_child(css(h, "/a"), root).cgroup_id == 5
    assert css_next_child(css(h, "/b"), root) is None
    assert css_next_child(None, css(h, "/b")) is None


def test_css_next_child_after_released_pos_uses_serial_nr(h):
    a, b = css(h, "/a/x"), css(h, "/a/y")
    fd = h.open("/a/x")
    h.rmdir("/a/x")
    fd.close()                                  # released: off the list
    assert a.flags & CSS_RELEASED
    assert css_next_child(a, css(h, "/a")) is b  # the first sibling with a larger serial_nr


def test_pre_order(h):
    assert walk(css_next_descendant_pre, h.root_css) == [1, 2, 3, 4, 5]
    assert walk(css_next_descendant_pre, css(h, "/a")) == [2, 3, 4]
    assert walk(css_next_descendant_pre, css(h, "/b")) == [5]


def test_post_order(h):
    assert walk(css_next_descendant_post, h.root_css) == [3, 4, 2, 5, 1]
    assert walk(css_next_descendant_post, css(h, "/a")) == [3, 4, 2]
    assert walk(css_next_descendant_post, css(h, "/a/x")) == [3]


def test_leftmost_descendant(h):
    assert css_leftmost_descendant(h.root_css).cgroup_id == 3
    assert css_leftmost_descendant(css(h, "/b")).cgroup_id == 5


def test_dead_children_are_walked_not_skipped_by_the_walk(h):
    h.kill("/a/x")                     # held as an iterator link would hold it
    assert walk(css_next_descendant_pre, h.root_css) == [1, 2, 3, 4, 5]
    h.release(3)
    assert walk(css_next_descendant_pre, h.root_css) == [1, 2, 4, 5]


def test_refcount_release_cascades_to_a_dead_parent():
    h = Hierarchy()
    h.mkdir("/p")
    h.mkdir("/p/c")
    h.kill("/p/c")
    h.kill("/p")                       # only a dead child left: allowed
    h.release(2)                       # the dead child still holds the parent
    assert h.cgroup(2).dead and 2 in h
    h.release(3)                       # child released, then the parent
    assert 2 not in h and 3 not in h
    assert list(h.graph.nodes) == [1]


def test_mutex_deadlock_is_an_error():
    h = Hierarchy()
    h.cgroup_mutex.lock()
    try:
        with pytest.raises(OSError) as e:
            h.mkdir("/a")
        assert e.value.errno == errno.EDEADLK
    finally:
        h.cgroup_mutex.unlock()
    assert "/a" not in h


def test_mutex_blocks_another_thread():
    h = Hierarchy()
    h.cgroup_mutex.lock()
    t = threading.Thread(target=h.mkdir, args=("/a",))
    t.start()
    t.join(0.2)
    assert t.is_alive() and "/a" not in h
    h.cgroup_mutex.unlock()
    t.join(5)
    assert "/a" in h
