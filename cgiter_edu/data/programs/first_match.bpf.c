// SPDX-License-Identifier: MIT
/*
 * first_match.bpf.c: lesson 7's first exercise as a real BPF program.
 *
 * One line per cgroup, "<id> <name>", and the walk stops right after the first
 * cgroup named "web" (its own line printed).  The epilogue prints nothing.
 * It prints, byte for byte, what a right Python program prints on the same tree
 * (tests/test_handson_live.py runs both on a mirrored tree).
 */
#include "cgiter_vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

/* in .rodata, read-only: bpf_strncmp() compares against a constant string only */
static const char target[] = "web";

SEC("iter/cgroup")
int first_match(struct bpf_iter__cgroup *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct cgroup *cgrp = ctx->cgroup;
	/* one byte more than "web" and its 0: a longer name ("webby") stays different */
	char name[sizeof(target) + 1];

	if (cgrp == NULL)		/* the epilogue call: nothing to print */
		return 0;

	BPF_SEQ_PRINTF(seq, "%llu %s\n", cgrp->kn->id, cgrp->kn->name);

	/* copy the name out of the kernel to compare it */
	if (bpf_probe_read_kernel_str(name, sizeof(name), cgrp->kn->name) < 0)
		return 0;
	if (bpf_strncmp(name, sizeof(name), target) == 0)
		return 1;		/* stop: no cgroup after this one */
	return 0;
}
