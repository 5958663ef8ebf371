"""``cgiter-edu bench --parts class``: a class on one machine, measured.

For each class size N (default 5, 10, 20, 40) a fresh JupyterHub runs on 127.0.0.1
(:class:`~cgiter_edu.classbench.hub.Hub`: the hub, configurable-http-proxy, the simple
local spawner, the dummy authenticator), N users are created and their servers started,
and N simulated students (:class:`~cgiter_edu.classbench.student.Student`) open the
explorer's kernel through the proxy and do the lesson, a step every 0.5 s.  Printed per
N: server start time, memory per student (server + kernel, PSS and RSS), CPU per frame
request (every process of the run), p50/p95 latency from a step request to its new frame
(target p95 <= 300 ms), failures, and what was left running after the hub stopped
(target: nothing).  It stops early after a size whose p95 passes ``--p95-limit`` (1 s) or
that had failures, or when the memory the next size needs is not available.

Example::

    $ cgiter-edu bench --parts class --students 5 10
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from . import procs
from .hub import Hub, HubError, missing
from .student import Student

__all__ = ["bench_class", "measure", "SIZES"]

SIZES = (5, 10, 20, 40)
#: the issue's target for a step's latency (request to new frame), 95th percentile
P95_TARGET_S = 0.300
#: the longest one class size may take, start to clean-up (bounded in time)
SIZE_TIMEOUT_S = 900


def loadavg() -> str:
    """The 1-minute load average, e.g. ``"1.23"`` (of /proc/loadavg)."""
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def _pct(xs: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``xs``; NaN when empty."""
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, round(p / 100 * len(xs) + 0.5) - 1))
    return xs[k]


def _cpu(run: str) -> float:
    return sum(procs.cpu_seconds(p.pid) for p in procs.marked(run))


def _warm_matplotlib(mpldir: Path) -> None:
    """Build matplotlib's font cache once in ``mpldir``, which every student's kernel
    then reads (MPLCONFIGDIR): a hub image ships it built, so a student never waits."""
    env = {**os.environ, "MPLCONFIGDIR": str(mpldir), "MPLBACKEND": "Agg"}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                   check=False, capture_output=True, timeout=300)


async def measure(n: int, run: str | None = None, log: Path | None = None,
                  timeout: float = SIZE_TIMEOUT_S) -> dict[str, Any]:
    """One class of ``n`` students on a fresh hub; the figures as a dict (seconds, KiB).
    Everything it started is stopped before it returns (``left``: what had to be ended
    after the hub stopped, by pid and name)."""
    run = run or os.environ.get(procs.MARK) or f"class-{uuid.uuid4().hex[:8]}"
    names = [f"student{i:02d}" for i in range(1, n + 1)]
    out: dict[str, Any] = {"students": n, "run": run, "load_before": loadavg(),
                           "failures": [], "left": []}
    hub = Hub(run=run, log=log)
    mpldir = hub.tmp / "matplotlib"
    hub.environment["MPLCONFIGDIR"] = str(mpldir)
    students: list[Student] = []
    t_start = time.monotonic()
    client_cpu = time.process_time()
    try:
        async def body() -> None:
            await asyncio.to_thread(_warm_matplotlib, mpldir)
            await hub.start()
            await hub.add_users(names)
            starts = await asyncio.gather(*(hub.start_server(u) for u in names),
                                          return_exceptions=True)
            ok = [s for s in starts if isinstance(s, float)]
            out["failures"] += [f"server: {s}" for s in starts if not isinstance(s, float)]
            out["server_start_s"] = (statistics.median(ok), max(ok)) if ok else None
            students.extend(Student(u, f"{hub.url}/user/{u}", hub.token, seed=i)
                            for i, u in enumerate(names)
                            if isinstance(starts[i], float))
            # the class opens the notebook, all at once
            opened = await asyncio.gather(*(s.open_kernel() for s in students),
                                          return_exceptions=True)
            for s, e in zip(students, opened, strict=True):
                if isinstance(e, BaseException):
                    s.failures.append(f"{s.name} kernel: {type(e).__name__}: {e}")
            opening = [s for s in students if s.connected]
            await asyncio.sleep(2)                 # the kernels settle (started, idle)
            out["bare_kernel_pss_kib"] = _kernel_pss(run)
            c_open = _cpu(run)
            await asyncio.gather(*(s._do("open", _open_code()) for s in opening))
            out["open_cpu_s"] = _cpu(run) - c_open
            ready = [s for s in opening if not s.failures]
            out["open_s"] = [t for s in ready for w, t in s.samples if w == "open"]
            # then the lesson, every student a little apart
            c0, t0 = _cpu(run), time.monotonic()
            r0 = sum(s.requests for s in ready)

            async def lesson(s: Student) -> None:
                await asyncio.sleep(s.seed * 0.37 % 2)
                await s.lesson()
            await asyncio.gather(*(lesson(s) for s in ready))
            out["lesson_cpu_s"] = _cpu(run) - c0
            out["lesson_wall_s"] = time.monotonic() - t0
            out["lesson_requests"] = sum(s.requests for s in ready) - r0
            # memory while every kernel still holds its explorer
            per: dict[str, list[int]] = {u: [0, 0, 0, 0] for u in names}
            base = [0, 0]
            for p in procs.marked(run):
                pss, rss = procs.memory_kib(p.pid)
                acc = per[p.user] if p.user in per else base
                acc[0] += pss
                acc[1] += rss
                if p.kernel and p.user in per:
                    acc[2] += pss
                    acc[3] += rss
            mem = [v for u, v in per.items() if any(s.name == u for s in ready)]
            out["student_pss_kib"] = [v[0] for v in mem]
            out["student_rss_kib"] = [v[1] for v in mem]
            out["kernel_pss_kib"] = [v[2] for v in mem]
            out["kernel_rss_kib"] = [v[3] for v in mem]
            out["hub_proxy_pss_kib"], out["hub_proxy_rss_kib"] = base
            out["processes"] = len(procs.marked(run))
        try:
            await asyncio.wait_for(body(), timeout)
        except asyncio.TimeoutError:
            out["failures"].append(f"the class did not finish within {timeout:.0f} s")
        except HubError as e:
            out["failures"].append(str(e))
    finally:
        await asyncio.gather(*(s.close() for s in students), return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*(hub.stop_server(u) for u in names),
                                                  return_exceptions=True), 120)
        left = await hub.stop()
        out["left"] = [f"{p.pid} {p.comm}" for p in left]
        out["left_after_sweep"] = [f"{p.pid} {p.comm}" for p in procs.marked(run)]
    for s in students:
        out["failures"] += s.failures
    out["samples"] = [(w, t) for s in students for w, t in s.samples]
    out["client_cpu_s"] = time.process_time() - client_cpu
    out["wall_s"] = time.monotonic() - t_start
    out["load_after"] = loadavg()
    if out["failures"] or out["left"]:
        out["hub_log"] = str(hub.log_path)
    elif log is None:
        hub.log_path.unlink(missing_ok=True)
    return out


def _kernel_pss(run: str) -> list[int]:
    """PSS (KiB) of every kernel of the run."""
    return [procs.memory_kib(p.pid)[0] for p in procs.marked(run) if p.kernel]


def _open_code() -> str:
    from .student import LESSON_OPEN
    return LESSON_OPEN


def summarize(r: dict[str, Any]) -> dict[str, float]:
    """The report's figures of one :func:`measure` result."""
    steps = [t for w, t in r["samples"] if w in ("play", "step", "cut")]
    order = [t for w, t in r["samples"] if w == "order"]
    pss, rss = r.get("student_pss_kib") or [], r.get("student_rss_kib") or []
    req = r.get("lesson_requests") or 0
    return {
        "students": r["students"],
        "step_p50_s": _pct(steps, 50), "step_p95_s": _pct(steps, 95),
        "step_max_s": max(steps) if steps else float("nan"), "frames": len(steps),
        "order_p50_s": _pct(order, 50), "order_p95_s": _pct(order, 95),
        "open_p50_s": _pct(r.get("open_s") or [], 50),
        "open_p95_s": _pct(r.get("open_s") or [], 95),
        "pss_mib": statistics.median(pss) / 1024 if pss else float("nan"),
        "rss_mib": statistics.median(rss) / 1024 if rss else float("nan"),
        "kernel_pss_mib": _median_mib(r.get("kernel_pss_kib")),
        "bare_kernel_pss_mib": _median_mib(r.get("bare_kernel_pss_kib")),
        "open_cpu_s": r.get("open_cpu_s", float("nan")) / max(1, len(r.get("open_s") or [])),
        "kernel_rss_mib": _median_mib(r.get("kernel_rss_kib")),
        "hub_proxy_pss_mib": r.get("hub_proxy_pss_kib", 0) / 1024,
        "cpu_per_request_ms": 1e3 * r["lesson_cpu_s"] / req if req else float("nan"),
        "cpu_share": (r["lesson_cpu_s"] / r["lesson_wall_s"]) if r.get("lesson_wall_s")
        else float("nan"),
        "failures": len(r["failures"]), "left": len(r["left"]) + len(r["left_after_sweep"]),
    }


def bench_class(sizes: tuple[int, ...] | list[int] = SIZES, line: Any = None,
                p95_limit: float = 1.0, json_out: Path | None = None,
                log: Path | None = None) -> list[dict[str, Any]]:
    """Run :func:`measure` for each size and print the figures through
    ``line(what, value, target, good)``; stops early at a limit (module docstring)."""
    if line is None:
        from cgiter_edu.bench_row import row as line
    why = missing()
    if why:
        print(f"class: not run: {why}")
        return []
    results = []
    for n in sizes:
        need_mib = n * 250 + 500           # generous: ~150 MiB a student was measured
        avail = _mem_available_mib()
        if avail < need_mib:
            print(f"class: {n} students not run: {avail} MiB available, "
                  f"{need_mib} MiB wanted")
            break
        print(f"class: {n} students on one JupyterHub on 127.0.0.1 "
              f"(load average {loadavg()} before)")
        r = asyncio.run(measure(n, log=log))
        s = summarize(r)
        results.append({**r, "summary": s})
        ss = r.get("server_start_s")
        if ss:
            line("servers started: median / slowest", f"{ss[0]:.1f} / {ss[1]:.1f} s")
        line("explorer opened, first frame: p50 / p95",
             f"{s['open_p50_s']:.2f} / {s['open_p95_s']:.2f} s")
        line("memory per student (server + kernel), PSS median", f"{s['pss_mib']:.0f} MiB")
        line("  the same, RSS (shared pages counted in each)", f"{s['rss_mib']:.0f} MiB")
        line("  of which the kernel: PSS / RSS",
             f"{s['kernel_pss_mib']:.0f} / {s['kernel_rss_mib']:.0f} MiB")
        line("  the kernel before the explorer was opened, PSS",
             f"{s['bare_kernel_pss_mib']:.0f} MiB")
        line("CPU to open the explorer (imports + first frame), per student",
             f"{s['open_cpu_s']:.2f} s")
        line("hub + proxy, PSS", f"{s['hub_proxy_pss_mib']:.0f} MiB")
        line(f"CPU per frame request ({r.get('lesson_requests', 0)} requests, all processes)",
             f"{s['cpu_per_request_ms']:.0f} ms")
        line("CPU busy during the lesson (of 2 CPUs = 2.0)", f"{s['cpu_share']:.2f}")
        line(f"step to new frame: p50 ({s['frames']} frames)",
             f"{s['step_p50_s'] * 1e3:.0f} ms")
        line("step to new frame: p95", f"{s['step_p95_s'] * 1e3:.0f} ms",
             f"<= {P95_TARGET_S * 1e3:.0f} ms", s["step_p95_s"] <= P95_TARGET_S)
        line("order change to its reply: p50 / p95",
             f"{s['order_p50_s'] * 1e3:.0f} / {s['order_p95_s'] * 1e3:.0f} ms")
        line("failures", f"{s['failures']}", "0", s["failures"] == 0)
        for f in r["failures"][:5]:
            print(f"    {f}")
        if r.get("hub_log"):
            print(f"    the hub's log: {r['hub_log']}")
        line("processes left after the hub stopped", f"{s['left']}", "0", s["left"] == 0)
        line("load average before / after",
             f"{r['load_before']} / {r['load_after']}")
        line("wall time; the simulated students' own CPU",
             f"{r['wall_s']:.0f} s; {r['client_cpu_s']:.1f} s")
        if json_out:
            from cgiter_edu.outfile import atomic_output

            with atomic_output(json_out, "--class-json") as tmp:
                tmp.write_text(json.dumps(results, indent=1, default=str))
        if s["failures"] or not s["step_p95_s"] <= p95_limit:
            print(f"class: stopped after {n} students (p95 above {p95_limit:.1f} s, "
                  "or failures)")
            break
    return results


def _median_mib(kib: list[int] | None) -> float:
    return statistics.median(kib) / 1024 if kib else float("nan")


def _mem_available_mib() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return 0
