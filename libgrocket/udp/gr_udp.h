/* gr_udp.h - serving udp:// listens (internal). docs/architecture.md, "UDP".
 *
 *  - Sockets: each udp:// listen has one socket per udp_in thread, all bound
 *    to its address (SO_REUSEPORT when there are several), so the kernel
 *    gives every datagram of one sender to the same socket, and so to the
 *    same udp_in thread. A socket is read by its udp_in thread only; replies
 *    leave through the socket they answer, sent by the processing thread
 *    (udp.out.disabled) or by the socket's udp_out thread.
 *  - udp_in receives a batch (recvmmsg), cuts each datagram into packages
 *    with the module's check, and processes them inline (worker disabled)
 *    or hands the batch's datagrams, one job per worker, to the workers
 *    chosen by a hash of the sender's address: one sender's datagrams reach
 *    one worker over one ring, and are processed in order.
 *  - Processing hands the module the thread's handle: a gr_conn_t marked
 *    is_udp whose peer is the datagram's sender and whose out buffer
 *    collects the replies. The replies to one datagram leave as one
 *    datagram; those of a batch with one sendmmsg.
 *  - Nothing waits under overload: a full ring drops what it cannot take
 *    (counted), and drops are logged at most once a second, server-wide.
 */
#ifndef GR_UDP_H
#define GR_UDP_H

#include <atomic>
#include <stdint.h>

#include "gr_pipeline.h"

/* Bytes of replies a socket may have waiting at its udp_out thread for
 * the send buffer to drain; past it, replies are dropped (and counted). */
#define GR_UDP_PENDING_BYTES (8u << 20)

struct gr_udp_batch_t;

/* One bound socket: one per (udp:// listen, udp_in thread). */
typedef struct gr_udp_sock_t {
    gr_socket_t fd;
    int listen;                  /* index of its [listen] entry */
    int in_index;                /* the udp_in thread that reads it */
    int out_index;               /* the udp_out thread that sends for it (when enabled) */
    /* udp_out[out_index] only: reply batches waiting for writability, in order. */
    struct gr_udp_batch_t *pending_head, *pending_tail;
    size_t pending_bytes;
    int out_registered;          /* registered for writability on udp_out's poll */
} gr_udp_sock_t;

/* Kinds of drop, in the order of the drop log and gr_udp_state_t.logged. */
enum { GR_UDP_DROP_OVERLOAD, GR_UDP_DROP_BAD, GR_UDP_DROP_TRUNCATED, GR_UDP_DROP_KERNEL, GR_UDP_DROP_SEND,
       GR_UDP_DROP_KINDS };

/* The server's UDP sockets and the drop log. */
typedef struct gr_udp_state_t {
    gr_udp_sock_t *socks;        /* udp:// listens x udp_in threads */
    int count, cap;
    /* The drop log: whichever thread moves next_ms on writes the line. */
    std::atomic<int64_t> log_next_ms;
    std::atomic<uint64_t> logged[GR_UDP_DROP_KINDS]; /* totals at the last line */
    std::atomic<int> last_send_error;                /* -errno of the last failed reply send */
} gr_udp_state_t;

/* One datagram of a worker job. */
typedef struct gr_udp_dgram_t {
    gr_addr_t peer;              /* the sender: the reply goes there */
    uint32_t packages;           /* its packages; their lengths follow in the job's lens */
} gr_udp_dgram_t;

/* The datagrams of one receive batch that go to one worker: one
 * allocation, the packages copied back to back (the receive buffers are
 * reused at once). */
typedef struct gr_udp_job_t {
    gr_udp_sock_t *sock;         /* replies leave through it */
    uint32_t count;              /* datagrams */
    uint32_t packages;           /* all their packages */
    gr_udp_dgram_t *dgrams;
    uint32_t *lens;
    char *data;
} gr_udp_job_t;

/* Reply datagrams handed to udp_out: one allocation, bytes included. */
typedef struct gr_udp_batch_t {
    gr_udp_sock_t *sock;
    int count;                   /* datagrams */
    int next;                    /* the first not sent yet */
    size_t bytes;                /* of all of them */
    gr_dgram_t *msgs;
    struct gr_udp_batch_t *next_batch; /* the socket's pending list */
} gr_udp_batch_t;

/* Per-thread UDP state (gr_thread_ctx_t.udp). */
typedef struct gr_udp_thread_t {
    /* Threads that check or process datagrams (udp_in, workers): the
     * module's handle. Its out buffer collects the replies of a batch. */
    gr_conn_t *handle;
    gr_dgram_t *replies;         /* reply datagrams of the batch, data NULL until sent */
    size_t *reply_off;           /* where each starts in handle->out */
    int reply_count, reply_cap;
    gr_dgram_io_t *tx;           /* sendmmsg scratch (processing threads, udp_out) */
    /* udp_in: what it does with a batch, decided at start by the mode:
     * process it here, or hand each sender's datagrams to its worker. */
    void (*deliver)(gr_thread_ctx_t *ctx, struct gr_udp_sock_t *sock, int n);
    /* udp_in: the receive batch. */
    gr_dgram_io_t *rx_io;
    gr_dgram_t *rx;              /* udp.in.batch datagrams... */
    char *rx_mem;                /* ...each with udp.in.datagram_max bytes here */
    uint32_t *lens;              /* packages cut from the batch */
    uint32_t lens_cap;
    int32_t *cut;                /* per datagram: packages, or -1 when dropped */
    int *dest;                   /* per datagram: its worker */
    /* udp_in, worker mode: per worker, the job being built for it. */
    gr_udp_job_t **jobs;
    uint32_t *job_dgrams, *job_pkgs;
    size_t *job_bytes;
    int *touched;                /* workers given something in this batch */
    int64_t next_tick_ms;        /* udp_in: next kernel-drop sample and drop-log look */
    int64_t recv_error_log_ms;   /* udp_in: receive errors are logged once a second at most */
} gr_udp_thread_t;

/* Bind the sockets of [listen] entry i (a udp:// one) at addr: one per
 * udp_in thread. GR_OK, or an error with the reason in err. */
int gr_udp_listen(struct gr_server_t *s, int i, const gr_addr_t *addr, char *err, size_t errlen);
/* Stop: wake the udp_in threads that wait in a receive (shut the sockets
 * down for reading; replies can still be sent). */
void gr_udp_unblock_all(struct gr_server_t *s);
/* Close every UDP socket and free the state (at stop). */
void gr_udp_close(struct gr_server_t *s);
/* Per-thread state for ctx's group; GR_OK or GR_ENOMEM. */
int gr_udp_ctx_init(gr_thread_ctx_t *ctx);
void gr_udp_ctx_free(gr_thread_ctx_t *ctx);

/* Processing (gr_udp_proc.cpp). One datagram: its packages through proc,
 * the replies queued as one reply datagram to peer. */
void gr_udp_proc_dgram(gr_thread_ctx_t *ctx, const gr_addr_t *peer, const char *data, const uint32_t *lens,
                       uint32_t count);
/* Send the queued replies through sock, or hand them to its udp_out. */
void gr_udp_flush(gr_thread_ctx_t *ctx, gr_udp_sock_t *sock);
/* A worker's UDP job: process, flush, free. */
void gr_udp_run_job(gr_thread_ctx_t *ctx, gr_udp_job_t *job);

/* Sending (gr_udp_out.cpp): msgs[0..n) through fd in batches; failures are
 * counted and skipped. A full send buffer stops there when keep (the
 * index of the first unsent is returned), else the rest is dropped and
 * counted. Returns n when all were dealt with. */
int gr_udp_send(gr_thread_ctx_t *ctx, gr_socket_t fd, const gr_dgram_t *msgs, int n, bool keep);

/* Log the drops of the whole server since the last line, at most once a
 * second (now: gr_clock_ms()). Called by the udp_in threads. */
void gr_udp_log_drops(struct gr_server_t *s, int64_t now);

/* Which of n workers serves a sender: the same for the same address. */
static inline int gr_udp_worker_of(const gr_addr_t *a, int n)
{
    uint64_t h = gr_addr_hash(a) * 0x9e3779b97f4a7c15ull; /* Fibonacci hashing: the high bits mix all of h */
    return (int)((h >> 32) % (uint64_t)n);
}

#endif
