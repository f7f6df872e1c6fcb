/*
 * pending: the debounce set on a real libevent loop with real timers.
 * Times are asserted with generous margins: they check the policy (at
 * once, after quiet, at the cap), not the machine's speed.
 */
#include <stdlib.h>
#include <string.h>

#include "tlib.h"

#include <event2/event.h>

#include "pending.h"
#include "watch.h"

struct fired {
	char	 path[64];
	double	 at;
	unsigned flags;
	bool	 still_open;
	bool	 moved;
	char	 moved_from[64];
	bool	 moved_record;
	pid_t	 pid;
};

struct harness {
	struct event_base *base;
	struct pending *p;
	struct fired f[64];
	int	 n;
	bool	 auto_done;	/* call pending_done from the callback */
	double	 t0;
};

static void
on_fire(const char *path, size_t len, const struct pending_info *info,
    void *arg)
{
	struct harness *h = arg;
	struct fired *f = &h->f[h->n++];

	assert_true(h->n <= 64);
	snprintf(f->path, sizeof(f->path), "%.*s", (int)len, path);
	f->at = tlib_now() - h->t0;
	f->flags = info->flags;
	f->still_open = info->still_open;
	f->moved = info->move.from != NULL;
	f->moved_record = info->move.old != NULL;
	if (f->moved)
		snprintf(f->moved_from, sizeof(f->moved_from), "%.*s",
		    (int)info->move.from_len, info->move.from);
	f->pid = info->proc != NULL ? info->proc->pid : 0;
	if (h->auto_done)
		pending_done(h->p, path, len);
}

static void
setup_h(struct harness *h, uint64_t debounce, uint64_t max, size_t cap)
{
	memset(h, 0, sizeof(*h));
	h->base = event_base_new();
	h->p = pending_new(h->base, debounce, max, cap, on_fire, h);
	h->auto_done = true;
	h->t0 = tlib_now();
}

static void
teardown_h(struct harness *h)
{
	pending_free(h->p);
	event_base_free(h->base);
}

/* Run the loop for ms milliseconds. */
static void
run_ms(struct harness *h, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(h->base, &tv);
	event_base_dispatch(h->base);
}

static void
test_close_fires_at_once(void **state)
{
	struct harness h;

	(void)state;
	setup_h(&h, 200, 2000, 16);
	assert_int_equal(pending_touch(h.p, "/t/f", 4, WEV_MODIFY, NULL), 0);
	assert_int_equal(pending_touch(h.p, "/t/f", 4, WEV_CLOSE_WRITE, NULL),
	    0);
	run_ms(&h, 100);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.f[0].path, "/t/f");
	assert_true(h.f[0].at < 0.05);
	assert_int_equal(h.f[0].flags, WEV_MODIFY | WEV_CLOSE_WRITE);
	assert_int_equal(pending_count(h.p), 0);
	teardown_h(&h);
}

static void
test_modify_waits_for_quiet(void **state)
{
	struct harness h;
	int i;

	(void)state;
	setup_h(&h, 100, 2000, 16);
	for (i = 0; i < 10; i++) {
		assert_int_equal(pending_touch(h.p, "/t/f", 4, WEV_MODIFY, NULL),
		    0);
		run_ms(&h, 15);
	}
	assert_int_equal(h.n, 0);	/* still inside the burst */
	run_ms(&h, 250);
	assert_int_equal(h.n, 1);
	assert_false(h.f[0].still_open);
	assert_true(h.f[0].at > 0.2 && h.f[0].at < 0.4);
	teardown_h(&h);
}

/* A writer that never stops and never closes is hashed at the cap. */
static void
test_cap_still_open(void **state)
{
	struct harness h;
	int i;

	(void)state;
	setup_h(&h, 100, 400, 16);
	for (i = 0; i < 30 && h.n == 0; i++) {
		pending_touch(h.p, "/t/log", 6, WEV_MODIFY, NULL);
		run_ms(&h, 20);
	}
	assert_int_equal(h.n, 1);
	assert_true(h.f[0].still_open);
	assert_true(h.f[0].at > 0.35 && h.f[0].at < 0.6);
	teardown_h(&h);
}

/* Open-write-close again and again is a burst: one probe, after quiet. */
static void
test_repeated_closes_are_a_burst(void **state)
{
	struct harness h;
	int i;

	(void)state;
	setup_h(&h, 100, 2000, 16);
	h.auto_done = false;
	for (i = 0; i < 50; i++) {
		pending_touch(h.p, "/t/a", 4, WEV_MODIFY | WEV_CLOSE_WRITE,
		    NULL);
		run_ms(&h, 2);
	}
	/* The first close fired; the rest queued behind its probe. */
	assert_int_equal(h.n, 1);
	pending_done(h.p, "/t/a", 4);
	run_ms(&h, 50);
	assert_int_equal(h.n, 1);	/* a burst: waiting for quiet */
	h.auto_done = true;
	run_ms(&h, 200);
	assert_int_equal(h.n, 2);
	teardown_h(&h);
}

/* Events during a probe give exactly one more probe after it. */
/*
 * Closes spaced so that each probe ends before the next close (a slow
 * writer, or one preempted on a busy machine) are still one burst: the
 * first is hashed at once, the rest wait for quiet, and the path stays
 * out of the pending count in between.
 */
static void
test_spaced_closes_are_a_burst(void **state)
{
	struct harness h;
	int i;

	(void)state;
	setup_h(&h, 150, 5000, 16);
	for (i = 0; i < 10; i++) {
		assert_int_equal(pending_touch(h.p, "/t/a", 4,
		    WEV_MODIFY | WEV_CLOSE_WRITE, NULL), 0);
		run_ms(&h, 30);
	}
	assert_int_equal(h.n, 1);	/* the first close, at once */
	assert_true(h.f[0].at < 0.05);
	run_ms(&h, 300);
	assert_int_equal(h.n, 2);	/* the rest, after the quiet */
	assert_int_equal(pending_count(h.p), 0);
	/* Once the window has passed, a lone close is hashed at once. */
	run_ms(&h, 200);
	h.t0 = tlib_now();
	assert_int_equal(pending_touch(h.p, "/t/a", 4, WEV_CLOSE_WRITE, NULL),
	    0);
	run_ms(&h, 50);
	assert_int_equal(h.n, 3);
	assert_true(h.f[2].at < 0.04);
	teardown_h(&h);
}

static void
test_touch_while_probing(void **state)
{
	struct procinfo pi;
	struct harness h;

	(void)state;
	setup_h(&h, 50, 2000, 16);
	h.auto_done = false;
	pending_touch(h.p, "/t/f", 4, WEV_CLOSE_WRITE, NULL);
	run_ms(&h, 20);
	assert_int_equal(h.n, 1);
	procinfo_init(&pi);
	pi.pid = 4242;
	pending_touch(h.p, "/t/f", 4, WEV_ATTRIB, &pi);
	pending_touch(h.p, "/t/f", 4, WEV_ATTRIB, NULL);
	run_ms(&h, 100);
	assert_int_equal(h.n, 1);	/* no second probe while one runs */
	pending_done(h.p, "/t/f", 4);
	h.auto_done = true;
	run_ms(&h, 100);
	assert_int_equal(h.n, 2);
	assert_int_equal(h.f[1].flags, WEV_ATTRIB);
	assert_int_equal(h.f[1].pid, 4242);
	assert_int_equal(pending_count(h.p), 0);
	teardown_h(&h);
}

static void
test_bound_rename_moved_clear(void **state)
{
	struct harness h;
	struct record rec;
	struct pending_move mv = { 0 };

	(void)state;
	setup_h(&h, 50, 2000, 2);
	assert_int_equal(pending_touch(h.p, "/a", 2, WEV_MODIFY, NULL), 0);
	assert_int_equal(pending_touch(h.p, "/b", 2, WEV_MODIFY, NULL), 0);
	assert_int_equal(pending_touch(h.p, "/c", 2, WEV_MODIFY, NULL),
	    -ENOSPC);
	assert_int_equal(pending_touch(h.p, "/a", 2, WEV_ATTRIB, NULL), 0);
	pending_rename(h.p, "/a", 2, "/z", 2, false);
	record_init(&rec);
	rec.size = 7;
	mv.from = "/old";
	mv.from_len = 4;
	mv.old = &rec;
	assert_int_equal(pending_moved(h.p, "/b", 2, WEV_RENAME, &mv, NULL),
	    0);
	run_ms(&h, 200);
	assert_int_equal(h.n, 2);
	assert_true((strcmp(h.f[0].path, "/z") == 0 && h.f[1].moved &&
	    strcmp(h.f[1].moved_from, "/old") == 0) ||
	    (strcmp(h.f[1].path, "/z") == 0 && h.f[0].moved &&
	    strcmp(h.f[0].moved_from, "/old") == 0));
	pending_touch(h.p, "/q", 2, WEV_MODIFY, NULL);
	pending_clear(h.p);
	assert_int_equal(pending_count(h.p), 0);
	run_ms(&h, 150);
	assert_int_equal(h.n, 2);
	teardown_h(&h);
}


/* A new file's close waits for the window; a lone writer's does not. */
static void
test_created_waits(void **state)
{
	struct harness h;

	(void)state;
	setup_h(&h, 150, 2000, 100);
	assert_int_equal(pending_touch(h.p, "/new", 4, WEV_CREATE |
	    WEV_MODIFY | WEV_CLOSE_WRITE, NULL), 0);
	run_ms(&h, 60);
	assert_int_equal(h.n, 0);
	run_ms(&h, 250);
	assert_int_equal(h.n, 1);
	assert_true(h.f[0].at >= 0.14);
	teardown_h(&h);
}

/*
 * sed -i, dpkg, editors: a temp file written and renamed over a covered
 * path within the window fires once, at the destination, naming the temp
 * file, at once (its writer closed it), and never under its temp name.
 */
static void
test_temp_renamed_into_place(void **state)
{
	struct harness h;
	struct pending_move mv = { .from = "/dir/.sedAb12", .from_len = 13 };

	(void)state;
	setup_h(&h, 200, 2000, 100);
	assert_int_equal(pending_touch(h.p, "/dir/.sedAb12", 13, WEV_CREATE |
	    WEV_MODIFY | WEV_CLOSE_WRITE, NULL), 0);
	pending_rename(h.p, "/dir/.sedAb12", 13, "/dir/conf", 9, false);
	assert_int_equal(pending_moved(h.p, "/dir/conf", 9, WEV_MOVED_TO, &mv,
	    NULL), 0);
	run_ms(&h, 100);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.f[0].path, "/dir/conf");
	assert_true(h.f[0].moved);
	assert_false(h.f[0].moved_record);
	assert_string_equal(h.f[0].moved_from, "/dir/.sedAb12");
	assert_false(h.f[0].flags & WEV_CREATE);
	assert_true(h.f[0].flags & WEV_CLOSE_WRITE);
	run_ms(&h, 400);
	assert_int_equal(h.n, 1);
	teardown_h(&h);
}

/*
 * A probe in flight when its name is renamed away is stale, and the
 * path is probed again afterwards; the move it carried goes to the new
 * name, so a->b->c is reported as one move from a.
 */
static void
test_stale_probe_redone(void **state)
{
	struct harness h;
	struct record rec;
	struct pending_move ab = { .from = "/a", .from_len = 2 };
	struct pending_move bc = { .from = "/b", .from_len = 2 };

	(void)state;
	setup_h(&h, 50, 2000, 100);
	h.auto_done = false;
	record_init(&rec);
	ab.old = &rec;
	bc.old = &rec;
	assert_int_equal(pending_moved(h.p, "/b", 2, WEV_RENAME, &ab, NULL), 0);
	run_ms(&h, 30);
	assert_int_equal(h.n, 0);		/* a move waits the window */
	run_ms(&h, 60);
	assert_int_equal(h.n, 1);		/* /b probing */
	assert_false(pending_stale(h.p, "/b", 2));
	pending_rename(h.p, "/b", 2, "/c", 2, false);
	assert_int_equal(pending_moved(h.p, "/c", 2, WEV_RENAME, &bc, NULL), 0);
	assert_true(pending_stale(h.p, "/b", 2));
	pending_done(h.p, "/b", 2);
	h.auto_done = true;
	run_ms(&h, 200);
	assert_int_equal(h.n, 3);
	assert_false(pending_stale(h.p, "/b", 2));
	/* /b again (gone now, its probe will say) and /c, from /a. */
	assert_true((strcmp(h.f[1].path, "/b") == 0 &&
	    strcmp(h.f[2].path, "/c") == 0) || (strcmp(h.f[1].path, "/c") == 0 &&
	    strcmp(h.f[2].path, "/b") == 0));
	if (strcmp(h.f[1].path, "/c") == 0) {
		assert_string_equal(h.f[1].moved_from, "/a");
		assert_false(h.f[2].moved);
	} else {
		assert_string_equal(h.f[2].moved_from, "/a");
		assert_false(h.f[1].moved);
	}
	teardown_h(&h);
}

/* a->b->a within the window: judged at a as if it never moved. */
static void
test_round_trip_is_no_move(void **state)
{
	struct harness h;
	struct record rec;
	struct pending_move ab = { .from = "/a", .from_len = 2 };
	struct pending_move ba = { .from = "/b", .from_len = 2 };

	(void)state;
	setup_h(&h, 50, 2000, 100);
	record_init(&rec);
	ab.old = &rec;
	ba.old = &rec;
	assert_int_equal(pending_moved(h.p, "/b", 2, WEV_RENAME, &ab, NULL), 0);
	pending_rename(h.p, "/b", 2, "/a", 2, false);
	assert_int_equal(pending_moved(h.p, "/a", 2, WEV_RENAME, &ba, NULL), 0);
	run_ms(&h, 150);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.f[0].path, "/a");
	assert_false(h.f[0].moved);
	teardown_h(&h);
}

/* A directory's rename carries the waiting entries below it along. */
static void
test_dir_rename_moves_children(void **state)
{
	struct harness h;

	(void)state;
	setup_h(&h, 50, 2000, 100);
	assert_int_equal(pending_touch(h.p, "/d/x", 4, WEV_MODIFY, NULL), 0);
	assert_int_equal(pending_touch(h.p, "/dx", 3, WEV_MODIFY, NULL), 0);
	pending_rename(h.p, "/d", 2, "/e", 2, true);
	run_ms(&h, 150);
	assert_int_equal(h.n, 2);
	assert_true((strcmp(h.f[0].path, "/e/x") == 0 &&
	    strcmp(h.f[1].path, "/dx") == 0) ||
	    (strcmp(h.f[1].path, "/e/x") == 0 &&
	    strcmp(h.f[0].path, "/dx") == 0));
	teardown_h(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_close_fires_at_once),
		cmocka_unit_test(test_modify_waits_for_quiet),
		cmocka_unit_test(test_cap_still_open),
		cmocka_unit_test(test_created_waits),
		cmocka_unit_test(test_temp_renamed_into_place),
		cmocka_unit_test(test_stale_probe_redone),
		cmocka_unit_test(test_round_trip_is_no_move),
		cmocka_unit_test(test_dir_rename_moves_children),
		cmocka_unit_test(test_repeated_closes_are_a_burst),
		cmocka_unit_test(test_spaced_closes_are_a_burst),
		cmocka_unit_test(test_touch_while_probing),
		cmocka_unit_test(test_bound_rename_moved_clear),
	};

	return cmocka_run_group_tests_name("pending", tests, NULL, NULL);
}
