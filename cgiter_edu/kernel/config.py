"""The kernel being modelled: version, page size, MAX_ITER_OBJECTS.

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
    """Which kernel the emulator behaves as.

    ``version``: (major, minor); ``BPF_CGROUP_ITER_CHILDREN`` exists from (7, 0).
    ``page_size``: PAGE_SIZE; the seq_file buffer is ``PAGE_SIZE << 3``.
    ``max_iter_objects``: MAX_ITER_OBJECTS (1,000,000 in every kernel; smaller
    values let a class see EAGAIN on a small tree).
    """

    version: tuple[int, int] = (7, 0)
    page_size: int = 4096
    max_iter_objects: int = MAX_ITER_OBJECTS

    def __post_init__(self) -> None:
        if self.page_size not in PAGE_SIZES:
            raise ValueError(f"page_size {self.page_size} is not one Linux uses; pick one of {PAGE_SIZES}")
        if tuple(self.version) < (6, 1):
            raise ValueError(f"cgroup_iter first appeared in Linux 6.1; version {self.version} has none")
        if self.max_iter_objects < 1:
            raise ValueError(f"max_iter_objects must be at least 1, not {self.max_iter_objects}")
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
    def name(self) -> str:
        """``"6.18"``-style version string."""
        return f"{self.version[0]}.{self.version[1]}"

    @classmethod
    def preset(cls, name: str, page_size: int = 4096) -> KernelConfig:
        """``"6.1"``, ``"6.18"`` or ``"7.0"`` (any ``"X.Y"`` >= 6.1 works too)."""
        try:
            major, minor = (int(x) for x in str(name).split(".")[:2])
        except ValueError:
            raise ValueError(f"kernel version {name!r} is not of the form X.Y (e.g. 6.18)") from None
        return cls(version=(major, minor), page_size=page_size)


PRESETS = {name: KernelConfig.preset(name) for name in ("6.1", "6.18", "7.0")}
DEFAULT = PRESETS["7.0"]
