// SPDX-License-Identifier: MIT
/*
 * page.bpf.c: lesson 7's second exercise as a real BPF program.
 *
 * One record of exactly 128 bytes per cgroup: the id and the seq_num, each
 * left-aligned in 63 bytes, a space between them and a newline at the end
 * (63 + 1 + 63 + 1 = 128), so 32 records fill a 4096-byte page.  The epilogue
 * prints nothing.
 */
#include "cgiter_vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

SEC("iter/cgroup")
int page(struct bpf_iter__cgroup *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct cgroup *cgrp = ctx->cgroup;

	if (cgrp == NULL)		/* the epilogue call: nothing to print */
		return 0;

	/* a width is a minimum: 63 bytes hold any 64-bit number (20 digits at most) */
	BPF_SEQ_PRINTF(seq, "%-63llu %-63llu\n", cgrp->kn->id, ctx->meta->seq_num);
	return 0;
}
