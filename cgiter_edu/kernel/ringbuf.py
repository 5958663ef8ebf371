"""``kernel/bpf/ringbuf.c``: the BPF ring buffer (``BPF_MAP_TYPE_RINGBUF``), the way the
open-coded walk hands its records to user space.

One producer area of ``max_entries`` bytes (a power of 2, a multiple of the page
size).  Each record takes an 8-byte header plus its data, rounded up to 8 bytes.  The
producer may run at most ``size - 1`` bytes ahead of the consumer
(``new_prod_pos - cons_pos > rb->mask`` refuses): the same strict bound as the
seq_file buffer's ``count + len < size``.  A record that does not fit is not written:
``bpf_ringbuf_output()`` returns ``-EAGAIN`` and the record is lost (a *drop*); the
program goes on.  User space consumes records (libbpf's ``ring_buffer__consume``:
:meth:`BpfRingbuf.consume`), which makes room again.

Example::

    >>> rb = ringbuf_map_alloc(4096)
    >>> [bpf_ringbuf_output(rb, b"12345678") for _ in range(256)].count(-11)   # -EAGAIN
    1
    >>> len(rb.consume()), bpf_ringbuf_output(rb, b"x")
    (255, 0)
"""

from __future__ import annotations

import errno

#: include/uapi/linux/bpf.h
BPF_RINGBUF_BUSY_BIT = 1 << 31
BPF_RINGBUF_DISCARD_BIT = 1 << 30
BPF_RINGBUF_HDR_SZ = 8
BPF_RB_NO_WAKEUP = 1 << 0
BPF_RB_FORCE_WAKEUP = 1 << 1
#: kernel/bpf/ringbuf.c: "maximum size of ring buffer area is limited by 32-bit page offset
#: within a record header, counted in pages"; a record is at most UINT_MAX / 4 bytes
RINGBUF_MAX_RECORD_SZ = 0xFFFFFFFF // 4
RINGBUF_CREATE_FLAG_MASK = 1 << 10          # BPF_F_NUMA_NODE


def round_up(x: int, y: int) -> int:
    """``round_up()`` (include/linux/math.h) for a power of 2 ``y``."""
    return (x + y - 1) & ~(y - 1)


class BpfRingbuf:
    """``struct bpf_ringbuf``: ``mask`` (size - 1), ``consumer_pos``, ``producer_pos``,
    ``pending_pos`` and the records between the consumer and the producer
    (``records``: position -> data).  Every record here is committed at once
    (``bpf_ringbuf_output`` reserves, copies and submits in one call)."""

    __slots__ = ("mask", "consumer_pos", "producer_pos", "pending_pos", "records",
                 "dropped")

    def __init__(self, data_sz: int) -> None:
        self.mask = data_sz - 1
        self.consumer_pos = 0
        self.producer_pos = 0
        self.pending_pos = 0
        self.records: dict[int, bytes] = {}
        self.dropped = 0            #: -EAGAIN answers so far (not a kernel field: a count)

    @property
    def size(self) -> int:
        """``ringbuf_total_data_sz()``: ``mask + 1`` bytes."""
        return self.mask + 1

    def avail_data(self) -> int:
        """``ringbuf_avail_data_sz()``: bytes written and not yet consumed (headers
        included), what ``bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA)`` returns."""
        return self.producer_pos - self.consumer_pos

    def consume(self) -> list[bytes]:
        """User space: every committed record, oldest first, and move ``consumer_pos``
        past them (libbpf's ``ring_buffer__consume``; not kernel code)."""
        out = []
        pos = self.consumer_pos
        while pos < self.producer_pos:
            data = self.records.pop(pos)
            out.append(data)
            pos += round_up(len(data) + BPF_RINGBUF_HDR_SZ, 8)
        self.consumer_pos = pos
        return out

    def state(self) -> tuple[int, int, int, dict[int, bytes], int]:
        """A copy of the positions and records (to undo a program the verifier refused)."""
        return (self.consumer_pos, self.producer_pos, self.pending_pos, dict(self.records),
                self.dropped)

    def restore(self, st: tuple[int, int, int, dict[int, bytes], int]) -> None:
        """Put back a :meth:`state`."""
        (self.consumer_pos, self.producer_pos, self.pending_pos, self.records,
         self.dropped) = st[0], st[1], st[2], dict(st[3]), st[4]

    def __repr__(self) -> str:
        return (f"<BpfRingbuf {self.size} bytes, {len(self.records)} records waiting, "
                f"{self.avail_data()} bytes used, {self.dropped} dropped>")


def ringbuf_map_alloc(max_entries: int, map_flags: int = 0, page_size: int = 4096
                      ) -> BpfRingbuf:
    """``ringbuf_map_alloc()`` (kernel/bpf/ringbuf.c): ``max_entries`` is the data size,
    a power of 2 and a multiple of the page size, else ``EINVAL`` (raised as OSError,
    as ``bpf_map_create`` fails)."""
    if map_flags & ~RINGBUF_CREATE_FLAG_MASK:
        raise OSError(errno.EINVAL, f"ring buffer map_flags {map_flags:#x}: EINVAL")
    if (max_entries <= 0 or max_entries & (max_entries - 1)
            or max_entries % page_size):
        raise OSError(errno.EINVAL, f"Invalid argument: a ring buffer's size must be a power "
                                    f"of 2 and a multiple of the page size ({page_size}), "
                                    f"not {max_entries}")
    return BpfRingbuf(max_entries)


def __bpf_ringbuf_reserve(rb: BpfRingbuf, size: int) -> int | None:
    """``__bpf_ringbuf_reserve()`` (kernel/bpf/ringbuf.c): room for a record of ``size``
    bytes: its position, or NULL (None) when it does not fit."""
    if size > RINGBUF_MAX_RECORD_SZ:
        return None

    len_ = round_up(size + BPF_RINGBUF_HDR_SZ, 8)
    if len_ > rb.size:
        return None

    cons_pos = rb.consumer_pos
    pend_pos = rb.pending_pos
    prod_pos = rb.producer_pos
    new_prod_pos = prod_pos + len_

    # while (pend_pos < prod_pos) skip committed records: here every record is committed
    # as it is written (no BUSY bit is ever left set), so the walk ends at prod_pos
    pend_pos = max(pend_pos, prod_pos)
    rb.pending_pos = pend_pos

    # check for out of ringbuf space:
    # - by ensuring producer position doesn't advance more than (ringbuf_size - 1) ahead
    # - by ensuring oldest not yet committed record until newest record does not span
    #   more than (ringbuf_size - 1)
    if new_prod_pos - cons_pos > rb.mask or new_prod_pos - pend_pos > rb.mask:
        return None

    rb.producer_pos = new_prod_pos
    return prod_pos


def bpf_ringbuf_output(rb: BpfRingbuf, data: bytes, flags: int = 0) -> int:
    """``bpf_ringbuf_output()`` (kernel/bpf/ringbuf.c): copy ``data`` into a new record
    and submit it: 0, ``-EINVAL`` for unknown flags, ``-EAGAIN`` when it does not fit
    (the record is dropped; nothing else happens)."""
    if flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP):
        return -errno.EINVAL

    rec = __bpf_ringbuf_reserve(rb, len(data))
    if rec is None:
        rb.dropped += 1
        return -errno.EAGAIN

    rb.records[rec] = bytes(data)               # memcpy(rec, data, size); bpf_ringbuf_commit()
    return 0
