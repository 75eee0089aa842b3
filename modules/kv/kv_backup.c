/* kv_backup.c - the backup copy (kv_backup.h).
 *
 * What is forwarded is the state of a key after each write, not the
 * command: "SET key <value now> [PXAT <when, wall clock>]" or "DEL key",
 * appended to one log while the key's shard is still locked. So the stream
 * is ordered per key and idempotent: the last thing the backup hears of a
 * key is its state after its last write, whatever the threads did in
 * between, and the snapshot may overlap the stream (a key sent twice
 * converges). The price: APPEND and INCR send the whole value.
 *
 * Threads: any proc thread appends to the log (a mutex; lock order: shard,
 * then the log); the first append of a batch posts a flush to proc thread
 * 0, which owns the outbound connection and moves the log into out_send.
 *
 * A write reads `streaming` without the log's lock after its change: a
 * stale 0 loses nothing, because streaming is set before the snapshot
 * takes the shard's lock, so a change the flag did not see yet is in the
 * snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv_backup.h"
#include "kv_os.h"

#define BACKUP_CONNECT_TIMEOUT_MS 2000
#define BACKUP_RETRY_BASE_MS 100
#define BACKUP_RETRY_MAX_MS 2000
#define SNAPSHOT_CHUNK (4u << 20) /* bytes queued before the snapshot waits for the socket */
#define SNAPSHOT_WAIT_MS 5
#define REPLY_LINE_MAX 65536

enum { LINK_DOWN, LINK_CONNECTING, LINK_SYNCING, LINK_UP };
static const char *const link_names[] = {"down", "connecting", "sync", "up"};

typedef struct kv_buf_t {
    char *p;
    size_t n, cap;
} kv_buf_t;

static struct {
    char *host; /* NULL: no backup */
    uint64_t max_pending;
    kv_mutex_t lock; /* log, wake_posted, overflow; streaming's changes */
    kv_buf_t log;    /* what goes to the backup next, in order */
    int wake_posted; /* a flush is posted to thread 0 and has not run */
    int overflow;    /* the log passed max_pending or out of memory: resync */
    _Atomic int streaming;
    /* thread 0 only */
    gr_out_t *out;
    kv_buf_t spare; /* the log's other buffer */
    unsigned attempt;
    uint64_t timer;
    unsigned snap_next; /* the next shard to snapshot; KV_SHARDS: done */
    uint64_t snap_keys;
    /* INFO, from any thread */
    _Atomic int link;
    _Atomic uint64_t syncs, sent, errors, drops, queued;
} bk;

/* v in decimal into out (room for 20); its length. */
static size_t u64_text(char *out, uint64_t v)
{
    if (v < 100) { /* nearly every count and length */
        out[0] = (char)('0' + v / 10);
        out[1] = (char)('0' + v % 10);
        return v < 10 ? (out[0] = out[1], 1) : 2;
    }
    char tmp[20];
    size_t n = 0, i = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        out[i++] = tmp[--n];
    return i;
}

static char *put_count(char *p, char type, size_t v)
{
    *p++ = type;
    p += u64_text(p, v);
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

/* One command as a RESP multibulk, onto the log (its lock held): its room
 * made once, then written in place (this runs for every write). */
static void log_cmd(int argc, const char *const *argv, const size_t *len)
{
    size_t need = 24;
    for (int i = 0; i < argc; i++)
        need += 24 + len[i];
    kv_buf_t *b = &bk.log;
    if (b->cap - b->n < need) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->n < need)
            cap *= 2;
        char *q = (char *)realloc(b->p, cap);
        if (!q) {
            bk.overflow = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    char *p = put_count(b->p + b->n, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        p = put_count(p, '$', len[i]);
        memcpy(p, argv[i], len[i]);
        p += len[i];
        *p++ = '\r';
        *p++ = '\n';
    }
    b->n = (size_t)(p - b->p);
    if (b->n > bk.max_pending)
        bk.overflow = 1;
}

/* The state of key (e NULL: none), its shard and the log locked. now is
 * the monotonic clock's; the wall clock is read only for a key with a TTL. */
static void log_state(const char *key, size_t klen, kv_entry_t *e, int64_t now)
{
    if (!e) {
        const char *argv[] = {"DEL", key};
        size_t len[] = {3, klen};
        log_cmd(2, argv, len);
        return;
    }
    size_t vlen;
    const char *v = kv_entry_value(e, &vlen);
    int64_t at = kv_entry_expire(e);
    char when[24];
    const char *argv[] = {"SET", key, v, "PXAT", when};
    size_t len[] = {3, klen, vlen, 4, 0};
    if (at) {
        int64_t wall = at - now + kv_wall_ms();
        len[4] = u64_text(when, wall > 0 ? (uint64_t)wall : 1);
    }
    log_cmd(at ? 5 : 3, argv, len);
}

static void flush_task(void *arg);

/* Open the log (lock it); 0 when nothing is being forwarded. */
static int log_begin(void)
{
    kv_mutex_lock(&bk.lock);
    if (atomic_load_explicit(&bk.streaming, memory_order_relaxed) && !bk.overflow)
        return 1;
    kv_mutex_unlock(&bk.lock);
    return 0;
}

/* Close it, posting the flush the first append of a batch owes. */
static void log_end(void)
{
    int post = !bk.wake_posted;
    bk.wake_posted = 1;
    if (bk.overflow) {
        atomic_store_explicit(&bk.streaming, 0, memory_order_relaxed);
        bk.log.n = 0; /* the resync sends all of it again */
    }
    kv_mutex_unlock(&bk.lock);
    if (post && kv.gr->post(0, flush_task, NULL) != 0) {
        kv_mutex_lock(&bk.lock); /* stopping: the link goes with thread 0 */
        bk.wake_posted = 0;
        kv_mutex_unlock(&bk.lock);
    }
}

int kv_backup_streaming(void) { return bk.host && atomic_load_explicit(&bk.streaming, memory_order_acquire); }

void kv_backup_command(kv_ctx_t *c, const kv_command_t *cmd)
{
    size_t last = cmd->last_key < 0 ? c->argc - 1 : (size_t)cmd->last_key;
    for (size_t i = (size_t)cmd->first_key; i <= last && i < c->argc; i += (size_t)cmd->key_step) {
        kv_key_t k = kv_key(&c->argv[i]);
        kv_store_lock(kv.store, k.shard);
        if (log_begin()) {
            log_state(k.p, k.n, kv_store_find(kv.store, k.shard, k.hash, k.p, k.n, c->now), c->now);
            log_end();
        }
        kv_store_unlock(kv.store, k.shard);
    }
}

static void resync_task(void *arg);

/* A FLUSHALL is not forwarded as one: a key written on another thread
 * between the flush and its place in the log would be deleted on the
 * backup alone (ordering them would mean holding every shard's lock and the
 * log's at once). The backup gets a fresh snapshot instead, in place: what
 * is written meanwhile is in it or follows it. */
void kv_backup_flushed(void)
{
    if (kv_backup_streaming())
        kv.gr->post(0, resync_task, NULL);
}

/* The store evicts key (its shard locked): the backup deletes it too. */
static void evicted(void *arg, const char *key, size_t klen)
{
    (void)arg;
    if (!kv_backup_streaming() || !log_begin())
        return;
    log_state(key, klen, NULL, 0);
    log_end();
}

/* ---- thread 0: the connection ---- */

static void connect_backup(void);

static void reconnect_timer(uint64_t timer, void *arg)
{
    (void)timer;
    (void)arg;
    bk.timer = 0;
    connect_backup();
}

/* The link is gone (or never came): stop forwarding, retry with backoff. */
static void link_down(void)
{
    kv_mutex_lock(&bk.lock);
    atomic_store_explicit(&bk.streaming, 0, memory_order_relaxed);
    bk.log.n = 0;
    bk.overflow = 0;
    kv_mutex_unlock(&bk.lock);
    bk.out = NULL;
    bk.snap_next = KV_SHARDS;
    atomic_store_explicit(&bk.queued, 0, memory_order_relaxed);
    atomic_store_explicit(&bk.link, LINK_DOWN, memory_order_relaxed);
    uint64_t delay = gr_backoff_ms(bk.attempt++, BACKUP_RETRY_BASE_MS, BACKUP_RETRY_MAX_MS);
    bk.timer = kv.gr->timer_start(delay, 0, reconnect_timer, NULL);
}

/* Close a live link on purpose (the backup fell behind) and resync. */
static void drop(const char *why)
{
    kv.gr->log(GR_LOG_WARN, "kv: backup %s: %s; reconnecting to send a snapshot again", bk.host, why);
    atomic_fetch_add_explicit(&bk.drops, 1, memory_order_relaxed);
    kv.gr->out_close(bk.out);
    link_down();
}

/* Move the log into the connection. */
static void flush(void)
{
    kv_mutex_lock(&bk.lock);
    kv_buf_t taken = bk.log;
    bk.log = bk.spare;
    bk.log.n = 0;
    int overflow = bk.overflow;
    bk.wake_posted = 0;
    kv_mutex_unlock(&bk.lock);
    int failed = taken.n && bk.out && kv.gr->out_send(bk.out, taken.p, taken.n) != 0;
    if (!failed)
        atomic_fetch_add_explicit(&bk.sent, taken.n, memory_order_relaxed);
    bk.spare = taken;
    bk.spare.n = 0;
    if (bk.spare.cap > SNAPSHOT_CHUNK) { /* a burst's buffer: give it back */
        free(bk.spare.p);
        memset(&bk.spare, 0, sizeof bk.spare);
    }
    if (!bk.out)
        return;
    size_t queued = kv.gr->out_queued(bk.out);
    atomic_store_explicit(&bk.queued, queued, memory_order_relaxed);
    char why[96];
    if (overflow || queued > bk.max_pending) {
        snprintf(why, sizeof why, "more than backup_max_pending (%llu bytes) waits to be sent",
                 (unsigned long long)bk.max_pending);
        drop(why);
    } else if (failed) {
        drop("cannot queue bytes to send (out of memory)");
    }
}

static void flush_task(void *arg)
{
    (void)arg;
    flush();
}

static void snap_entry(void *arg, const kv_entry_t *e)
{
    size_t klen;
    const char *key = kv_entry_key(e, &klen);
    log_state(key, klen, (kv_entry_t *)e, *(const int64_t *)arg);
    bk.snap_keys++;
}

static void snapshot_timer(uint64_t timer, void *arg);

/* Send the shards one by one, waiting while more than SNAPSHOT_CHUNK is
 * queued: the snapshot never needs a second copy of the keyspace. */
static void snapshot_step(void)
{
    while (bk.snap_next < KV_SHARDS) {
        flush();
        if (!bk.out)
            return;
        if (kv.gr->out_queued(bk.out) > SNAPSHOT_CHUNK) {
            bk.timer = kv.gr->timer_start(SNAPSHOT_WAIT_MS, 0, snapshot_timer, NULL);
            return;
        }
        int64_t now = kv_now_ms();
        kv_store_lock(kv.store, bk.snap_next);
        if (log_begin()) {
            kv_store_each(kv.store, bk.snap_next, now, snap_entry, &now);
            log_end();
        }
        kv_store_unlock(kv.store, bk.snap_next);
        bk.snap_next++;
    }
    flush();
    if (bk.out) {
        atomic_store_explicit(&bk.link, LINK_UP, memory_order_relaxed);
        kv.gr->log(GR_LOG_INFO, "kv: backup %s: snapshot of %llu keys queued; forwarding every write", bk.host,
                   (unsigned long long)bk.snap_keys);
    }
}

static void snapshot_timer(uint64_t timer, void *arg)
{
    (void)timer;
    (void)arg;
    bk.timer = 0;
    snapshot_step();
}

/* The backup's replies: one line each (+OK, :1); errors are counted. */
static long reply_check(gr_out_t *out, void *arg, const char *data, size_t len)
{
    (void)out;
    (void)arg;
    const char *nl = (const char *)memchr(data, '\n', len);
    if (nl)
        return (long)(nl - data) + 1;
    return len > REPLY_LINE_MAX ? -1 : GR_CHECK_NEED_MORE;
}

static void on_reply(gr_out_t *out, void *arg, const char *data, size_t len)
{
    (void)out;
    (void)arg;
    if (len && data[0] == '-') {
        uint64_t n = atomic_fetch_add_explicit(&bk.errors, 1, memory_order_relaxed);
        if (n % 1000 == 0) /* the first, then every thousandth */
            kv.gr->log(GR_LOG_WARN, "kv: backup %s answered an error (%llu so far): %.*s", bk.host,
                       (unsigned long long)n + 1, (int)(len > 200 ? 200 : len), data);
    }
}

/* Flush the backup, then send it the snapshot and the stream. What the log
 * held is dropped: the snapshot has it. */
static void start_sync(void)
{
    if (bk.timer) /* a snapshot under way waits for the socket: it starts over */
        kv.gr->timer_cancel(bk.timer);
    bk.timer = 0;
    kv_mutex_lock(&bk.lock);
    bk.log.n = 0;
    bk.overflow = 0;
    const char *argv[] = {"FLUSHALL"};
    size_t len[] = {8};
    log_cmd(1, argv, len);
    atomic_store_explicit(&bk.streaming, 1, memory_order_release);
    kv_mutex_unlock(&bk.lock);
    atomic_fetch_add_explicit(&bk.syncs, 1, memory_order_relaxed);
    atomic_store_explicit(&bk.link, LINK_SYNCING, memory_order_relaxed);
    bk.snap_next = 0;
    bk.snap_keys = 0;
    snapshot_step();
}

static void resync_task(void *arg)
{
    (void)arg;
    if (bk.out && atomic_load_explicit(&bk.streaming, memory_order_relaxed))
        start_sync();
}

static void on_connect(gr_out_t *out, void *arg, int error, const char *text)
{
    (void)out;
    (void)arg;
    if (error) {
        if (bk.attempt == 0)
            kv.gr->log(GR_LOG_WARN, "kv: backup %s: %s; retrying", bk.host, text);
        link_down();
        return;
    }
    kv.gr->log(GR_LOG_INFO, "kv: backup %s: connected; sending a snapshot", bk.host);
    bk.attempt = 0;
    start_sync();
}

static void on_close(gr_out_t *out, void *arg, int error, const char *text)
{
    (void)out;
    (void)arg;
    (void)error;
    kv.gr->log(GR_LOG_WARN, "kv: backup %s: %s; reconnecting", bk.host, text);
    link_down();
}

static const gr_out_handler_t backup_handler = {
    .size = sizeof(gr_out_handler_t),
    .check = reply_check,
    .on_connect = on_connect,
    .on_package = on_reply,
    .on_close = on_close,
};

static void connect_backup(void)
{
    atomic_store_explicit(&bk.link, LINK_CONNECTING, memory_order_relaxed);
    bk.out = kv.gr->out_open(bk.host, &backup_handler, NULL, BACKUP_CONNECT_TIMEOUT_MS);
    if (!bk.out)
        link_down(); /* out_open logged why */
}

/* ---- set-up ---- */

int kv_backup_init(const char *host_port, uint64_t max_pending)
{
    memset(&bk, 0, sizeof bk);
    bk.snap_next = KV_SHARDS;
    if (!host_port || !*host_port)
        return 0;
    bk.host = strdup(host_port);
    if (!bk.host)
        return -1;
    bk.max_pending = max_pending;
    kv_mutex_init(&bk.lock);
    kv_store_on_evict(kv.store, evicted, NULL);
    return 0;
}

void kv_backup_term(void)
{
    if (!bk.host)
        return;
    kv_mutex_destroy(&bk.lock);
    free(bk.log.p);
    free(bk.spare.p);
    free(bk.host);
    memset(&bk, 0, sizeof bk);
}

int kv_backup_thread_init(int id)
{
    if (bk.host && id == 0)
        connect_backup();
    return 0;
}

void kv_backup_thread_term(int id)
{
    if (!bk.host || id != 0)
        return;
    if (bk.timer)
        kv.gr->timer_cancel(bk.timer);
    bk.timer = 0;
    if (bk.out)
        kv.gr->out_close(bk.out); /* what was not sent yet is lost, as with Redis's asynchronous replicas */
    bk.out = NULL;
    atomic_store_explicit(&bk.streaming, 0, memory_order_relaxed);
    atomic_store_explicit(&bk.link, LINK_DOWN, memory_order_relaxed);
}

void kv_backup_stats(kv_backup_stats_t *out)
{
    memset(out, 0, sizeof *out);
    out->host = bk.host;
    if (!bk.host)
        return;
    out->link = link_names[atomic_load_explicit(&bk.link, memory_order_relaxed)];
    out->syncs = atomic_load_explicit(&bk.syncs, memory_order_relaxed);
    out->bytes_sent = atomic_load_explicit(&bk.sent, memory_order_relaxed);
    out->errors = atomic_load_explicit(&bk.errors, memory_order_relaxed);
    out->drops = atomic_load_explicit(&bk.drops, memory_order_relaxed);
    kv_mutex_lock(&bk.lock);
    out->pending = bk.log.n;
    kv_mutex_unlock(&bk.lock);
    out->pending += atomic_load_explicit(&bk.queued, memory_order_relaxed);
}
