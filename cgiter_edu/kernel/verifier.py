"""``kernel/bpf/verifier.c``: the checks that decide whether an open-coded walk loads.

The kernel's verifier proves a program safe *before* it runs, on every path.  The
emulator runs the Python program and checks each kfunc call as it is made, with the
verifier's rules and words; a program that breaks one is refused as a whole -- the load
fails with the verifier's message and errno, and nothing the program did is kept (see
:func:`cgiter_edu.opencoded.prog_test_run`).  A path the Python program did not take is
not checked (the one difference a student can meet).

What is checked, in the kernel's order for one call (``check_kfunc_call``):

1. the kfunc exists on this kernel (6.7 for the css iterators, 6.2 for
   ``bpf_cgroup_from_id`` and ``bpf_rcu_read_lock``): else libbpf stops before the
   verifier, "extern (func ksym) '...': not found in kernel or module BTFs" (EINVAL from
   ``bpf_object__load``; seen on 6.1.0-57);
2. the arguments (``check_kfunc_args``): ``bpf_iter_css_task_new`` only in LSM,
   iterator and sleepable programs; a ``KF_TRUSTED_ARGS`` start that is not trusted
   ("R2 must be referenced or trusted"); an RCU iterator used after the RCU section it
   was made in was left ("expected an RCU CS when using ...");
3. ``KF_RCU_PROTECTED`` outside an RCU read section: "kernel func ... requires RCU
   critical section protection" (EACCES; before :data:`RCU_AT_NEW_SINCE` an iterator's
   ``new`` passes and its ``next`` is refused, "expected an RCU CS when using ...").  A non-sleepable program is inside one
   throughout; a sleepable one (``syscall``, ``iter.s``, ``lsm.s``, ``fentry.s``) only
   between ``bpf_rcu_read_lock()`` and ``bpf_rcu_read_unlock()``;
4. at exit (``check_resource_leak``): every acquired reference released (a cgroup from
   ``bpf_cgroup_from_id``, every iterator ``new`` made: "Unreleased reference id=3
   alloc_insn=..."), and no RCU read section left open.

Example::

    >>> env = BpfVerifierEnv(BpfProgInfo.from_sec("syscall"))
    >>> env.check_kfunc_call("bpf_iter_css_new", ())
    Traceback (most recent call last):
    ...
    cgiter_edu.kernel.verifier.VerifierError: [Errno 13] kernel func bpf_iter_css_new requires RCU critical section protection
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Any

from .config import KernelConfig

#: include/linux/btf.h: kfunc flags (the ones these kfuncs carry)
KF_ACQUIRE = 1 << 0
KF_RELEASE = 1 << 1
KF_RET_NULL = 1 << 2
KF_TRUSTED_ARGS = 1 << 4
KF_ITER_NEW = 1 << 8
KF_ITER_NEXT = 1 << 9
KF_ITER_DESTROY = 1 << 10
KF_RCU_PROTECTED = 1 << 11

#: the kfuncs the open-coded walks call: flags and the first Linux version that has them
KFUNCS: dict[str, tuple[int, tuple[int, int]]] = {
    # kernel/bpf/helpers.c, BTF_ID_FLAGS(...)
    "bpf_cgroup_from_id": (KF_ACQUIRE | KF_RET_NULL, (6, 2)),
    "bpf_cgroup_release": (KF_RELEASE, (6, 2)),
    "bpf_rcu_read_lock": (0, (6, 2)),
    "bpf_rcu_read_unlock": (0, (6, 2)),
    "bpf_iter_css_new": (KF_ITER_NEW | KF_TRUSTED_ARGS | KF_RCU_PROTECTED, (6, 7)),
    "bpf_iter_css_next": (KF_ITER_NEXT | KF_RET_NULL | KF_RCU_PROTECTED, (6, 7)),
    "bpf_iter_css_destroy": (KF_ITER_DESTROY | KF_RCU_PROTECTED, (6, 7)),
    "bpf_iter_css_task_new": (KF_ITER_NEW | KF_TRUSTED_ARGS, (6, 7)),
    "bpf_iter_css_task_next": (KF_ITER_NEXT | KF_RET_NULL, (6, 7)),
    "bpf_iter_css_task_destroy": (KF_ITER_DESTROY, (6, 7)),
}

#: from this release on (seen on 6.18.44) a ``KF_RCU_PROTECTED`` iterator's ``new`` is
#: refused outside an RCU section ("kernel func ... requires RCU critical section
#: protection", EACCES) and a leaked reference's report ends with "BPF_EXIT instruction in
#: main prog would lead to reference leak".  Before it (seen on 6.12.118) ``new`` loads and
#: the first ``next`` is refused ("expected an RCU CS when using bpf_iter_css_next",
#: EPROTO), and the leak is the "Unreleased reference" line alone.  Which release between
#: them changed it is not pinned down here: the emulator switches at the first one seen.
RCU_AT_NEW_SINCE = (6, 18)

#: include/uapi/linux/bpf.h: enum bpf_prog_type (the ones a section name gives here)
BPF_PROG_TYPE_SCHED_CLS = 3
BPF_PROG_TYPE_TRACING = 26
BPF_PROG_TYPE_LSM = 29
BPF_PROG_TYPE_SYSCALL = 31
#: enum bpf_attach_type: BPF_TRACE_ITER
BPF_TRACE_ITER = 28

#: libbpf's section names -> (program type, iterator?, sleepable?)
SECTIONS: dict[str, tuple[int, bool, bool]] = {
    "syscall": (BPF_PROG_TYPE_SYSCALL, False, True),   # libbpf loads it BPF_F_SLEEPABLE
    "iter": (BPF_PROG_TYPE_TRACING, True, False),
    "iter.s": (BPF_PROG_TYPE_TRACING, True, True),
    "lsm": (BPF_PROG_TYPE_LSM, False, False),
    "lsm.s": (BPF_PROG_TYPE_LSM, False, True),
    "fentry": (BPF_PROG_TYPE_TRACING, False, False),
    "fentry.s": (BPF_PROG_TYPE_TRACING, False, True),
    "tc": (BPF_PROG_TYPE_SCHED_CLS, False, False),
}


class VerifierError(OSError):
    """The program does not load: ``errno`` and the verifier's (or libbpf's) message,
    the line a student finds at the end of the verifier log."""


@dataclass(frozen=True)
class BpfProgInfo:
    """What the verifier knows of the program: type, iterator or not, sleepable."""

    sec: str
    prog_type: int
    is_iter: bool
    sleepable: bool

    @classmethod
    def from_sec(cls, sec: str) -> BpfProgInfo:
        """From a libbpf section name: ``"syscall"``, ``"iter/cgroup"``,
        ``"iter.s/cgroup"``, ``"lsm/..."``, ``"lsm.s/..."``, ``"fentry/..."``,
        ``"fentry.s/..."``, ``"tc"``; ValueError for others.

        >>> BpfProgInfo.from_sec("iter.s/cgroup").sleepable
        True
        """
        head = sec.split("/", 1)[0]
        if head not in SECTIONS:
            raise ValueError(f"section {sec!r}: one of {', '.join(SECTIONS)} (with /... "
                             "where libbpf wants a target) is modelled")
        t, it, sl = SECTIONS[head]
        return cls(sec, t, it, sl)


class RefState:
    """``struct bpf_reference_state``: an acquired reference, ``id`` and the call that
    made it (``insn_idx``; here the number of the kfunc call, not an instruction)."""

    __slots__ = ("id", "insn_idx", "what", "rcu_iter", "invalid")

    def __init__(self, id: int, insn_idx: int, what: str, rcu_iter: bool) -> None:
        self.id = id
        self.insn_idx = insn_idx
        self.what = what
        self.rcu_iter = rcu_iter
        self.invalid = False       #: an RCU iterator whose RCU section was left


class BpfVerifierEnv:
    """``struct bpf_verifier_env`` reduced to what the open-coded walks need:
    ``active_rcu_lock`` (the nesting depth), the acquired references by the Python
    object that stands for them, ``id_gen`` and the kfunc call count."""

    def __init__(self, prog: BpfProgInfo, kernel: KernelConfig | None = None) -> None:
        self.prog = prog
        self.kernel = kernel
        self.active_rcu_lock = 0
        self.refs: dict[int, RefState] = {}
        self.id_gen = 1
        self.insn_idx = 0

    # -- the predicates, kernel names --------------------------------------------------
    def in_sleepable(self) -> bool:
        """``in_sleepable(env)``: the program is sleepable."""
        return self.prog.sleepable

    def rcu_at_new(self) -> bool:
        """Does this kernel refuse an RCU iterator's ``new`` outside an RCU section
        (:data:`RCU_AT_NEW_SINCE`), or only its ``next``?"""
        return self.kernel is None or self.kernel.version >= RCU_AT_NEW_SINCE

    def in_rcu_cs(self) -> bool:
        """``in_rcu_cs(env)``: ``active_rcu_lock || !in_sleepable(env)``."""
        return self.active_rcu_lock > 0 or not self.in_sleepable()

    def check_css_task_iter_allowlist(self) -> bool:
        """``check_css_task_iter_allowlist()``: LSM yes; a tracing program if it is an
        iterator; otherwise only a sleepable one."""
        if self.prog.prog_type == BPF_PROG_TYPE_LSM:
            return True
        if self.prog.prog_type == BPF_PROG_TYPE_TRACING and self.prog.is_iter:
            return True
        return self.in_sleepable()

    # -- one call ------------------------------------------------------------------------
    def fail(self, code: int, msg: str) -> None:
        """``verbose(env, msg); return -code``: the load fails."""
        raise VerifierError(code, msg)

    def check_kfunc_call(self, func_name: str, args: tuple[Any, ...] = (),
                         obj: Any = None) -> None:
        """``check_kfunc_call()``: may ``func_name`` be called here with ``args``?
        ``args`` are the program's values from R2 on (R1 is the iterator, ``obj``);
        raises :class:`VerifierError`.  Updates the state (RCU depth, references)."""
        self.insn_idx += 1
        flags, since = KFUNCS[func_name]
        if self.kernel is not None and self.kernel.version < since:
            # libbpf (1.1) stops before the verifier; bpf_object__load() says EINVAL
            self.fail(errno.EINVAL, f"libbpf: extern (func ksym) '{func_name}': not found in "
                                    "kernel or module BTFs")
        # check_kfunc_args()
        if flags & (KF_ITER_NEW | KF_ITER_NEXT | KF_ITER_DESTROY):     # KF_ARG_PTR_TO_ITER
            if func_name == "bpf_iter_css_task_new" and not self.check_css_task_iter_allowlist():
                self.fail(errno.EINVAL, "css_task_iter is only allowed in bpf_lsm, bpf_iter "
                                        "and sleepable progs")
            if flags & KF_ITER_NEXT:
                ref = self.refs.get(id(obj))
                if ref is None:
                    self.fail(errno.EINVAL, f"expected an initialized iter_{_iter_kind(func_name)} "
                                            "as arg #0")
                if ref.invalid or (ref.rcu_iter and not self.in_rcu_cs()):
                    self.fail(errno.EPROTO, f"expected an RCU CS when using {func_name}")
        if flags & KF_TRUSTED_ARGS:
            for regno, a in enumerate(args, start=2):
                if a is None:
                    self.fail(errno.EACCES, f"Possibly NULL pointer passed to trusted arg{regno - 1}")
                if not getattr(a, "trusted", True):
                    self.fail(errno.EINVAL, f"R{regno} must be referenced or trusted")
        if func_name == "bpf_rcu_read_lock":
            self.active_rcu_lock += 1
        elif func_name == "bpf_rcu_read_unlock":
            if not self.active_rcu_lock:
                self.fail(errno.EINVAL, "unmatched rcu read unlock")
            self.active_rcu_lock -= 1
            if not self.active_rcu_lock and self.in_sleepable():
                for r in self.refs.values():   # the RCU iterators made inside go invalid
                    r.invalid = r.invalid or r.rcu_iter
        if flags & KF_RCU_PROTECTED and not self.in_rcu_cs() and (
                self.rcu_at_new() or not flags & (KF_ITER_NEW | KF_ITER_NEXT | KF_ITER_DESTROY)):
            self.fail(errno.EACCES, f"kernel func {func_name} requires RCU critical section "
                                    "protection")
        # references: KF_ITER_NEW and KF_ACQUIRE make one, DESTROY and RELEASE drop it
        if flags & KF_ITER_NEW:
            self.acquire(obj, func_name, bool(flags & KF_RCU_PROTECTED))
        elif flags & (KF_ITER_DESTROY | KF_RELEASE):
            target = args[0] if flags & KF_RELEASE else obj
            if self.refs.pop(id(target), None) is None:
                if flags & KF_RELEASE:
                    self.fail(errno.EINVAL, f"release kernel function {func_name} expects "
                                            "refcounted PTR_TO_BTF_ID")
                self.fail(errno.EINVAL, f"expected an initialized iter_{_iter_kind(func_name)} "
                                        "as arg #0")

    def acquire(self, obj: Any, what: str, rcu_iter: bool = False) -> None:
        """``acquire_reference()``: ``obj`` (the returned cgroup, the iterator) now holds
        a reference with a new id."""
        self.id_gen += 1
        self.refs[id(obj)] = RefState(self.id_gen, self.insn_idx, what, rcu_iter)

    def check_resource_leak(self) -> None:
        """``check_resource_leak()`` at ``BPF_EXIT``: an unreleased reference
        (``check_reference_leak``, EINVAL) or an RCU section still open (EINVAL)."""
        prefix = "BPF_EXIT instruction in main prog"
        if self.refs:
            r = min(self.refs.values(), key=lambda r: r.id)
            leak = f"Unreleased reference id={r.id} alloc_insn={r.insn_idx}"
            self.fail(errno.EINVAL, f"{leak}\n{prefix} would lead to reference leak"
                      if self.rcu_at_new() else leak)
        if self.active_rcu_lock:
            # before RCU_AT_NEW_SINCE: "bpf_rcu_read_unlock is missing" (read in the
            # source, not run on a kernel here)
            self.fail(errno.EINVAL, f"{prefix} cannot be used inside bpf_rcu_read_lock-ed "
                                    "region" if self.rcu_at_new()
                      else "bpf_rcu_read_unlock is missing")


def _iter_kind(func_name: str) -> str:
    return "css_task" if "css_task" in func_name else "css"
