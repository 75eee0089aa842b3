/* demo_relay.c - the demo's TCP relay (demo_relay.h).
 *
 * Everything of one relayed connection runs on the client connection's
 * processing thread: the outbound connection is opened there, and the
 * client's close (tcp_closing, on its owner thread) is posted there. The
 * client connection is held (conn_hold) from accept until that post ran,
 * so the upstream's callbacks may send to it.
 *
 * Backpressure both ways: past RELAY_BOUND bytes queued towards one side,
 * reading from the other side pauses; a 10 ms timer resumes it below half. */
#include "demo_relay.h"

#include <stdlib.h>
#include <string.h>

#define RELAY_BOUND (256 * 1024)
#define RELAY_CHECK_MS 10

typedef struct relay_t {
    gr_conn_t *client;      /* held until client_gone */
    gr_out_t *up;           /* NULL before start and once gone */
    int thread;             /* the client's processing thread */
    int started;
    int client_paused, up_paused;
    uint64_t timer;         /* the backpressure check; 0: none */
} relay_t;

static const gr_services_t *gr;
static const char *upstream;
static unsigned timeout_ms;

void demo_relay_init(const gr_services_t *services, const char *up, unsigned connect_timeout_ms)
{
    gr = services;
    upstream = up && up[0] ? up : NULL;
    timeout_ms = connect_timeout_ms;
}

int demo_relay_owns(gr_conn_t *conn)
{
    const char *name = upstream ? gr->conn_listen(conn) : NULL;
    return name && strcmp(name, "relay") == 0;
}

static void check_pressure(uint64_t timer, void *arg)
{
    relay_t *r = (relay_t *)arg;
    if (r->client_paused && (!r->up || gr->out_queued(r->up) < RELAY_BOUND / 2)) {
        gr->conn_pause(r->client, 0);
        r->client_paused = 0;
    }
    if (r->up_paused && (!r->up || gr->conn_queued(r->client) < RELAY_BOUND / 2)) {
        if (r->up)
            gr->out_pause(r->up, 0);
        r->up_paused = 0;
    }
    if (!r->client_paused && !r->up_paused) {
        gr->timer_cancel(timer);
        r->timer = 0;
    }
}

static void watch_pressure(relay_t *r)
{
    if (!r->timer)
        r->timer = gr->timer_start(RELAY_CHECK_MS, RELAY_CHECK_MS, check_pressure, r);
}

static void up_connect(gr_out_t *out, void *arg, int error, const char *text)
{
    relay_t *r = (relay_t *)arg;
    if (error == 0)
        return;
    gr->log(GR_LOG_INFO, "relay: upstream %s: %s; closing the client", upstream, text);
    r->up = NULL; /* gone once this returns */
    gr->conn_close(r->client);
}

static void up_package(gr_out_t *out, void *arg, const char *data, size_t len)
{
    relay_t *r = (relay_t *)arg;
    if (gr->conn_send(r->client, data, len) != 0) {
        gr->out_close(out);
        r->up = NULL;
        gr->conn_close(r->client);
        return;
    }
    if (gr->conn_queued(r->client) > RELAY_BOUND) {
        gr->out_pause(out, 1);
        r->up_paused = 1;
        watch_pressure(r);
    }
}

/* The upstream finished sending: so does the client's side, after the
 * bytes before. */
static void up_eof(gr_out_t *out, void *arg)
{
    relay_t *r = (relay_t *)arg;
    gr->conn_shutdown(r->client);
}

static void up_close(gr_out_t *out, void *arg, int error, const char *text)
{
    relay_t *r = (relay_t *)arg;
    r->up = NULL;
    if (error != 0) { /* reset or failed: the client's connection goes too */
        gr->log(GR_LOG_DEBUG, "relay: upstream %s: %s", upstream, text);
        gr->conn_close(r->client);
    }
}

static const gr_out_handler_t up_handler = {
    .size = sizeof(gr_out_handler_t),
    .check = NULL, /* a byte stream */
    .on_connect = up_connect,
    .on_package = up_package,
    .on_eof = up_eof,
    .on_close = up_close,
};

static void start(relay_t *r)
{
    if (r->started)
        return;
    r->started = 1;
    r->up = gr->out_open(upstream, &up_handler, r, timeout_ms);
    if (!r->up)
        gr->conn_close(r->client);
}

static void start_task(void *arg) { start((relay_t *)arg); }

int demo_relay_accept(gr_conn_t *conn)
{
    if (!demo_relay_owns(conn))
        return 0;
    relay_t *r = (relay_t *)calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->client = conn;
    r->thread = gr->conn_thread(conn);
    if (gr->conn_hold(conn) != 0) {
        free(r);
        return -1;
    }
    gr->conn_set_user(conn, r);
    /* tcp_accept runs on an accept thread: the upstream is opened on the
     * client's processing thread. */
    if (gr->post(r->thread, start_task, r) != 0) {
        gr->conn_release(conn);
        free(r);
        return -1;
    }
    return 1;
}

int demo_relay_proc(gr_conn_t *conn, const char *data, size_t len)
{
    relay_t *r = (relay_t *)gr->conn_get_user(conn);
    start(r); /* a worker may take the first bytes before the posted start */
    if (!r->up || gr->out_send(r->up, data, len) != 0)
        return GR_PROC_CLOSE;
    if (r->up && gr->out_queued(r->up) > RELAY_BOUND) {
        gr->conn_pause(conn, 1);
        r->client_paused = 1;
        watch_pressure(r);
    }
    return GR_PROC_OK;
}

void demo_relay_eof(gr_conn_t *conn)
{
    relay_t *r = (relay_t *)gr->conn_get_user(conn);
    if (r->up)
        gr->out_shutdown(r->up); /* after the bytes queued; its answer still comes back */
    else
        gr->conn_shutdown(conn);
}

static void client_gone(void *arg)
{
    relay_t *r = (relay_t *)arg;
    if (r->up)
        gr->out_close(r->up);
    if (r->timer)
        gr->timer_cancel(r->timer);
    gr->conn_release(r->client); /* tcp_close may run now */
    free(r);
}

void demo_relay_closing(gr_conn_t *conn)
{
    relay_t *r = (relay_t *)gr->conn_get_user(conn);
    if (gr->post(r->thread, client_gone, r) != 0)
        gr->log(GR_LOG_ERROR, "relay: cannot post the client's close to its thread; its upstream stays open");
}
