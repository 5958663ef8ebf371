"""``cgiter-edu live`` and ``cgiter-edu record``: the real-kernel subcommands.

``live`` runs one walk on the emulator and on this machine's kernel and prints each
read() side by side (exit 0: identical; 1: they differ; 2: this machine cannot, with
the reason and the fix).  ``record`` refreshes ``tests/data/`` with walks recorded on the
running kernel.

Example::

    $ sudo cgiter-edu live --order post --start /user.slice
    $ sudo cgiter-edu live --tree balanced --record-bytes 64 --read-size 4096
    $ sudo cgiter-edu live --case failing-case.json       # replay what a test printed
    $ sudo cgiter-edu record --cases 60
"""

from __future__ import annotations

import argparse
import json
import sys

from ..clihelpers import (
    CliError,
    add_number,
    add_walk_args,
    oserror_text,
    refuse_device,
    walk_spec,
)

#: record.MAX_READS, said here without importing the recorder (the CLI stays light)
RECORD_MAX_READS = 600
#: at most this many walks in one ``record`` (an hour or so in a VM, minutes here)
RECORD_MAX_CASES = 10_000

EPILOG_LIVE = """\
the emulated hierarchy is made of real cgroups under a scratch cgroup of the cgroup2
mount (removed afterwards); a real BPF program (cgroup_iter.bpf.c) writes what the
Python program writes, with the emulated ids.  A walk from the root in pre/post-order
is attached by fd on the scratch cgroup on the kernel (the real root is the whole
host); ANCESTORS_UP is stopped after the scratch cgroup.  The emulator behaves as the
running kernel unless --kernel is given.

things to try:
  cgiter-edu live --order post --start /user.slice
  cgiter-edu live --tree balanced --record-bytes 64            # 511 records, EOPNOTSUPP
  cgiter-edu live --tree balanced --record-bytes 64 --read-size 4096
  cgiter-edu live --order 0                                    # EINVAL on both sides
  cgiter-edu live --order up --start /user.slice/user-1000.slice
  cgiter-edu live --printf '%5d|%-4s|%llx\\n' 42 ab -1          # one bpf_seq_printf call
  cgiter-edu live --printf '%.2s' abc                          # EINVAL: no precision
"""


def _unavailable(cmd: str = "live") -> int | None:
    """2 (after the reason and the fix, the fix naming ``cmd``) if the real kernel
    cannot be used here, else None."""
    from ..live import available

    why = available()
    if why:
        return None
    fix = why.fix.replace('cgiter-edu)" live ...', f'cgiter-edu)" {cmd} ...')
    print(f"cgiter-edu {cmd}: the real kernel cannot be used here: {why.reason}",
          file=sys.stderr)
    print(f"  fix: {fix}", file=sys.stderr)
    return 2


def forwarded_argv(args: argparse.Namespace, drop: tuple[str, ...] = ("kernel_image",)
                   ) -> list[str]:
    """The command line that gives ``args`` again (less ``drop``): what the guest of
    ``--kernel-image`` runs.  Built from the subcommand's own parser."""
    p: argparse.ArgumentParser = args.parser
    out = [args.cmd]
    for a in p._actions:                            # argparse keeps no public list
        if not a.option_strings or a.dest in drop or a.dest == "help":
            continue
        v = getattr(args, a.dest, None)
        if v is None or v == a.default or v is False:
            continue
        flag = a.option_strings[-1] if a.option_strings[-1].startswith("--") else a.option_strings[0]
        if v is True:
            out.append(flag)
        elif isinstance(v, list):
            out += [flag, *map(str, v)]
        else:
            out += [flag, str(v)]
    return out


def in_vm(args: argparse.Namespace, rwdirs: tuple[str, ...] = ()) -> int:
    """``--kernel-image``: run this very command (less that flag) in a VM booted from
    the image, its output passed through; the guest's exit code, or 2 if it did not
    boot."""
    from ..live import LiveError, vm

    try:
        img = vm.image(args.kernel_image)
        argv = vm.python_argv(*forwarded_argv(args))
        problem = vm.why_not(img)       # said before "booting ...", not after it
        if problem:
            raise LiveError(f"cannot boot {img.path}: {problem}")
        print(f"cgiter-edu {args.cmd}: booting {img.path} (Linux {img.release}) in QEMU "
              "without KVM: about 30 s to boot, then the walk, 10 to 40 times slower than "
              "here", file=sys.stderr, flush=True)
        r = vm.run_in_vm(img, argv, rwdirs=rwdirs, echo=True)
    except LiveError as e:
        print(f"cgiter-edu {args.cmd}: {e}", file=sys.stderr)
        return 2
    if not r.booted:
        print(f"cgiter-edu {args.cmd}: {img.path} did not boot (exit {r.returncode} after "
              f"{r.seconds:.0f} s){': ' + r.stderr.strip()[-500:] if r.stderr.strip() else ''}",
              file=sys.stderr)
        return 2
    print(f"cgiter-edu {args.cmd}: ran on Linux {r.release} in {r.seconds:.0f} s (boot "
          "included)", file=sys.stderr)
    return r.returncode


def cmd_live(args: argparse.Namespace) -> int:
    """Run the walk both ways and print the comparison."""
    if args.parent == "":               # '' was taken as no --parent at all
        raise CliError("--parent '': an empty name; give a cgroup directory")
    if args.kernel_image:
        return in_vm(args)
    code = _unavailable()
    if code is not None:
        return code
    from ..live import LiveError, compare, compare_case
    from ..live.cases import machine_kernel

    if args.printf:
        return _printf(args)
    try:
        if args.case:
            text = args.case
            if not text.lstrip().startswith("{"):
                refuse_device(text, "--case", "the JSON a failing live test prints")
                with open(text) as f:
                    text = f.read()
            try:
                c = compare_case(text, parent=args.parent)
            except (ValueError, KeyError, TypeError) as e:
                raise CliError(f"--case: not a case as a failing live test prints it: "
                               f"{oserror_text(e)}") from None
        else:
            s = walk_spec(args, kernel_default=machine_kernel())
            c = compare(s.hierarchy, s.program, s.order, s.start, cgroup_id=s.start_id,
                        read_size=s.read_size, kernel=s.kernel, parent=args.parent)
    except LiveError as e:
        print(f"cgiter-edu live: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        print(f"cgiter-edu live: {where}{oserror_text(e)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(c.to_dict(), indent=1))
    else:
        print(c.format())
    return 0 if c.match else 1


def printf_arg(text: str) -> int | str:
    """A ``--printf`` argument: an integer (``42``, ``-1``, ``0x1f``) is a register,
    anything else a string (passed as a pointer to it)."""
    try:
        return int(text, 0)
    except ValueError:
        return text


def _printf(args: argparse.Namespace) -> int:
    """``--printf FMT ARG...``: one bpf_seq_printf call on both sides."""
    import codecs

    from ..live import LiveError
    from ..live.printf import PrintfCase, compare

    fmt_text, *rest = args.printf
    try:
        fmt = codecs.escape_decode(fmt_text.encode("utf-8"))[0]
    except ValueError as e:
        print(f"cgiter-edu live: --printf format {fmt_text!r}: {e}", file=sys.stderr)
        return 1
    case = PrintfCase(fmt, tuple(printf_arg(a) for a in rest), note="--printf",
                      hashed=b"%p" in fmt)
    try:
        c = compare(case)
    except (LiveError, OSError) as e:
        print(f"cgiter-edu live: {e}", file=sys.stderr)
        return 2
    except (TypeError, ValueError) as e:               # e.g. an int out of u64 range
        print(f"cgiter-edu live: {e}", file=sys.stderr)
        return 1
    print(c.format())
    print("MATCH" if c.match else "DIFFERENT" + (" (hashed %p digits are compared by shape)"
                                                  if case.hashed else ""))
    return 0 if c.match else 1


def cmd_record(args: argparse.Namespace) -> int:
    """Record walks on the running kernel into tests/data/."""
    from pathlib import Path

    if args.out is not None:
        from ..outfile import check_output

        check_output(args.out, "--out")
    elif not (Path("tests") / "data").is_dir():
        print("cgiter-edu record: tests/data does not exist here: run from the repository "
              "root, or give --out", file=sys.stderr)
        return 2
    if args.kernel_image:
        out = Path(args.out) if args.out else Path("tests") / "data" / "x"
        if args.out:
            args.out = str(out.resolve())
        if args.seed is None:                       # say it here, so it can be drawn again
            import random

            args.seed = random.SystemRandom().randrange(1 << 31)
        return in_vm(args, rwdirs=(str(out.parent.resolve()),))
    code = _unavailable("record")
    if code is not None:
        return code
    from ..live import LiveError
    from ..live.record import record
    from ..progress import progress_line

    def progress(done: int, total: int) -> None:
        if not args.quiet:
            progress_line(f"recording: {done}/{total}", done == total)

    try:
        _path, _cases, mismatches = record(args.cases, seed=args.seed, out=args.out,
                                           progress=progress)
    except LiveError as e:
        print(f"cgiter-edu record: {e}", file=sys.stderr)
        return 2
    return 1 if mismatches else 0


def setup_live(p: argparse.ArgumentParser) -> None:
    """The arguments of ``cgiter-edu live`` (the main CLI made the parser)."""
    p.description = ("Run the same walk on the emulator and on the real kernel (root, BPF, "
                     "cgroup v2, clang, libbpf) and print each read() side by side, the "
                     "first difference marked. Exit 0: identical; 1: different; 2: this "
                     "machine cannot.")
    p.epilog = EPILOG_LIVE
    add_walk_args(p)
    p.set_defaults(kernel=None, page_size=None)       # default: as the running kernel
    p.add_argument("--case", default=None, metavar="FILE|JSON",
                   help="replay a case (the JSON a failing live test prints) instead")
    p.add_argument("--parent", default=None, metavar="DIR",
                   help="make the scratch cgroup in this cgroup directory (default: the "
                        "cgroup2 mount's root)")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.add_argument("--kernel-image", default=None, metavar="IMAGE|X.Y",
                   help="run it in a VM booted from this kernel image (e.g. "
                        "/boot/vmlinuz-6.1.0-56-amd64, or 6.1 for the newest such image in "
                        "/boot) with QEMU and virtme-ng; the emulator behaves as that kernel")
    p.set_defaults(parser=p)
    p.add_argument("--printf", nargs="+", default=None, metavar="FMT_OR_ARG",
                   help="instead of a walk: one bpf_seq_printf(seq, FMT, ARG...) call on both "
                        "sides (FMT with C escapes such as \\n; an ARG that reads as an "
                        "integer is one, any other is a string)")
    p.set_defaults(func=cmd_live)


def setup_record(p: argparse.ArgumentParser) -> None:
    """The arguments of ``cgiter-edu record`` (random walks: no walk flags)."""
    p.description = ("Record random cgroup_iter walks on the running kernel (root needed) in "
                     "the format of tests/data/*.jsonl, with the kernel release, and replay "
                     "each through the emulator. Exit 1 if any replays differently.")
    p.epilog = f"cases with more than {RECORD_MAX_READS} read() calls are drawn again (small files)."
    add_number(p, "--cases", lo=1, hi=RECORD_MAX_CASES, default=60,
               help="how many walks (default 60; about 20 a second here)")
    add_number(p, "--seed", lo=0, hi=2 ** 63 - 1, default=None,
               help="random seed (default: a new one, printed at the end)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="output (default tests/data/kernel-<uname -r>-recorded.jsonl)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress")
    p.add_argument("--kernel-image", default=None, metavar="IMAGE|X.Y",
                   help="record on the kernel of a VM booted from this image (e.g. 6.12: the "
                        "newest /boot/vmlinuz-6.12.*) instead of this machine's")
    p.set_defaults(func=cmd_record, parser=p)
