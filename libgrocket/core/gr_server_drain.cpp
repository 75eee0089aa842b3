/* gr_server_drain.cpp - the graceful stop: stop accepting, let every busy
 * connection finish what it has started, close the idle ones, and stop hard
 * (gr_server_stop) once all are gone or the grace period is over.
 *
 * The work is done by the connections' owners: gr_server_drain only closes
 * the door and raises `draining`; each tcp_in thread then closes its idle
 * connections on every pass of its loop and publishes how many are left
 * (gr_tcp_in.cpp, drain_step), and HTTP replies made meanwhile carry
 * "Connection: close" (gr_http_response.cpp). */

#include "gr_error.h"
#include "gr_log.h"
#include "gr_server.h"

void gr_server_drain(gr_server_t *s)
{
    if (!s->running || s->draining.load(std::memory_order_relaxed))
        return;
    gr_server_stop_accepting(s);
    s->draining.store(1, std::memory_order_release);
    for (int i = 0; i < s->counts[GR_GROUP_IN]; i++)
        gr_poll_wake(s->groups[GR_GROUP_IN][i].poll);
}

int gr_server_drain_left(const gr_server_t *s)
{
    if (!s->running)
        return 0;
    if (!s->draining.load(std::memory_order_acquire))
        return -1;
    int left = 0;
    for (int i = 0; i < s->counts[GR_GROUP_IN]; i++) {
        int n = s->groups[GR_GROUP_IN][i].in->drain_left.load(std::memory_order_acquire);
        left += n < 0 ? 1 : n; /* not looked yet: at least one may be open */
    }
    return left;
}

int gr_server_stop_graceful(gr_server_t *s, int grace_ms)
{
    if (grace_ms < 0)
        grace_ms = gr_settings_live(s)->stop_grace_period * 1000;
    int left = 0;
    if (s->running && grace_ms > 0) {
        gr_server_drain(s);
        int64_t end = gr_clock_ms() + grace_ms;
        while ((left = gr_server_drain_left(s)) != 0 && gr_clock_ms() < end)
            gr_sleep_ms(5);
        if (left)
            GR_WARN("graceful stop: %d connection(s) still busy after %d ms; closing them", left, grace_ms);
    }
    gr_server_stop(s);
    return left;
}
