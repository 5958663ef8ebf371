// SPDX-License-Identifier: MIT
/*
 * cgroup_iter.bpf.c: the two programs cgiter_edu runs on the real kernel.
 *
 *   cgroup_id_printer  the kernel selftest's program (tools/testing/selftests/bpf/
 *                      progs/cgroup_iter.c); twin of cgiter_edu.programs.IdPrinter
 *   cgroup_record      fixed-size records; twin of cgiter_edu.programs.Record (the
 *                      program of the recorded walks in tests/data/)
 *   cgroup_printf      one bpf_seq_printf() with a format and arguments from user space
 *                      (map printf_in), its return value to printf_out; the proof of
 *                      cgiter_edu.kernel.helpers' format rules (cgiter_edu/live/printf.py)
 *
 * Both write exactly the bytes their Python twins write, helper call for helper call,
 * so the seq_file buffer fills (and overflows) the same way on both sides.
 *
 * Parameters are global variables in .bss (struct cgiter_params), written by the
 * Python side before each walk.  Three of them serve the mirroring of an emulated
 * hierarchy onto real cgroups (cgiter_edu/live/mirror.py):
 *   translate    print, and compare stop/skip/terminal ids against, the *emulated* id
 *                of each cgroup (looked up in id_map: real id -> emulated id), so the
 *                output is byte for byte what the emulator prints, whatever the widths
 *   alias_*      one more entry of that map, for the v2 root when a walk really starts
 *                there (attached with neither fd nor id)
 *   boundary_id  a real id after which the program returns 1: the scratch cgroup that
 *                stands for the emulated root, so an ANCESTORS_UP walk ends there as
 *                the emulator's ends at its root (like the selftest's terminal_cgroup)
 */
#include "cgiter_vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

/* the most pads cgroup_record writes for one cgroup: 256 pages, past any buffer */
#define BIG_MAX 256

struct cgiter_params {
	/* cgroup_id_printer (the selftest's two globals) */
	__u64 terminal_cgroup;
	__u64 terminate_early;
	/* cgroup_record */
	__u64 rec_bytes;
	__u64 has_stop;
	__u64 stop_id;
	__u64 has_skip;
	__u64 skip_id;
	__u64 silent;
	__u64 has_big;
	__u64 big_id;
	__u64 big_k;
	/* mirroring */
	__u64 translate;
	__u64 alias_real;
	__u64 alias_emu;
	__u64 boundary_id;
};

volatile struct cgiter_params params;

/* real cgroup id -> emulated id */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 17);
	__type(key, __u64);
	__type(value, __u64);
} id_map SEC(".maps");

#define D1 "."
#define D2 D1 D1
#define D4 D2 D2
#define D8 D4 D4
#define D16 D8 D8
#define D32 D16 D16
#define D64 D32 D32
#define D128 D64 D64
#define D256 D128 D128
#define D512 D256 D256
#define D1024 D512 D512
#define D2048 D1024 D1024

/*
 * The 4096-byte pad: 4095 dots, then a newline.  The second 4096 bytes are never
 * written out; they are there so the verifier can see that "the last n bytes of the
 * pad" (pad + 4096 - n, n bytes, n < 4096) stays inside the array.
 */
static const char pad[8192] = D2048 D1024 D512 D256 D128 D64 D32 D16 D8 D4 D2 D1 "\n";

static __always_inline __u64 shown_id(__u64 real)
{
	__u64 *emu;

	if (!params.translate)
		return real;
	if (params.alias_real && real == params.alias_real)
		return params.alias_emu;
	emu = bpf_map_lookup_elem(&id_map, &real);
	return emu ? *emu : real;
}

SEC("iter/cgroup")
int cgroup_id_printer(struct bpf_iter__cgroup *ctx)
{
	static const char epilogue[] = "epilogue\n";
	static const char prologue[] = "prologue\n";
	static const char fmt[] = "%8llu\n";
	struct seq_file *seq = ctx->meta->seq;
	struct cgroup *cgrp = ctx->cgroup;
	__u64 real, id, args[1];
	int ret;

	/* epilogue */
	if (cgrp == NULL) {
		bpf_seq_printf(seq, epilogue, sizeof(epilogue), NULL, 0);
		return 0;
	}

	/* prologue */
	if (ctx->meta->seq_num == 0)
		bpf_seq_printf(seq, prologue, sizeof(prologue), NULL, 0);

	real = cgrp->kn->id;
	id = shown_id(real);
	args[0] = id;
	bpf_seq_printf(seq, fmt, sizeof(fmt), args, sizeof(args));

	if (params.terminal_cgroup == id)
		ret = 1;
	else
		ret = params.terminate_early ? 1 : 0;
	if (params.boundary_id && real == params.boundary_id)
		ret = 1;
	return ret;
}

SEC("iter/cgroup")
int cgroup_record(struct bpf_iter__cgroup *ctx)
{
	static const char fmt_e[] = "E %llu\n";
	static const char fmt_c[] = "C %010llu %010llu\n";
	struct seq_file *seq = ctx->meta->seq;
	struct cgroup *cgrp = ctx->cgroup;
	__u64 seq_num = ctx->meta->seq_num;
	__u64 real, id, rec_bytes, big_k, n, off, args[2];
	int at_boundary, i;

	/* epilogue */
	if (cgrp == NULL) {
		args[0] = seq_num;
		bpf_seq_printf(seq, fmt_e, sizeof(fmt_e), args, sizeof(args[0]));
		return 0;
	}

	real = cgrp->kn->id;
	at_boundary = params.boundary_id && real == params.boundary_id;
	if (params.silent)
		return at_boundary;
	id = shown_id(real);
	if (params.has_skip && id == params.skip_id)
		return at_boundary;

	if (params.has_big && id == params.big_id) {
		big_k = params.big_k;
		for (i = 0; i < BIG_MAX; i++) {
			if (i >= big_k)
				break;
			bpf_seq_write(seq, pad, 4096);
		}
	}

	args[0] = id;
	args[1] = seq_num;
	bpf_seq_printf(seq, fmt_c, sizeof(fmt_c), args, sizeof(args));

	rec_bytes = params.rec_bytes;
	if (rec_bytes > 24) {
		n = (rec_bytes - 24) & 4095;
		if (n) {
			off = 4096 - n;
			/* keep off a plain number in [1, 4095] for the verifier */
			asm volatile("" : "+r"(off));
			bpf_seq_write(seq, pad + off, n);
		}
	}

	if (params.has_stop && id == params.stop_id)
		return 1;
	return at_boundary;
}

/*
 * cgroup_printf: the format and the arguments come from user space (printf_in), so one
 * loaded program tries any format.  On the first cgroup it writes `pre` pad bytes with
 * bpf_seq_write (to put the buffer where a case wants it), then calls
 * bpf_seq_printf(seq, fmt, sizeof(fmt), args, data_len) once and stores the return
 * value in printf_out.  It also stores there the kernel address of printf_in's strs:
 * user space puts strings (for %s, %pks) and IP addresses (%pI4...) in strs and passes
 * their addresses as arguments, as a program passes a pointer.
 */
#define PF_ARGS 16
#define PF_FMT 1024
#define PF_STRS 4096

struct printf_case {
	__u64 data_len;		/* the helper's data_len: 8 * arguments (the kernel checks it) */
	__u64 pre;		/* pad bytes written first (bpf_seq_write), at most 32767 */
	__u64 args[PF_ARGS];
	char fmt[PF_FMT];	/* always ends with a 0 byte within PF_FMT */
	char strs[PF_STRS];
};

struct printf_result {
	__s64 ret;		/* what bpf_seq_printf returned */
	__u64 strs_addr;	/* the kernel address of printf_in's strs */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct printf_case);
} printf_in SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct printf_result);
} printf_out SEC(".maps");

SEC("iter/cgroup")
int cgroup_printf(struct bpf_iter__cgroup *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct printf_result *out;
	struct printf_case *c;
	__u64 data_len, left, n, off;
	__u32 key = 0;
	int i;

	if (ctx->cgroup == NULL || ctx->meta->seq_num != 0)
		return 0;
	c = bpf_map_lookup_elem(&printf_in, &key);
	out = bpf_map_lookup_elem(&printf_out, &key);
	if (!c || !out)
		return 0;
	out->strs_addr = (__u64)(long)c->strs;

	/* pre = 4096 * k + n: k whole pads, then the last n bytes of the pad (as cgroup_record) */
	left = c->pre;
	for (i = 0; i < 8; i++) {
		if (i >= left / 4096)
			break;
		bpf_seq_write(seq, pad, 4096);
	}
	n = left & 4095;
	if (n) {
		off = 4096 - n;
		asm volatile("" : "+r"(off));
		bpf_seq_write(seq, pad + off, n);
	}

	data_len = c->data_len;
	if (data_len > sizeof(c->args))
		data_len = sizeof(c->args);
	out->ret = bpf_seq_printf(seq, c->fmt, sizeof(c->fmt), c->args, data_len);
	return 0;
}
