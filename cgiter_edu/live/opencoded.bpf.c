// SPDX-License-Identifier: MIT
/*
 * opencoded.bpf.c: the open-coded walks cgiter_edu runs on the real kernel (Linux 6.7+),
 * the C twins of cgiter_edu.opencoded.css_walk / task_walk.
 *
 *   css_walk      SEC("syscall"), run with bpf_prog_test_run_opts: from the cgroup
 *                 params.start_id walk with bpf_iter_css_new(params.flags), one
 *                 struct css_rec per cgroup into a ring buffer; stop after
 *                 params.stop_id (the scratch cgroup, so ANCESTORS_UP ends where the
 *                 emulated root is)
 *   task_walk     SEC("syscall"): the tasks of params.start_id with
 *                 bpf_iter_css_task_new(params.flags), one struct task_rec each
 *   css_walk_iter SEC("iter/cgroup"), attached SELF_ONLY: the same walk from
 *                 ctx->cgroup inside a cgroup iterator -- not sleepable, so already in
 *                 an RCU read section; nothing goes to the seq_file
 *   css_print_iter SEC("iter/cgroup"), attached SELF_ONLY: the same loop, but each id
 *                 printed to the seq_file ("%8llu\n") -- one show() writes them all, so
 *                 the 8-page limit comes back, all or nothing (E2BIG)
 *
 * and programs the verifier must refuse (SEC("?..."): loaded only when asked):
 *   no_rcu, no_destroy, untrusted_start, unlock_in_loop (syscall), tasks_in_tc (tc).
 *
 * A syscall program is sleepable (libbpf loads SEC("syscall") with BPF_F_SLEEPABLE), so
 * the css iterator (KF_RCU_PROTECTED) needs bpf_rcu_read_lock() around it.
 * The ring buffer is rb_small (4096 bytes) or rb_big (65536), by params.big.
 */
#include "cgiter_vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

extern int bpf_iter_css_new(struct bpf_iter_css *it, struct cgroup_subsys_state *start,
			    unsigned int flags) __ksym;
extern struct cgroup_subsys_state *bpf_iter_css_next(struct bpf_iter_css *it) __ksym;
extern void bpf_iter_css_destroy(struct bpf_iter_css *it) __ksym;
extern int bpf_iter_css_task_new(struct bpf_iter_css_task *it,
				 struct cgroup_subsys_state *css, unsigned int flags) __ksym;
extern struct task_struct *bpf_iter_css_task_next(struct bpf_iter_css_task *it) __ksym;
extern void bpf_iter_css_task_destroy(struct bpf_iter_css_task *it) __ksym;
extern struct cgroup *bpf_cgroup_from_id(__u64 cgid) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

/* libbpf's bpf_for_each (bpf_helpers.h of libbpf 1.2+; Debian's 1.1 lacks it): new once,
 * next until NULL, destroy when the loop's scope ends (the cleanup attribute) */
#define bpf_for_each(type, cur, args...) for (					\
	struct bpf_iter_##type ___it __attribute__((aligned(8),			\
				cleanup(bpf_iter_##type##_destroy))),		\
	*___p __attribute__((unused)) = (					\
		bpf_iter_##type##_new(&___it, ##args),				\
		(void)bpf_iter_##type##_destroy, (void *)0);			\
	(((cur) = bpf_iter_##type##_next(&___it)));				\
)

struct oc_params {
	__u64 start_id;
	__u64 flags;
	__u64 stop_id;
	__u64 big;
	/* out */
	__s64 new_ret;
	__s64 visited;
	__s64 drops;
};

volatile struct oc_params params;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb_small SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 65536);
} rb_big SEC(".maps");

struct css_rec {
	__u64 id;
	__u32 online;
	__u32 level;
};

struct task_rec {
	__u32 pid;
	__u32 tgid;
};

static __always_inline void out(void *rec, __u64 size)
{
	long err = params.big ? bpf_ringbuf_output(&rb_big, rec, size, 0)
			      : bpf_ringbuf_output(&rb_small, rec, size, 0);

	if (err)
		params.drops++;
}

/* one cgroup: its record; 1 when the walk should stop here */
static __always_inline int visit(struct cgroup_subsys_state *pos)
{
	struct css_rec r = {
		.id = pos->cgroup->kn->id,
		.online = pos->flags & CSS_ONLINE,
		.level = pos->cgroup->level,
	};

	params.visited++;
	out(&r, sizeof(r));
	return r.id == params.stop_id;
}

SEC("syscall")
int css_walk(void *ctx)
{
	struct cgroup *cg = bpf_cgroup_from_id(params.start_id);
	struct cgroup_subsys_state *pos;
	struct bpf_iter_css it;

	if (!cg)
		return 1;
	bpf_rcu_read_lock();
	params.new_ret = bpf_iter_css_new(&it, &cg->self, params.flags);
	while ((pos = bpf_iter_css_next(&it)))
		if (visit(pos))
			break;
	bpf_iter_css_destroy(&it);
	bpf_rcu_read_unlock();
	bpf_cgroup_release(cg);
	return 0;
}

SEC("syscall")
int task_walk(void *ctx)
{
	struct cgroup *cg = bpf_cgroup_from_id(params.start_id);
	struct bpf_iter_css_task it;
	struct task_struct *task;

	if (!cg)
		return 1;
	params.new_ret = bpf_iter_css_task_new(&it, &cg->self, params.flags);
	while ((task = bpf_iter_css_task_next(&it))) {
		struct task_rec r = { .pid = task->pid, .tgid = task->tgid };

		params.visited++;
		out(&r, sizeof(r));
	}
	bpf_iter_css_task_destroy(&it);
	bpf_cgroup_release(cg);
	return 0;
}

SEC("iter/cgroup")
int css_walk_iter(struct bpf_iter__cgroup *ctx)
{
	struct cgroup *cg = ctx->cgroup;
	struct cgroup_subsys_state *pos;

	if (!cg)
		return 0;
	bpf_for_each(css, pos, &cg->self, params.flags)
		if (visit(pos))
			break;
	return 0;
}

SEC("iter/cgroup")
int css_print_iter(struct bpf_iter__cgroup *ctx)
{
	static const char fmt[] = "%8llu\n";
	struct seq_file *seq = ctx->meta->seq;
	struct cgroup *cg = ctx->cgroup;
	struct cgroup_subsys_state *pos;

	if (!cg)
		return 0;
	bpf_for_each(css, pos, &cg->self, params.flags) {
		__u64 args[1] = { pos->cgroup->kn->id };

		bpf_seq_printf(seq, fmt, sizeof(fmt), args, sizeof(args));
		if (args[0] == params.stop_id)
			break;
	}
	return 0;
}

/* -- what the verifier refuses ------------------------------------------------------ */

SEC("?syscall")
int no_rcu(void *ctx)
{
	struct cgroup *cg = bpf_cgroup_from_id(params.start_id);
	struct cgroup_subsys_state *pos;
	struct bpf_iter_css it;

	if (!cg)
		return 1;
	bpf_iter_css_new(&it, &cg->self, params.flags);
	while ((pos = bpf_iter_css_next(&it)))
		visit(pos);
	bpf_iter_css_destroy(&it);
	bpf_cgroup_release(cg);
	return 0;
}

SEC("?syscall")
int no_destroy(void *ctx)
{
	struct cgroup *cg = bpf_cgroup_from_id(params.start_id);
	struct cgroup_subsys_state *pos;
	struct bpf_iter_css it;

	if (!cg)
		return 1;
	bpf_rcu_read_lock();
	bpf_iter_css_new(&it, &cg->self, params.flags);
	while ((pos = bpf_iter_css_next(&it)))
		visit(pos);
	bpf_rcu_read_unlock();
	bpf_cgroup_release(cg);
	return 0;
}

SEC("?syscall")
int untrusted_start(void *ctx)
{
	struct cgroup *cg = bpf_cgroup_from_id(params.start_id);
	struct cgroup_subsys_state *pos;
	struct bpf_iter_css it;

	if (!cg)
		return 1;
	bpf_rcu_read_lock();
	bpf_iter_css_new(&it, cg->self.parent, params.flags);
	while ((pos = bpf_iter_css_next(&it)))
		visit(pos);
	bpf_iter_css_destroy(&it);
	bpf_rcu_read_unlock();
	bpf_cgroup_release(cg);
	return 0;
}

SEC("?syscall")
int unlock_in_loop(void *ctx)
{
	struct cgroup *cg = bpf_cgroup_from_id(params.start_id);
	struct cgroup_subsys_state *pos;

	if (!cg)
		return 1;
	bpf_rcu_read_lock();
	bpf_for_each(css, pos, &cg->self, BPF_CGROUP_ITER_DESCENDANTS_POST) {
		bpf_rcu_read_unlock();
		bpf_rcu_read_lock();
	}
	bpf_rcu_read_unlock();
	bpf_cgroup_release(cg);
	return 0;
}

SEC("?tc")
int tasks_in_tc(void *ctx)
{
	struct cgroup *cg = bpf_cgroup_from_id(params.start_id);
	struct bpf_iter_css_task it;
	struct task_struct *task;

	if (!cg)
		return 0;
	bpf_iter_css_task_new(&it, &cg->self, params.flags);
	while ((task = bpf_iter_css_task_next(&it)))
		params.visited++;
	bpf_iter_css_task_destroy(&it);
	bpf_cgroup_release(cg);
	return 0;
}
