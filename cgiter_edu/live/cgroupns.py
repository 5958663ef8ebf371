"""cgroup namespaces on the real kernel: what a process inside one gets from cgroup_iter.

:func:`probe` starts a child process in a real cgroup (``cgroup.procs``), which calls
``unshare --cgroup`` there: that cgroup becomes ``/`` of its new cgroup namespace, as a
container's or a Kubernetes pod's cgroup is for it.  The child attaches cgroup
iterators with the asked starts and reports, for each, the attach errno or what the
walk read (real ids, the C program ``cgroup_id_printer`` untranslated), the link's
``fdinfo`` lines and ``bpftool link show``'s line.  The emulator's answer for the same
namespace is :func:`cgiter_edu.run` with ``cgroupns=`` (compared in
tests/test_cgroupns.py).

Example (root, cgroup v2, clang, libbpf, util-linux's unshare)::

    >>> r = probe("/sys/fs/cgroup/unified/pod", [{"order": 1}])   # doctest: +SKIP
    >>> r[0]["output"]                                              # doctest: +SKIP
    'prologue\\n    4242\\nepilogue\\n'
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

from .errors import LiveError

#: the child: attach each asked walk inside the namespace, print one JSON list
_CHILD = r"""
import errno, json, os, re, shutil, subprocess, sys
from cgiter_edu.live.bpf_object import Backend, Params
b = Backend.get()
b.set_params(Params())
out = []
for w in json.loads(sys.argv[1]):
    fd = os.open(w["fd"], os.O_RDONLY | os.O_DIRECTORY) if w.get("fd") else 0
    r = {"walk": w}
    try:
        link = b.attach("cgroup_id_printer", w["order"], fd, w.get("id", 0))
    except OSError as e:
        r["attach_errno"] = e.errno
        out.append(r)
        if fd:
            os.close(fd)
        continue
    try:
        info = open(f"/proc/self/fdinfo/{link.fd}").read()
        r["fdinfo"] = info[info.index("target_name:"):]
        link_id = int(re.search(r"link_id:\s+(\d+)", info).group(1))
        prog_id = int(re.search(r"prog_id:\s+(\d+)", info).group(1))
        r["link_id"], r["prog_id"] = link_id, prog_id
        if shutil.which("bpftool"):
            p = subprocess.run(["bpftool", "link", "show", "id", str(link_id)],
                               capture_output=True, text=True)
            r["bpftool"] = p.stdout.splitlines()[0] if p.stdout else p.stderr
        it = link.create()
        data = b""
        while chunk := os.read(it, 65536):
            data += chunk
        os.close(it)
        r["output"] = data.decode()
    finally:
        link.destroy()
        if fd:
            os.close(fd)
    out.append(r)
print(json.dumps(out))
"""


def probe(cgroup: str, walks: list[dict[str, Any]], timeout: float = 1200
          ) -> list[dict[str, Any]]:
    """Run ``walks`` (each ``{"order": n}`` plus ``"id"`` or ``"fd"``: a real directory
    path, opened by the child) in a child process whose cgroup namespace is rooted at
    the real cgroup directory ``cgroup``.  One dict per walk: ``attach_errno``, or
    ``output``, ``fdinfo`` (from ``target_name:`` on), ``link_id``, ``prog_id`` and
    ``bpftool`` (its line, when bpftool is installed).  Raises :class:`LiveError` when
    ``unshare`` is missing or the child fails.  ``timeout``: seconds the child may take
    (a Python that loads the BPF object takes minutes in a QEMU VM without KVM)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise LiveError("util-linux's unshare is not on PATH (apt-get install util-linux)")
    script = (f'echo $$ > "{cgroup}/cgroup.procs" && exec "{unshare}" --cgroup '
              f'"{sys.executable}" -c "$0" "$1"')
    p = subprocess.run(["sh", "-c", script, _CHILD, json.dumps(walks)],
                       capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    if p.returncode != 0:
        raise LiveError(f"the child in the cgroup namespace failed ({p.returncode}): "
                        f"{p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ''}")
    return json.loads(p.stdout)
