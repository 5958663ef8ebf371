"""The kernel being modelled: version, page size, MAX_ITER_OBJECTS -- and
:func:`capacity`, how many records its buffer holds.

Not a kernel file: the knobs that differ between the kernels cgiter_edu models.

Example::

    >>> from cgiter_edu import KernelConfig
    >>> KernelConfig.preset("6.18").buffer_size
    32768
    >>> KernelConfig(page_size=65536).buffer_size
    524288
"""

from __future__ import annotations

from dataclasses import dataclass

#: kernel/bpf/bpf_iter.c: "maximum visited objects before bailing out"
MAX_ITER_OBJECTS = 1000000

#: page sizes Linux runs with (x86-64 and most: 4 KiB; arm64 can use 16 or 64 KiB)
PAGE_SIZES = (4096, 16384, 65536)


@dataclass(frozen=True)
class KernelConfig:
    """Which kernel the emulator behaves as (:meth:`preset` gives the ones checked).

    Parameters
    ----------
    version : (int, int), default (6, 18)
        (major, minor); ``BPF_CGROUP_ITER_CHILDREN`` exists from (7, 0).
    page_size : int, default 4096
        PAGE_SIZE; the seq_file buffer is ``PAGE_SIZE << 3``.
    max_iter_objects : int
        MAX_ITER_OBJECTS (1,000,000 in every kernel; smaller values let a class see
        EAGAIN on a small tree).
    bprintf_utf8 : bool, default True
        Whether ``bpf_seq_printf`` formats may hold bytes >= 0x80 (UTF-8 text) outside
        conversions; see the note below.
    kptr_restrict : int, default 0
        The ``kernel.kptr_restrict`` sysctl, which decides what ``%pK`` prints (0, the
        Debian default: hashed like ``%p``; 1: the address, for a reader with
        CAP_SYSLOG such as root; 2: zeros).

    Raises
    ------
    ValueError
        A page size Linux does not use, a version before 6.1, or ``max_iter_objects``
        below 1.

    Notes
    -----
    ``bprintf_utf8``: commit b960430ea886 ("bpf: allow UTF-8 literals in
    bpf_bprintf_prepare()", mainline in 7.1) went to the stable series in May 2026
    (6.6.141 and 6.12.y among them; the 6.1.y loop has it too, as does this machine's
    6.18.44, and Debian's 6.1.176 and 6.12.111 were seen to accept UTF-8), so the
    6.1, 6.12 and 6.18 presets (stable releases) have it.  The 7.0 preset is mainline
    7.0's source, which has not: no 7.0.y release is shown here to carry the backport.
    Before it, any format byte >= 0x80 was ``-EINVAL``: ``bprintf_utf8=False`` models
    v6.1.0 to v7.0.0 and the stable releases before the backport.  What each preset
    stands for: :func:`describe`.

    Examples
    --------
    >>> KernelConfig.preset("6.1").version, KernelConfig(page_size=16384).buffer_size
    ((6, 1), 131072)
    """

    version: tuple[int, int] = (6, 18)       # the newest release checked on a real kernel
    page_size: int = 4096
    max_iter_objects: int = MAX_ITER_OBJECTS
    bprintf_utf8: bool = True
    kptr_restrict: int = 0

    def __post_init__(self) -> None:
        if self.page_size not in PAGE_SIZES:
            raise ValueError(f"page_size {self.page_size} is not one Linux uses; pick one of {PAGE_SIZES}")
        if tuple(self.version) < (6, 1):
            raise ValueError(f"cgroup_iter first appeared in Linux 6.1; version {self.version} has none")
        if self.max_iter_objects < 1:
            raise ValueError(f"max_iter_objects must be at least 1, not {self.max_iter_objects}")
        if self.kptr_restrict not in (0, 1, 2):
            raise ValueError(f"kptr_restrict is 0, 1 or 2, not {self.kptr_restrict}")
        object.__setattr__(self, "version", tuple(self.version))

    @property
    def buffer_size(self) -> int:
        """``seq->size = PAGE_SIZE << 3`` (kernel/bpf/bpf_iter.c, bpf_seq_read)."""
        return self.page_size << 3

    @property
    def has_children_order(self) -> bool:
        """Linux 7.0 added BPF_CGROUP_ITER_CHILDREN (commit 752b807028e6)."""
        return self.version >= (7, 0)

    @property
    def verified_on(self) -> str:
        """The real release this preset was verified on (:data:`VERIFIED_ON`).

        >>> KernelConfig.preset("6.1").verified_on[:13]
        'Linux 6.1.192'
        """
        return verified_on(self)

    @property
    def name(self) -> str:
        """``"6.18"``-style version string."""
        return f"{self.version[0]}.{self.version[1]}"

    @classmethod
    def preset(cls, name: str, page_size: int = 4096) -> KernelConfig:
        """``"6.1"``, ``"6.18"`` or ``"7.0"`` (any ``"X.Y"`` >= 6.1 works too).

        ``"6.1"`` models the 6.1.y stable kernels *with* the start-pinning fix backported:
        commit 1a5160d4d8fe ("bpf: Pin the start cgroup in cgroup_iter_seq_init()"), which
        first landed in 6.2, gives every iterator file its own reference on the start
        cgroup, so closing the link while a file is open is safe.  v6.1.0 itself lacked
        it (the file used the link's reference: a use-after-free once the link and the
        cgroup were gone); that kernel is not modelled.

        >>> KernelConfig.preset("6.1").has_children_order
        False
        """
        try:
            major, minor = (int(x) for x in str(name).split(".")[:2])
        except ValueError:
            raise ValueError(f"kernel version {name!r} is not of the form X.Y (e.g. 6.18)") from None
        # mainline 7.0 predates the UTF-8 commit (7.1); the stable series have its backport
        return cls(version=(major, minor), page_size=page_size,
                   bprintf_utf8=(major, minor) != (7, 0))


#: the real kernel each preset was verified on: the live suite passed on it (the emulator
#: as that preset against the kernel, walk by walk) and walks recorded on it are in
#: tests/data/.  Re-check 6.1 and 6.12 with ``python -m pytest tests/test_vm.py``.
VERIFIED_ON = {
    "6.1": "Linux 6.1.192 (Debian's linux-image-6.1.0-56-amd64, booted in QEMU by "
           "tests/test_vm.py and `cgiter-edu live --kernel-image 6.1`)",
    "6.12": "Linux 6.12.117 (Debian's linux-image-6.12.117+deb12-amd64, booted in QEMU by "
            "tests/test_vm.py and `cgiter-edu live --kernel-image 6.12`)",
    "6.18": "Linux 6.18.44 (the development machine's own kernel, tests/test_live.py)",
    "7.0": "no real kernel: modelled from the source (BPF_CGROUP_ITER_CHILDREN, commit "
           "752b807028e6)",
}


def verified_on(config: KernelConfig) -> str:
    """The real release a preset was verified on (:data:`VERIFIED_ON`), or why none.

    >>> verified_on(KernelConfig.preset("6.12"))[:14]
    'Linux 6.12.117'
    """
    return VERIFIED_ON.get(config.name, f"Linux {config.name} has no preset: not verified "
                                        "on a real kernel")


@dataclass(frozen=True)
class Commit:
    """A kernel commit that makes a preset behave as it does."""

    sha: str
    title: str          #: its subject line ("" where the subject is not at hand here)
    mainline: str       #: the first mainline release with it
    note: str           #: what it changes for cgroup_iter


#: the commits that set the presets apart (each preset says which it has, and why)
COMMITS = {
    "pin": Commit("1a5160d4d8fe", "bpf: Pin the start cgroup in cgroup_iter_seq_init()",
                  "6.2", "each iterator file takes its own reference on the start cgroup, "
                  "so closing the link while a file is open is safe"),
    "cgns": Commit("74e4b956eb1c", "cgroup: Honor caller's cgroup NS when resolving path",
                   "6.1", "neither fd nor id starts at / of the cgroup namespace of the process that "
                   "attaches"),
    "utf8": Commit("b960430ea886", "bpf: allow UTF-8 literals in bpf_bprintf_prepare()",
                   "7.1", "bpf_seq_printf formats may hold bytes >= 0x80 outside "
                   "conversions (before: -EINVAL)"),
    "children": Commit("752b807028e6", "", "7.0",
                       "order 5 walks the start cgroup's children (before: EINVAL)"),
}


@dataclass(frozen=True)
class PresetInfo:
    """What a preset stands for: a kernel series' stable release as of a date, or a
    mainline source; which of :data:`COMMITS` it has (and how it came by them)."""

    series: str         #: "6.1.y (stable)" or "mainline 7.0 source"
    release: str        #: the release it stands for
    as_of: str          #: the date it was checked against that release
    has: tuple[tuple[str, str], ...]    #: (COMMITS key, how: "mainline" or "backported ...")
    lacks: tuple[str, ...] = ()         #: COMMITS keys it does not have


#: each preset, as :func:`describe` prints it
PRESET_INFO = {
    "6.1": PresetInfo("6.1.y (stable)", "6.1.192 (Debian's linux-image-6.1.0-56-amd64)",
                      "2026-11-26",
                      (("cgns", "mainline"), ("pin", "backported to 6.1.y"),
                       ("utf8", "backported to 6.1.y (May 2026)")), ("children",)),
    "6.12": PresetInfo("6.12.y (stable)", "6.12.117 (Debian's linux-image-6.12.117+deb12)",
                       "2026-11-26",
                       (("cgns", "mainline"), ("pin", "mainline"),
                        ("utf8", "backported to 6.12.y (May 2026)")), ("children",)),
    "6.18": PresetInfo("6.18.y (stable)", "6.18.44 (this development machine's kernel)",
                       "2026-11-25",
                       (("cgns", "mainline"), ("pin", "mainline"),
                        ("utf8", "backported to 6.18.y (May 2026)")), ("children",)),
    "7.0": PresetInfo("mainline 7.0 source", "v7.0 (no real kernel run here)", "",
                      (("cgns", "mainline"), ("pin", "mainline"), ("children", "mainline")),
                      ("utf8",)),
}


def describe(config: KernelConfig) -> str:
    """What the emulator behaves as with ``config``: the series and release, the date it
    was checked, the commits that matter and whether it has them.

    >>> print(describe(KernelConfig.preset("7.0")).splitlines()[0])
    Linux 7.0 preset: mainline 7.0 source
    """
    info = PRESET_INFO.get(config.name)
    lines = []
    if info is None:
        lines.append(f"Linux {config.name}: no preset; modelled from the rules of the "
                     "nearest ones (not checked on a real kernel)")
    else:
        lines.append(f"Linux {config.name} preset: {info.series}")
        when = f", as of {info.as_of}" if info.as_of else ""
        lines.append(f"  stands for: {info.release}{when}")
        lines.append(f"  verified on: {verified_on(config)}")
        lines.append("  commits that matter:")
        for key, how in info.has:
            c = COMMITS[key]
            since = (f"since mainline {c.mainline}" if how == "mainline"
                     else f"mainline {c.mainline}; {how}")
            lines.append(f"    has    {_commit(c)} ({since}): {c.note}")
        for key in info.lacks:
            c = COMMITS[key]
            lines.append(f"    lacks  {_commit(c)} (mainline {c.mainline}): {c.note}")
    lines.append(f"  PAGE_SIZE {config.page_size}: the seq_file buffer is "
                 f"{config.buffer_size} bytes; MAX_ITER_OBJECTS {config.max_iter_objects:,}; "
                 f"UTF-8 in formats: {'yes' if config.bprintf_utf8 else 'no (EINVAL)'}; "
                 f"CHILDREN (5): {'yes' if config.has_children_order else 'no (EINVAL)'}")
    return "\n".join(lines)


def _commit(c: Commit) -> str:
    return f'{c.sha} "{c.title}"' if c.title else c.sha


PRESETS = {name: KernelConfig.preset(name) for name in ("6.1", "6.12", "6.18", "7.0")}
#: the kernel every walk, picture, the CLI and the explorer use unless told: the newest
#: preset verified on a real kernel (:data:`VERIFIED_ON`).  7.0 (CHILDREN) is modelled
#: from the source only, so it is chosen by name where a lesson shows CHILDREN.
DEFAULT_NAME = "6.18"
DEFAULT = PRESETS[DEFAULT_NAME]


def kernel_label(name: str) -> str:
    """How a picture names the modelled kernel: ``"Linux 6.18"``, or for a preset no real
    kernel has checked, ``"Linux 7.0 (from the source)"``.

    >>> kernel_label("6.18"), kernel_label("7.0")
    ('Linux 6.18', 'Linux 7.0 (from the source)')
    """
    checked = VERIFIED_ON.get(name, "").startswith("Linux")
    return f"Linux {name}" if checked else f"Linux {name} (from the source)"


def capacity(record_bytes: int, page_size: int = 4096, epilogue_bytes: int = 0) -> int:
    """How many records of ``record_bytes`` fit in one cgroup_iter session.

    Not a kernel function: arithmetic on the kernel's rules.  The buffer is
    ``page_size << 3`` bytes (:attr:`KernelConfig.buffer_size`) and ``seq_write()`` keeps
    the last byte free (``count + len < size``), so ``(size - 1 - epilogue) // record`` records fit; with
    64-byte records and 4 KiB pages that is 511, not the 512 the comment at the top of
    kernel/bpf/cgroup_iter.c says.

    Parameters
    ----------
    record_bytes : int
        The size of each record.
    page_size : int, default 4096
        The kernel's page size.
    epilogue_bytes : int, default 0
        Bytes the epilogue call writes (kept free too).

    Returns
    -------
    int
        How many records fit.

    Raises
    ------
    ValueError
        A record size that is not positive.

    Examples
    --------
    >>> capacity(64), capacity(64, page_size=16384)
    (511, 2047)
    """
    if record_bytes <= 0:
        raise ValueError(f"record_bytes must be positive, not {record_bytes}")
    size = page_size << 3
    room = size - 1 - epilogue_bytes
    return max(room, 0) // record_bytes
