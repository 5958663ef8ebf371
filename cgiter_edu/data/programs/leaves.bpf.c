// SPDX-License-Identifier: MIT
/*
 * leaves.bpf.c: lesson 7's third exercise as a real BPF program.
 *
 * "<id> <level>" for each leaf cgroup, in pre-order.  The program never sees a
 * cgroup's children, but in pre-order they come right after it: the cgroup
 * before this one was a leaf exactly when this one is not deeper, and the last
 * cgroup of the walk is a leaf, which only the epilogue call can tell.
 */
#include "cgiter_vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

/*
 * The cgroup before this one.  Globals live in a map (.bss): they keep their
 * values from one call to the next, and from one walk to the next too.
 */
__u64 prev_id;
int prev_level;
int have_prev;

SEC("iter/cgroup")
int leaves(struct bpf_iter__cgroup *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct cgroup *cgrp = ctx->cgroup;

	if (cgrp != NULL && ctx->meta->seq_num == 0)
		have_prev = 0;		/* a new walk: forget the last one */

	/* the cgroup before was a leaf if this one is not deeper, or if none comes */
	if (have_prev && (cgrp == NULL || cgrp->level <= prev_level))
		BPF_SEQ_PRINTF(seq, "%llu %d\n", prev_id, prev_level);

	if (cgrp == NULL) {		/* the epilogue call */
		have_prev = 0;
		return 0;
	}
	prev_id = cgrp->kn->id;
	prev_level = cgrp->level;
	have_prev = 1;
	return 0;
}
