/* gr_server.cpp - the server object: configuration and module in, threads
 * started in consumer-first order, and the stop sequence that lets every
 * connection be closed by its owner while nothing is lost or leaked. */
#include "gr_pipeline.h"

#include <errno.h>
#include <new>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gr_async.h"
#include "gr_error.h"
#include "gr_http.h"
#include "gr_log.h"
#include "gr_memory.h"
#include "gr_module_config.h"
#include "gr_udp.h"

gr_server_t *gr_current_server = NULL;

static const char *const group_names[GR_GROUP_COUNT] = {"tcp_accept", "tcp_in",  "worker",
                                                        "tcp_out",    "udp_out", "udp_in"};
static void *(*const group_main[GR_GROUP_COUNT])(void *) = {gr_tcp_accept_main, gr_tcp_in_main, gr_worker_main,
                                                            gr_tcp_out_main,    gr_udp_out_main, gr_udp_in_main};

static gr_server_t *server_alloc(void)
{
    gr_server_t *s = (gr_server_t *)calloc(1, sizeof *s);
    if (!s)
        return NULL;
    for (int g = 0; g < GR_GROUP_COUNT; g++)
        new (&s->stop[g]) std::atomic<int>(0);
    new (&s->in_exit) std::atomic<int>(0);
    new (&s->started) std::atomic<int>(0);
    new (&s->start_failed) std::atomic<int>(0);
    new (&s->serving) std::atomic<int>(0);
    new (&s->draining) std::atomic<int>(0);
    new (&s->live) std::atomic<gr_live_t *>(nullptr);
    new (&s->replies_late_dropped) std::atomic<uint64_t>(0);
    for (int i = 0; i < GR_MAX_LISTEN; i++)
        s->listeners[i].fd = GR_INVALID_SOCKET;
    gr_stop_wait_init(&s->stop_wait);
    return s;
}

/* Shared tail of the two create functions: settings, log level, module. */
static int server_setup(gr_server_t *s, const gr_module_t *module, int argc, char **argv, char *err, size_t errlen)
{
    int rc = gr_settings_from_config(&s->settings, s->config, err, errlen);
    if (rc != GR_OK)
        return rc;
    gr_log_set_level(s->settings.log_level);
    if ((rc = gr_live_init(s)) != GR_OK) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    s->info.argc = argc;
    s->info.argv = argv;
    if (module)
        rc = gr_module_adopt(&s->module, module, "(in process)", err, errlen);
    else if ((rc = gr_settings_require_module(&s->settings, s->config, err, errlen)) == GR_OK)
        rc = gr_module_load(&s->module, s->settings.module, err, errlen);
    if (rc != GR_OK)
        return rc;
    /* The module's own sections, now that its declarations are known. */
    return gr_module_config_check(s->config, &s->module.m, err, errlen);
}

int gr_server_create(gr_server_t **out, const char *config_path, int argc, char **argv, char *err, size_t errlen)
{
    return gr_server_create_hosted(out, config_path, NULL, argc, argv, err, errlen);
}

int gr_server_create_hosted(gr_server_t **out, const char *config_path, const gr_host_key_t *host_keys, int argc,
                            char **argv, char *err, size_t errlen)
{
    *out = NULL;
    int rc = gr_host_keys_check(host_keys, err, errlen);
    if (rc != GR_OK)
        return rc;
    gr_server_t *s = server_alloc();
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return GR_ENOMEM;
    }
    rc = gr_config_load_file(&s->config, config_path, err, errlen);
    if (rc == GR_OK && !(s->config_path = strdup(config_path))) {
        snprintf(err, errlen, "out of memory");
        rc = GR_ENOMEM;
    }
    if (rc == GR_OK)
        gr_config_set_host_keys(s->config, host_keys);
    if (rc == GR_OK)
        rc = server_setup(s, NULL, argc, argv, err, errlen);
    if (rc != GR_OK) {
        gr_server_destroy(s);
        return rc;
    }
    *out = s;
    return GR_OK;
}

int gr_server_create_from_string(gr_server_t **out, const char *ini_text, const char *name, const gr_module_t *module,
                                 int argc, char **argv, char *err, size_t errlen)
{
    *out = NULL;
    gr_server_t *s = server_alloc();
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return GR_ENOMEM;
    }
    int rc = gr_config_load_string(&s->config, ini_text, name, err, errlen);
    if (rc == GR_OK)
        rc = server_setup(s, module, argc, argv, err, errlen);
    if (rc != GR_OK) {
        gr_server_destroy(s);
        return rc;
    }
    *out = s;
    return GR_OK;
}

int gr_server_create_with_config(gr_server_t **out, gr_config_t *cfg, const gr_module_t *module, int argc,
                                 char **argv, char *err, size_t errlen)
{
    *out = NULL;
    gr_server_t *s = server_alloc();
    if (!s) {
        gr_config_free(cfg);
        snprintf(err, errlen, "out of memory");
        return GR_ENOMEM;
    }
    s->config = cfg;
    int rc = server_setup(s, module, argc, argv, err, errlen);
    if (rc != GR_OK) {
        gr_server_destroy(s);
        return rc;
    }
    *out = s;
    return GR_OK;
}

#if GR_HEAVY_ASSERT
void gr_heavy_fail(const char *what, const char *file, int line)
{
    GR_ERROR("invariant broken at %s:%d: %s", file, line, what);
    abort();
}
#endif

int gr_thread_begin(gr_thread_ctx_t *ctx)
{
    gr_server_t *s = ctx->server;
    const gr_module_t *m = &s->module.m;
    int rc = GR_OK;
    gr_async_self = ctx->async;
    if (ctx->proc_id >= 0 && !m->thread_init)
        ctx->init_ok = 1; /* thread_term is owed even without a thread_init */
    if (ctx->proc_id >= 0 && m->thread_init) {
        if (m->thread_init(ctx->proc_id) != 0) {
            GR_ERROR("module %s: thread_init(%d) failed on %s[%d]", m->name, ctx->proc_id, group_names[ctx->group],
                     ctx->index);
            s->start_failed.store(1, std::memory_order_release);
            if (ctx->in) /* the stop sequence must not wait for it */
                ctx->in->closed_all.store(1, std::memory_order_release);
            rc = GR_EREFUSED;
        } else {
            ctx->init_ok = 1;
        }
    }
    s->started.fetch_add(1, std::memory_order_acq_rel);
    return rc;
}

void gr_thread_end(gr_thread_ctx_t *ctx)
{
    const gr_module_t *m = &ctx->server->module.m;
    gr_async_stop(ctx); /* before thread_term: posted tasks still run */
    gr_async_self = NULL;
    if (ctx->init_ok && m->thread_term)
        m->thread_term(ctx->proc_id);
    ctx->init_ok = 0;
}

static int bind_listeners(gr_server_t *s, char *err, size_t errlen)
{
    const gr_settings_t *st = &s->settings;
    for (int i = 0; i < st->listen_count; i++) {
        const gr_listen_t *l = &st->listens[i];
        gr_addr_t addr;
        if (gr_addr_parse(&addr, l->host_port) != GR_OK) {
            snprintf(err, errlen, "%s: cannot resolve the address", l->url);
            return GR_ECONFIG;
        }
        if (l->is_udp) {
            /* One socket per udp_in thread, in s->udp (gr_udp.cpp). */
            int rc = gr_udp_listen(s, i, &addr, err, errlen);
            if (rc != GR_OK)
                return rc;
        } else {
            int rc = gr_tcp_listen(&addr, st->tcp_accept_backlog, &s->listeners[i].bound, &s->listeners[i].fd);
            if (rc < 0) {
                snprintf(err, errlen, "cannot listen on %s: %s", l->url, gr_strerror(rc));
                return rc;
            }
        }
        s->listeners[i].is_http = l->is_http;
        s->listeners[i].is_udp = l->is_udp;
        s->listener_count = i + 1;
        s->listen_info[i].url = l->url;
        s->listen_info[i].is_udp = l->is_udp;
        s->listen_info[i].port = gr_addr_port(&s->listeners[i].bound);
        char buf[128];
        GR_INFO("listening on %s://%s (%s)", l->is_udp ? "udp" : l->is_http ? "http" : "tcp",
                gr_addr_format(&s->listeners[i].bound, buf, sizeof buf), l->url);
    }
    s->info.size = sizeof s->info;
    s->info.listen_count = s->listener_count;
    s->info.listens = s->listen_info;
    return GR_OK;
}

/* Thread counts and which rings feed which group. */
static void plan_groups(gr_server_t *s)
{
    const gr_settings_t *st = &s->settings;
    s->counts[GR_GROUP_ACCEPT] = st->tcp_accept_threads;
    s->counts[GR_GROUP_IN] = st->tcp_in_threads;
    s->counts[GR_GROUP_WORKER] = st->worker_disabled ? 0 : st->worker_threads;
    s->counts[GR_GROUP_OUT] = st->tcp_out_disabled ? 0 : st->tcp_out_threads;
    s->info.tcp_accept_threads = s->counts[GR_GROUP_ACCEPT];
    s->info.tcp_in_threads = s->counts[GR_GROUP_IN];
    s->info.worker_threads = s->counts[GR_GROUP_WORKER];
    s->info.tcp_out_threads = s->counts[GR_GROUP_OUT];
    /* UDP threads only when a udp:// listen is served. */
    s->counts[GR_GROUP_UDP_IN] = s->udp ? st->udp_in_threads : 0;
    s->counts[GR_GROUP_UDP_OUT] = s->udp && !st->udp_out_disabled ? st->udp_out_threads : 0;
    s->info.udp_in_threads = s->counts[GR_GROUP_UDP_IN];
    s->info.udp_out_threads = s->counts[GR_GROUP_UDP_OUT];
    s->info.proc_threads = st->worker_disabled ? s->counts[GR_GROUP_IN] + s->counts[GR_GROUP_UDP_IN]
                                               : s->counts[GR_GROUP_WORKER];
}

static int inbox_producers(const gr_server_t *s, int group)
{
    switch (group) {
    case GR_GROUP_IN: return s->counts[GR_GROUP_ACCEPT];
    case GR_GROUP_WORKER: return s->counts[GR_GROUP_IN] + s->counts[GR_GROUP_UDP_IN]; /* tcp_in rings first */
    case GR_GROUP_OUT: return s->counts[GR_GROUP_WORKER] ? s->counts[GR_GROUP_WORKER] : s->counts[GR_GROUP_IN];
    case GR_GROUP_UDP_OUT:
        return s->counts[GR_GROUP_WORKER] ? s->counts[GR_GROUP_WORKER] : s->counts[GR_GROUP_UDP_IN];
    default: return 0;
    }
}

static int create_contexts(gr_server_t *s, char *err, size_t errlen)
{
    const gr_settings_t *st = &s->settings;
    int proc_group = st->worker_disabled ? GR_GROUP_IN : GR_GROUP_WORKER;
    for (int g = 0; g < GR_GROUP_COUNT; g++) {
        int n = s->counts[g];
        if (!n)
            continue;
        gr_thread_ctx_t *arr = (gr_thread_ctx_t *)calloc((size_t)n, sizeof *arr);
        if (!arr)
            goto nomem;
        s->groups[g] = arr;
        for (int i = 0; i < n; i++) {
            gr_thread_ctx_t *ctx = &arr[i];
            new (&ctx->sleeping) std::atomic<int>(0);
            ctx->server = s;
            ctx->group = g;
            ctx->index = i;
            ctx->proc_id = g == proc_group ? i : -1;
            if (g == GR_GROUP_UDP_IN && st->worker_disabled)
                ctx->proc_id = s->counts[GR_GROUP_IN] + i; /* after the tcp_in threads */
            if (g == GR_GROUP_IN) {
                if (!(ctx->in = (gr_in_state_t *)calloc(1, sizeof *ctx->in)))
                    goto nomem;
                new (&ctx->in->close_list) std::atomic<gr_conn_t *>(nullptr);
                new (&ctx->in->closed_all) std::atomic<int>(0);
                new (&ctx->in->drain_left) std::atomic<int>(-1);
            }
            /* udp_in threads processing inline use gr_udp_thread_t instead. */
            if (ctx->proc_id >= 0 && g != GR_GROUP_UDP_IN &&
                (!(ctx->proc = (gr_proc_state_t *)calloc(1, sizeof *ctx->proc)) ||
                 !(ctx->proc->http_resp = gr_http_resp_new())))
                goto nomem;
            if (ctx->proc)
                gr_reply_init(ctx);
            if (ctx->in)
                gr_tcp_in_init(ctx);
            if (g == GR_GROUP_OUT && !(ctx->out = (gr_out_state_t *)calloc(1, sizeof *ctx->out)))
                goto nomem;
            if (gr_udp_ctx_init(ctx) != GR_OK)
                goto nomem;
            int rc = gr_poll_create(&ctx->poll);
            if (rc < 0) {
                snprintf(err, errlen, "cannot create a %s poll: %s", gr_poll_backend_name(), gr_strerror(rc));
                return rc;
            }
            ctx->inbox_count = inbox_producers(s, g);
            if (ctx->inbox_count) {
                /* Aligned: each ring keeps its indexes on cache spans of their own. */
                size_t bytes = (size_t)ctx->inbox_count * sizeof(gr_queue_t);
                ctx->inbox = (gr_queue_t *)gr_aligned_alloc(alignof(gr_queue_t), bytes);
                if (!ctx->inbox)
                    goto nomem;
                memset((void *)ctx->inbox, 0, bytes);
                for (int k = 0; k < ctx->inbox_count; k++) {
                    new (&ctx->inbox[k]) gr_queue_t();
                    if (gr_queue_init(&ctx->inbox[k], (size_t)st->queue_size) != GR_OK)
                        goto nomem;
                }
            }
        }
    }
    return GR_OK;
nomem:
    snprintf(err, errlen, "out of memory creating threads");
    return GR_ENOMEM;
}

static void destroy_contexts(gr_server_t *s)
{
    for (int g = 0; g < GR_GROUP_COUNT; g++) {
        gr_thread_ctx_t *arr = s->groups[g];
        if (!arr)
            continue;
        for (int i = 0; i < s->counts[g]; i++) {
            gr_thread_ctx_t *ctx = &arr[i];
            if (ctx->poll)
                gr_poll_destroy(ctx->poll);
            for (int k = 0; ctx->inbox && k < ctx->inbox_count; k++)
                gr_queue_destroy(&ctx->inbox[k]);
            gr_aligned_free(ctx->inbox);
            if (gr_in_state_t *in = ctx->in) {
                free(in->lens);
                free(in->metas);
                free(in->paused);
                for (int k = 0; k < in->http_spare_count; k++) {
                    gr_http_parser_free(in->http_spare[k]);
                    free(in->http_spare[k]);
                }
                gr_buf_free(&in->meta);
                free(in);
            }
            if (gr_proc_state_t *proc = ctx->proc) {
                gr_buf_free(&proc->out_spare);
                gr_http_resp_free(proc->http_resp);
                free(proc);
            }
            free(ctx->out);
            gr_udp_ctx_free(ctx);
        }
        free(arr);
        s->groups[g] = NULL;
    }
}

static void wake_group(gr_server_t *s, int g)
{
    for (int i = 0; i < s->counts[g]; i++)
        gr_poll_wake(s->groups[g][i].poll);
}

static void join_group(gr_server_t *s, int g)
{
    for (int i = 0; i < s->counts[g]; i++)
        gr_thread_join(&s->groups[g][i].thread);
}

bool gr_wait_serving(gr_thread_ctx_t *ctx)
{
    gr_server_t *s = ctx->server;
    while (!s->serving.load(std::memory_order_acquire)) {
        if (s->stop[ctx->group].load(std::memory_order_acquire))
            return false;
        gr_sleep_ms(1);
    }
    return true;
}

int gr_server_start(gr_server_t *s, char *err, size_t errlen)
{
    if (gr_current_server) {
        snprintf(err, errlen, "a grocket server is already running in this process");
        return GR_EINVAL;
    }
    if (s->stopped) {
        snprintf(err, errlen, "this server was stopped; create a new one to serve again");
        return GR_EINVAL;
    }
    gr_current_server = s;
    s->started_ms = gr_clock_ms();
    gr_socket_startup();
    const gr_module_t *m = &s->module.m;
    int rc = bind_listeners(s, err, errlen);
    if (rc != GR_OK)
        goto fail;
    plan_groups(s);
    /* Settings may have changed since create (reload before start). */
    rc = gr_live_init(s);
    if (rc != GR_OK) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (m->init && m->init(gr_services_get()) != 0) {
        snprintf(err, errlen, "module %s (%s): init failed", m->name, s->module.path);
        rc = GR_EREFUSED;
        goto fail;
    }
    s->module_inited = 1;
    rc = create_contexts(s, err, errlen);
    if (rc == GR_OK && (rc = gr_async_create(s)) != GR_OK)
        snprintf(err, errlen, "out of memory creating threads");
    if (rc != GR_OK)
        goto fail;
    for (int i = 0; i < s->listener_count; i++) {
        for (int a = 0; a < s->counts[GR_GROUP_ACCEPT] && !s->listeners[i].is_udp; a++) {
            rc = gr_poll_add(s->groups[GR_GROUP_ACCEPT][a].poll, s->listeners[i].fd, GR_POLL_IN, &s->listeners[i]);
            if (rc < 0) {
                snprintf(err, errlen, "cannot poll the listener of %s: %s", s->listen_info[i].url, gr_strerror(rc));
                goto fail;
            }
        }
    }
    {
        /* Consumers first, so nothing is handed to a thread not yet there. */
        int total = 0, cpu = 0;
        static const int order[GR_GROUP_COUNT] = {GR_GROUP_OUT, GR_GROUP_UDP_OUT, GR_GROUP_WORKER,
                                                  GR_GROUP_IN,  GR_GROUP_UDP_IN,  GR_GROUP_ACCEPT};
        for (int k = 0; k < GR_GROUP_COUNT; k++) {
            int g = order[k];
            for (int i = 0; i < s->counts[g]; i++) {
                char name[16];
                snprintf(name, sizeof name, "gr_%s%d", group_names[g], i);
                rc = gr_thread_start(&s->groups[g][i].thread, group_main[g], &s->groups[g][i],
                                     s->settings.cpu_affinity ? cpu++ : -1, name, GR_THREAD_STACK_BYTES);
                if (rc < 0) {
                    snprintf(err, errlen, "cannot start thread %s: %s", name, gr_strerror(rc));
                    s->running = 1;
                    gr_server_stop(s);
                    return rc;
                }
                total++;
            }
        }
        s->running = 1;
        while (s->started.load(std::memory_order_acquire) < total)
            gr_sleep_ms(1);
        if (s->start_failed.load(std::memory_order_acquire)) {
            snprintf(err, errlen, "module %s: thread_init failed", m->name);
            gr_server_stop(s);
            return GR_EREFUSED;
        }
        s->serving.store(1, std::memory_order_release);
    }
    GR_INFO("grocket running: module %s, %s, tcp_accept=%d tcp_in=%d worker=%d tcp_out=%d udp_in=%d udp_out=%d",
            m->name, gr_poll_backend_name(), s->counts[GR_GROUP_ACCEPT], s->counts[GR_GROUP_IN],
            s->counts[GR_GROUP_WORKER], s->counts[GR_GROUP_OUT], s->counts[GR_GROUP_UDP_IN],
            s->counts[GR_GROUP_UDP_OUT]);
    return GR_OK;
fail:
    gr_server_stop(s);
    return rc;
}

static void close_listeners(gr_server_t *s)
{
    for (int i = 0; i < GR_MAX_LISTEN; i++) {
        if (gr_socket_valid(s->listeners[i].fd))
            gr_socket_close(s->listeners[i].fd);
        s->listeners[i].fd = GR_INVALID_SOCKET;
    }
}

void gr_server_stop_accepting(gr_server_t *s)
{
    if (s->accept_stopped || !s->running)
        return;
    s->accept_stopped = 1;
    s->stop[GR_GROUP_ACCEPT].store(1, std::memory_order_release);
    wake_group(s, GR_GROUP_ACCEPT);
    join_group(s, GR_GROUP_ACCEPT);
    /* Out of the accept threads' polls before they close (gr_poll.h point
     * 5; the threads are gone, so this thread may touch their polls): on
     * Windows a pending AFD poll request refers to the socket, and is
     * cancelled here rather than left to the close. */
    for (int i = 0; i < s->listener_count; i++)
        for (int a = 0; a < s->counts[GR_GROUP_ACCEPT] && !s->listeners[i].is_udp; a++)
            if (s->groups[GR_GROUP_ACCEPT] && s->groups[GR_GROUP_ACCEPT][a].poll && gr_socket_valid(s->listeners[i].fd))
                gr_poll_del(s->groups[GR_GROUP_ACCEPT][a].poll, s->listeners[i].fd);
    /* Closed, not left open: a client connecting now is refused at once
     * instead of waiting in the backlog for an accept that never comes. */
    close_listeners(s);
}

void gr_server_stop(gr_server_t *s)
{
    s->stopped = 1;
    if (s->running) {
        /* 1. No new connections. */
        gr_server_stop_accepting(s);
        /* 1b. No new datagrams (udp_in hands nothing over once joined). */
        s->stop[GR_GROUP_UDP_IN].store(1, std::memory_order_release);
        wake_group(s, GR_GROUP_UDP_IN);
        gr_udp_unblock_all(s); /* those that wait in a receive */
        join_group(s, GR_GROUP_UDP_IN);
        /* 2. Owners close every connection (nothing more is read or cut). */
        s->stop[GR_GROUP_IN].store(1, std::memory_order_release);
        wake_group(s, GR_GROUP_IN);
        for (int i = 0; i < s->counts[GR_GROUP_IN]; i++)
            while (s->groups[GR_GROUP_IN][i].thread.started &&
                   !s->groups[GR_GROUP_IN][i].in->closed_all.load(std::memory_order_acquire)) {
                gr_poll_wake(s->groups[GR_GROUP_IN][i].poll);
                gr_sleep_ms(1);
            }
        /* 3. Workers, then tcp_out, drain what is queued (dropping it: the
         * connections are closing) and release their references; then
         * udp_out sends the replies to the datagrams workers processed. */
        for (int g = GR_GROUP_WORKER; g <= GR_GROUP_UDP_OUT; g++) {
            s->stop[g].store(1, std::memory_order_release);
            wake_group(s, g);
            join_group(s, g);
        }
        /* 4. Owners take the last close requests and leave. */
        s->in_exit.store(1, std::memory_order_release);
        wake_group(s, GR_GROUP_IN);
        join_group(s, GR_GROUP_IN);
        s->running = 0;
        gr_stats_log_totals(s);
    }
    close_listeners(s);
    gr_async_close_all(s); /* threads that never ran their loop */
    destroy_contexts(s);
    gr_udp_close(s);
    if (s->module_inited && s->module.m.term)
        s->module.m.term();
    s->module_inited = 0;
    if (gr_current_server == s)
        gr_current_server = NULL;
}

void gr_server_destroy(gr_server_t *s)
{
    if (!s)
        return;
    gr_server_stop(s);
    gr_async_free(s);
    gr_module_unload(&s->module);
    gr_config_free(s->config);
    gr_stop_wait_close(&s->stop_wait);
    gr_live_free(s);
    free(s->config_path);
    free(s);
}

int gr_server_listen_port(const gr_server_t *s, int i)
{
    if (i < 0 || i >= s->listener_count)
        return -1;
    return s->listen_info[i].port;
}

const gr_settings_t *gr_server_settings(const gr_server_t *s)
{
    return &s->settings;
}

const char *gr_server_strerror(int err)
{
    return gr_strerror(err);
}
