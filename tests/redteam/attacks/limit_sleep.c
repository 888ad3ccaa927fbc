/*
 * limit_sleep: sleep for an hour (poll_oneoff on a clock), then poll a
 * far-future absolute time.
 *
 * Run with --timeout 1s. A sleeping guest uses no fuel, so only the
 * deadline can end it. Proves: sleeps never run past the deadline (exit 4
 * in about a second).
 */
#include <unistd.h>
#include <wasi/api.h>

#include "attack.h"

int main(void)
{
	__wasi_subscription_t sub = {0};
	__wasi_event_t ev;
	uint32_t n = 0;

	sleep(3600);
	sub.u.tag = __WASI_EVENTTYPE_CLOCK;
	sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
	sub.u.u.clock.timeout = UINT64_MAX;
	sub.u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
	raw_poll_oneoff(P(&sub), P(&ev), 1, P(&n));
	blocked("the sleeps returned early (the deadline should have stopped the tool)");
}
