/* kv_backup.h - the backup copy (`kv.backup = HOST:PORT`): every write is
 * forwarded, pipelined and asynchronous, to another Redis-protocol server
 * over one outbound connection owned by proc thread 0; on every (re)connect
 * the backup is flushed and sent a snapshot, then the stream. docs/kv.md,
 * "Backup copy", says what it guarantees. */
#ifndef KV_BACKUP_H
#define KV_BACKUP_H

#include "kv.h"

/* From init: remember the address and limit (NULL/"" : no backup). 0, or -1
 * when out of memory. */
int kv_backup_init(const char *host_port, uint64_t max_pending);
void kv_backup_term(void);
/* From thread_init/thread_term: thread 0 opens/closes the connection. */
int kv_backup_thread_init(int id);
void kv_backup_thread_term(int id);

/* Whether writes are being forwarded now (a lock-free read; see
 * kv_backup.c for why a stale answer loses nothing). */
int kv_backup_streaming(void);
/* After a write command ran: forward the present state of each of its keys
 * (SET with PXAT, or DEL), each under its shard's lock. */
void kv_backup_command(kv_ctx_t *c, const kv_command_t *cmd);
/* After the keyspace was flushed (no lock held): the backup is sent a
 * fresh snapshot. */
void kv_backup_flushed(void);

/* For INFO's replication section. */
typedef struct kv_backup_stats_t {
    const char *host;   /* NULL: no backup configured (the rest is 0) */
    const char *link;   /* "connecting", "sync" (snapshot being queued), "up", "down" */
    uint64_t syncs;     /* connections that began with a snapshot */
    uint64_t bytes_sent;
    uint64_t pending;   /* bytes forwarded and not yet taken by the socket */
    uint64_t errors;    /* error replies from the backup */
    uint64_t drops;     /* links closed because the backup fell behind */
} kv_backup_stats_t;
void kv_backup_stats(kv_backup_stats_t *out);

#endif
