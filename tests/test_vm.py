"""The live suite on Linux 6.1 LTS and 6.12 LTS, each booted in QEMU (cgiter_edu.live.vm).

Both kernels are booted at once (one TCG thread each), each runs a subset of
tests/test_live.py, tests/test_live_printf.py and tests/test_cgroupns.py (cgroup
namespaces, fdinfo and bpftool lines) inside, as root on its own kernel,
with ``CGITER_REQUIRE_LIVE=1`` (a skipped test inside is a failure):

* the random walks of the first ``VM_BATCHES`` fixed-seed batches (every order, every
  kind of start, buffer overflows, E2BIG, dead and re-created cgroups:
  test_vm_subset_covers_everything checks that they do) and a few run-seed batches;
* the kernel selftest's subtests, 511 not 512, 24-byte records, the dead and
  re-created cgroups, ANCESTORS_UP, two sessions, the CLI, the recorder;
* every ``bpf_seq_printf`` case.

Left out inside (they test the host, not the kernel, or cost minutes under TCG for
nothing new): :data:`HOST_ONLY`.

Where a kernel image is missing these skip with the fix, or fail under
``CGITER_REQUIRE_VM=1`` (``.ci/run`` sets it, as it sets ``CGITER_REQUIRE_LIVE``); a VM
that does not boot is a failure.  Install: ``apt-get install qemu-system-x86
busybox-static linux-image-6.1.0-NN-amd64-unsigned linux-image-6.12.NN+deb12-amd64-unsigned``
and ``pip install virtme-ng`` (``.ci/run`` picks the newest NN with apt-cache).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from conftest import need

REPO = Path(__file__).resolve().parent.parent

#: the LTS series checked in a VM (this machine's own kernel is checked by test_live.py)
KERNELS = ("6.1", "6.12")
#: fixed-seed and run-seed random batches of 12 walks inside each VM
VM_BATCHES = (26, 4)
#: tests of test_live.py not run inside: they test the host or the package, not the
#: kernel (doctests, imports, coverage, the availability diagnosis, signals sent to a
#: subprocess: each starts Pythons, about 50 s apiece under TCG), or are the 10,101-cgroup tree (minutes under TCG, nothing new), or
#: race two threads against a timer (cgroup_mutex: too timing-dependent under TCG)
HOST_ONLY = ("cover_everything", "docstring", "import_stays_light", "available_says",
             "names_the_true_cause", "read_only_bpffs",
             "interrupted_run", "killed_run", "benchmark_tree", "recorded_walk_on_this_kernel",
             "cgroup_mutex_is_taken")
#: how long one VM may take (boot included) before it counts as hung
TIMEOUT = 40 * 60


#: the real commands, booting their own VMs beside the suites (``--out`` is replaced)
CLI_RUNS = {
    "6.12 live": ["live", "--kernel-image", "6.12", "--tree", "balanced", "--order", "post",
                  "--record-bytes", "64", "--read-size", "4097"],
    "6.1 record": ["record", "--kernel-image", "6.1", "--cases", "3", "--seed", "5", "-q",
                   "--out", "OUT"],
}
#: where the recorder of CLI_RUNS writes
#: (not under /tmp: the guest's /tmp is an overlay of its own, a --rwdir there stops the boot)
RECORD_OUT = REPO / "tests" / "artifacts" / f"vm-record-{os.getpid()}"


def _inside_argv(series: str = "6.12") -> list[str]:
    """The pytest command run inside the VM of ``series``: the open-coded walks
    (tests/test_live_opencoded.py) compared on 6.12, and on 6.1, which has none of their
    kfuncs, the one test that shows the object is refused there."""
    import sys

    k = " or ".join(HOST_ONLY)
    opencoded = ("not css_iters" if series == "6.1"
                 else "not without_open_coded")
    return [sys.executable, "-m", "pytest", "tests/test_live.py", "tests/test_live_printf.py",
            "tests/test_live_opencoded.py", "tests/test_cgroupns.py", "-m", "live", "-k",
            f"not ({k}) and {opencoded}", "-q", "-p", "no:cacheprovider", "-rfEs",
            "--durations=15"]


_runs: dict[str, object] = {}
_lock = threading.Lock()


def _boot_all() -> dict[str, object]:
    """Boot every kernel of KERNELS at once; each entry a VmRun or the reason it could not
    start (a string)."""
    from cgiter_edu.live import LiveError, vm

    with _lock:
        if _runs:
            return _runs
        threads = []

        def one(series: str) -> None:
            img = vm.find_image(series)
            if img is None:
                _runs[series] = f"no Linux {series} kernel image in /boot (fix: {vm.apt_hint(series)})"
                return
            problem = vm.why_not(img)
            if problem:
                _runs[series] = problem
                return
            env = {"CGITER_REQUIRE_LIVE": "1", "PYTHONPATH": str(REPO),   # this checkout
                   "CGITER_LIVE_BATCHES": f"{VM_BATCHES[0]},{VM_BATCHES[1]}"}
            if os.environ.get("CGITER_LIVE_SEED"):
                env["CGITER_LIVE_SEED"] = os.environ["CGITER_LIVE_SEED"]
            try:
                _runs[series] = vm.run_in_vm(img, _inside_argv(series), env=env, cwd=REPO,
                                             timeout=TIMEOUT)
            except LiveError as e:
                _runs[series] = str(e)

        def cli(name: str, args: list[str]) -> None:
            import subprocess
            import sys
            import time

            exe = Path(sys.executable).parent / "cgiter-edu"
            t0 = time.monotonic()
            r = subprocess.run([str(exe), *args], capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=TIMEOUT, cwd=REPO,
                               env=dict(os.environ, PYTHONPATH=str(REPO)))
            _runs[name] = (r, time.monotonic() - t0)

        RECORD_OUT.mkdir(parents=True, exist_ok=True)
        CLI_RUNS["6.1 record"][-1] = str(RECORD_OUT / "kernel-recorded.jsonl")
        jobs = [(one, (s,)) for s in KERNELS]
        for series, args in CLI_RUNS.items():
            if vm.find_image(series.split()[0]) is not None and vm.why_not() is None:
                jobs.append((cli, (series, args)))
        for fn, a in jobs:
            t = threading.Thread(target=fn, args=a, daemon=True)
            t.start()
            threads.append(t)
            time.sleep(3)                   # not all QEMUs at the same instant
        for t in threads:
            t.join()
        return _runs


@pytest.mark.parametrize("series", KERNELS)
def test_live_suite_in_a_vm(series):
    """The live subset passes on Linux ``series``, booted in QEMU: nothing failed,
    nothing skipped, and as many tests passed as were collected."""
    r = _boot_all()[series]
    need(not isinstance(r, str), str(r), vm=True)
    log = REPO / "tests" / "artifacts" / f"vm-{series}.log"     # the whole run, to read
    log.parent.mkdir(exist_ok=True)
    log.write_text(f"Linux {r.release}, {r.seconds:.0f} s\n{r.stdout}\n--- stderr ---\n{r.stderr}")
    tail = (r.stdout[-6000:] + "\n--- stderr ---\n" + r.stderr[-3000:])
    assert r.booted, f"Linux {series} ({r.image.path}) did not boot:\n{tail}"
    assert r.release.startswith(series + "."), (r.release, series)
    summary = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    assert r.returncode == 0, f"the live suite failed on Linux {r.release}:\n{tail}"
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 60, summary
    for bad in ("failed", "skipped", "error", "xpassed"):
        assert bad not in summary, f"{summary}\n{tail}"
    print(f"Linux {r.release}: {summary} ({r.seconds:.0f} s, boot included)")


def test_cli_live_in_a_vm():
    """``cgiter-edu live --kernel-image 6.12``, the real command: the comparison made in
    the guest, the emulator as Linux 6.12, the same table and exit code as on the host."""
    runs = _boot_all()
    need("6.12 live" in runs, "no Linux 6.12 image or no vng/qemu (see test_live_suite_in_a_vm)", vm=True)
    r, seconds = runs["6.12 live"]
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "kernel: Linux 6.12." in r.stdout and "emulator: as Linux 6.12," in r.stdout, r.stdout
    assert "#1      4097 b'C " in r.stdout and "MATCH: attach and 5 read() calls" in r.stdout
    assert "ran on Linux 6.12." in r.stderr, r.stderr
    print(f"cgiter-edu live --kernel-image 6.12: {seconds:.0f} s")


def test_cli_record_in_a_vm():
    """``cgiter-edu record --kernel-image 6.1``: walks recorded by the 6.1 kernel into a
    host file, each with the guest's release, replayed the same by the emulator as 6.1."""
    import json

    from replay import replay

    runs = _boot_all()
    need("6.1 record" in runs, "no Linux 6.1 image or no vng/qemu (see test_live_suite_in_a_vm)", vm=True)
    r, seconds = runs["6.1 record"]
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = RECORD_OUT / "kernel-recorded.jsonl"
    try:
        cases = [json.loads(x) for x in out.read_text().splitlines()]
    finally:
        shutil.rmtree(RECORD_OUT, ignore_errors=True)
    assert len(cases) == 3
    for c in cases:
        assert c["kernel"].startswith("6.1.") and c["tree"][0] == ["/", 1]
        assert replay(c) == (c["attach_errno"], c["reads"])
    print(f"cgiter-edu record --kernel-image 6.1 --cases 3: {seconds:.0f} s")


def test_vm_subset_covers_everything():
    """The fixed-seed batches run in each VM try every order, kind of start, overflow
    and errno between them (test_live.py's coverage, for the VM's batch count)."""
    from test_live import COVER, PER_BATCH, fixed_coverage

    cov = fixed_coverage(VM_BATCHES[0])
    assert cov["cases"] == VM_BATCHES[0] * PER_BATCH
    missing = [w for w in COVER if not cov[w]]
    assert not missing, f"the VM's {VM_BATCHES[0]} batches miss {missing}"
