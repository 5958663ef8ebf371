"""The race at ``cgroup_mutex``'s unlock, measured on this machine's kernel.

``mutex_unlock`` releases the mutex and wakes the first waiter; the woken writer must
still take it, and the reader's next read() may get there first (kernel/locking/mutex.c,
:mod:`cgiter_edu.kernel.mutex`).  This counts, over many trials, how often a writer that
waited for a walk gets the mutex before the reader's next read().

One trial, under a scratch cgroup ``P`` with one child:

* two iterator files are made first (no mutex): walk 1, ``SELF_ONLY`` on ``P``, whose
  program spins in ``bpf_loop`` so that its read() holds ``cgroup_mutex`` for some
  milliseconds; walk 2, ``DESCENDANTS_PRE`` on ``P``, one 9-byte record per cgroup;
* a small C program (compiled with the system's C compiler at first use; ``cat`` is C
  too, so no interpreter sits between the two read() calls) starts a writer thread,
  which sleeps ``delay`` microseconds and calls ``mkdir P/new`` -- it blocks on the
  mutex the walk holds -- and reads walk 1, then at once walk 2: the reader's next
  read(), whose ``start()`` takes the mutex;
* walk 2 shows ``P/new`` if and only if the writer's mkdir got the mutex first.

A trial counts only if the writer entered mkdir while walk 1 held the mutex: after the
program's first call (``bpf_ktime_get_ns()``) and before the epilogue call, which
``cgroup_iter_seq_stop`` makes right after its unlock.  Anything else on the machine that takes
``cgroup_mutex`` (systemd, other tests making cgroups) is part of the noise.  Three
placements: the reader on one CPU and the writer on another (``free``), the same with a
busy loop pinned to the writer's CPU (``busy``).  (Both on one CPU cannot be measured
this way: with ``preempt=none`` nothing else runs on the reader's CPU while its walk
spins in the kernel, so the writer never gets into mkdir during the walk.)

Example (root, 2 CPUs)::

    $ cgiter-edu bench --parts race
    >>> from cgiter_edu.live.race import measure     # doctest: +SKIP
    >>> r = measure("free", trials=200)               # doctest: +SKIP
    >>> 0 <= r["writer_first"] <= r["valid"]          # doctest: +SKIP
    True
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

BPF_SOURCE = r"""
#include "cgiter_vmlinux.h"
#include <bpf/bpf_helpers.h>
char _license[] SEC("license") = "GPL";
struct {			/* .bss, one struct: its layout is fixed */
	__u64 loops;		/* set from user space */
	__u64 t_show, t_epilogue;	/* CLOCK_MONOTONIC, as clock_gettime() */
} race;
static long spin_cb(__u64 i, void *ctx) { return 0; }
SEC("iter/cgroup")
int race_spin(struct bpf_iter__cgroup *ctx)
{
	if (ctx->cgroup) {		/* cgroup_mutex is held all along */
		race.t_show = bpf_ktime_get_ns();
		bpf_loop(race.loops, spin_cb, 0, 0);
	} else {			/* the epilogue: right after the unlock */
		race.t_epilogue = bpf_ktime_get_ns();
	}
	return 0;
}
SEC("iter/cgroup")
int race_list(struct bpf_iter__cgroup *ctx)
{
	static const char fmt[] = "%8llu\n";
	struct cgroup *cgrp = ctx->cgroup;
	__u64 args[1];

	if (cgrp) {
		args[0] = cgrp->kn->id;
		bpf_seq_printf(ctx->meta->seq, fmt, sizeof(fmt), args, sizeof(args));
	}
	return 0;
}
"""

READER_SOURCE = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *path;
static int wcpu, delay_us;
static atomic_int go;
static long long t_w, t_w_done;
static long slept;
static struct rusage r0, r1;

static long long now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int rt_prio;

static void pin(int cpu)
{
	cpu_set_t s;
	struct sched_param sp = { .sched_priority = rt_prio };

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
	if (rt_prio)			/* SCHED_FIFO: no other load delays this thread */
		sched_setscheduler(0, SCHED_FIFO, &sp);
}

static void *writer(void *arg)
{
	pin(wcpu);
	long long t;

	while (!atomic_load(&go))
		;
	t = now() + delay_us * 1000LL;	/* busy: stay on the CPU */
	while (now() < t)
		;
	getrusage(RUSAGE_THREAD, &r0);
	t_w = now();
	mkdir(path, 0755);		/* waits for the walk's cgroup_mutex */
	t_w_done = now();
	getrusage(RUSAGE_THREAD, &r1);
	slept = r1.ru_nvcsw - r0.ru_nvcsw;	/* asleep in mutex_lock, or spinning */
	return NULL;
}

int main(int argc, char **argv)
{
	static char b1[4096], b2[4096];
	int fd1 = atoi(argv[1]), fd2 = atoi(argv[2]), rcpu = atoi(argv[4]);
	long long t0, t1, t2;
	ssize_t n1, n2;
	pthread_t th;

	path = argv[3];
	wcpu = atoi(argv[5]);
	delay_us = atoi(argv[6]);
	rt_prio = atoi(argv[7]);
	pin(rcpu);
	pthread_create(&th, NULL, writer, NULL);
	usleep(1000);			/* the writer is pinned and spinning on go */
	t0 = now();
	atomic_store(&go, 1);
	n1 = read(fd1, b1, sizeof(b1));	/* walk 1: holds cgroup_mutex while it spins */
	t1 = now();
	n2 = read(fd2, b2, sizeof(b2));	/* the reader's next read() */
	t2 = now();
	pthread_join(th, NULL);
	printf("%zd %zd %lld %lld %lld %lld %lld %ld\n",
		n1, n2, t0, t1, t2, t_w, t_w_done, slept);
	return 0;
}
"""

RECORD = 9          # "%8llu\n"


def _cc() -> str:
    for cc in ("cc", "gcc", "clang"):
        found = shutil.which(cc)
        if found:
            return found
    raise RuntimeError("no C compiler (cc, gcc or clang) on PATH")


def build(workdir: Path) -> tuple[Path, Path]:
    """Compile the BPF object and the C reader into ``workdir``."""
    from . import build as bpf_build

    clang = bpf_build.clang()
    if clang is None:
        raise RuntimeError("clang is needed to build the BPF programs")
    src = workdir / "race.bpf.c"
    src.write_text(BPF_SOURCE)
    obj = workdir / "race.bpf.o"
    subprocess.run([clang, *bpf_build.CFLAGS, "-I", str(bpf_build.HERE), "-c", str(src),
                    "-o", str(obj)], check=True, capture_output=True)
    rsrc = workdir / "race_reader.c"
    rsrc.write_text(READER_SOURCE)
    reader = workdir / "race_reader"
    subprocess.run([_cc(), "-O2", "-pthread", str(rsrc), "-o", str(reader)], check=True,
                   capture_output=True)
    return obj, reader


def _hog(cpu: int, stop: Any) -> None:          # pragma: no cover - runs in a child
    os.sched_setaffinity(0, {cpu})
    while not stop.is_set():
        pass


def measure(placement: str = "free", trials: int = 300, spin_loops: int = 1 << 22,
            delay_us: int = 2000, rt_prio: int = 0,
            workdir: Path | None = None) -> dict[str, Any]:
    """Run ``trials`` trials with the reader and writer placed as ``placement`` says
    (``"free"`` or ``"busy"``), both ``SCHED_FIFO`` at ``rt_prio`` if it is not 0
    (the busy loop stays an ordinary task); returns ``valid`` (trials that count),
    ``writer_first``, ``reader_first``, ``discarded``, ``slept`` (valid trials in which
    the writer went to sleep in mkdir: a voluntary context switch, so it was woken by the
    unlock; otherwise it spun on the owner, ``CONFIG_MUTEX_SPIN_ON_OWNER``, and was
    never woken), ``writer_first_slept``, ``hold_ms`` (median time walk 1
    held the mutex) and ``back_us`` (median time from walk 1's unlock until its read()
    had returned to the reader, which then calls the next read() at once)."""
    import statistics

    from .. import Order
    from . import libbpf

    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise RuntimeError("needs 2 CPUs")
    rcpu, wcpu = cpus[0], cpus[1]
    own = workdir is None
    wd = Path(tempfile.mkdtemp(prefix="cgiter-race-")) if own else workdir
    obj_path, reader = build(wd)
    root = _cgroup2_mount()
    scratch = Path(root) / f"cgiter_edu-race-{os.getpid()}-{placement}"
    os.mkdir(scratch)
    os.mkdir(scratch / "a")
    new = scratch / "new"
    counts = {"writer_first": 0, "reader_first": 0, "discarded": 0, "slept": 0,
              "writer_first_slept": 0}
    holds: list[float] = []
    back: list[float] = []
    stop = hog = None
    if placement == "busy":
        stop = multiprocessing.Event()
        hog = multiprocessing.Process(target=_hog, args=(wcpu, stop), daemon=True)
        hog.start()
    try:
        with libbpf.BpfObject.load(obj_path) as obj:
            bss, size = obj.map_fd(".bss")
            obj.update(bss, b"\0" * 4, spin_loops.to_bytes(8, "little") + b"\0" * (size - 8))
            pfd = os.open(scratch, os.O_RDONLY | os.O_DIRECTORY)
            try:
                with obj.attach_iter("race_spin", Order.SELF_ONLY, cgroup_fd=pfd) as l1, \
                        obj.attach_iter("race_list", Order.DESCENDANTS_PRE,
                                        cgroup_fd=pfd) as l2:
                    for _ in range(trials):
                        fd1, fd2 = l1.create(), l2.create()
                        try:
                            out = subprocess.run(
                                [str(reader), str(fd1), str(fd2), str(new), str(rcpu),
                                 str(wcpu), str(delay_us), str(rt_prio)],
                                pass_fds=(fd1, fd2),
                                capture_output=True, text=True, check=True).stdout
                        finally:
                            os.close(fd1)
                            os.close(fd2)
                        n1, n2, t0, t1, t2, tw, twd, slept = map(int, out.split())
                        vals = obj.lookup(bss, b"\0" * 4, size)
                        t_show = int.from_bytes(vals[8:16], "little")
                        t_unlock = int.from_bytes(vals[16:24], "little")
                        if new.exists():
                            os.rmdir(new)
                        # the writer entered mkdir while walk 1 held the mutex (from its
                        # show() to the epilogue, which runs right after the unlock)
                        if n1 < 0 or n2 < 0 or not (t_show < tw < t_unlock):
                            counts["discarded"] += 1
                            continue
                        holds.append((t_unlock - t_show) / 1e6)
                        back.append((t1 - t_unlock) / 1e3)
                        if n2 == 3 * RECORD:
                            counts["writer_first"] += 1
                            counts["writer_first_slept"] += slept > 0
                        elif n2 == 2 * RECORD:
                            counts["reader_first"] += 1
                        else:
                            counts["discarded"] += 1
                            continue
                        counts["slept"] += slept > 0
            finally:
                os.close(pfd)
    finally:
        if stop is not None:
            stop.set()
            hog.join(5)
        for p in (new, scratch / "a", scratch):
            try:
                os.rmdir(p)
            except FileNotFoundError:
                pass
        if own:
            shutil.rmtree(wd, ignore_errors=True)
    valid = counts["writer_first"] + counts["reader_first"]
    return {"placement": placement, "rt_prio": rt_prio, "trials": trials, "valid": valid,
            **counts,
            "hold_ms": statistics.median(holds) if holds else 0.0,
            "back_us": statistics.median(back) if back else 0.0}


def _cgroup2_mount() -> str:
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 2 and parts[2] == "cgroup2":
                return parts[1]
    raise RuntimeError("no cgroup2 mount")


PLACEMENTS = {
    "free": "reader on CPU 0, writer on CPU 1",
    "busy": "reader on CPU 0, writer on CPU 1 beside a busy loop",
}


def bench_race(trials: int = 200, quiet: bool = False) -> list[dict[str, Any]]:
    """Measure every placement, with ordinary scheduling and with the reader and the
    writer ``SCHED_FIFO`` (so that the rest of the machine's load cannot delay them);
    print one line each (unless ``quiet``)."""
    out = []
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    if not quiet:
        print(f"  kernel {os.uname().release}, load average {load}, {trials} trials each")
    for rt_prio, sched in ((0, "SCHED_OTHER"), (10, "SCHED_FIFO")):
        for placement, what in PLACEMENTS.items():
            r = measure(placement, trials, rt_prio=rt_prio)
            out.append(r)
            if not quiet:
                share = r["writer_first"] / r["valid"] if r["valid"] else 0.0
                woken = r["slept"]
                wshare = r["writer_first_slept"] / woken if woken else 0.0
                print(f"  {what}, {sched}: writer first {r['writer_first']}/{r['valid']} "
                      f"({share:.1%}); when the writer slept and was woken: "
                      f"{r['writer_first_slept']}/{woken} ({wshare:.1%}); "
                      f"{r['discarded']} discarded; mutex held {r['hold_ms']:.1f} ms, the "
                      f"reader back {r['back_us']:.0f} us after the unlock (medians)")
    return out
