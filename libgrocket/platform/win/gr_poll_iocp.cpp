/* gr_poll_iocp.cpp - the Windows gr_poll backend: one I/O completion port
 * and one \Device\Afd handle per gr_poll_t, readiness from AFD poll
 * requests (IOCTL_AFD_POLL), wake-ups as posted completion packets. The
 * technique of libuv's uv_poll, wepoll and mio; the code is this file's.
 *
 * Why AFD polls and not the socket on the port. A socket can be associated
 * with one completion port only, for good, but gr_poll.h point 3 registers
 * one socket in several polls (IN on tcp_in, OUT on a worker, a listener in
 * every accept thread). So the socket is never associated with any port:
 * each poll opens its own \Device\Afd handle, associates that with its own
 * port, and asks "tell me when this socket is readable/writable" with an
 * IOCTL_AFD_POLL request on it, naming the socket's base handle
 * (SIO_BASE_HANDLE: the AFD socket under any layered provider). Requests
 * from different polls are independent, and the answer is readiness, not
 * I/O, so the pipeline reads and writes as it does over epoll.
 *
 * Level-triggered (point 1), lazily re-armed. An AFD poll request completes
 * once, when one of its events holds (at once if it already does). After a
 * registration's completion is reported, the registration goes on the
 * poll's "to arm" list, and the next gr_poll_wait submits its request again
 * before it waits: if the condition still holds the request completes at
 * once and the event comes again, as with epoll. Re-arming at the next wait
 * rather than at once lets the caller drain or del in between, and costs
 * nothing for a socket it deletes. One request per registration covers IN
 * and OUT together, so one completion is one event with both bits (point
 * 2); errors (AFD ABORT, CONNECT_FAIL, a failed request) are GR_POLL_ERR
 * with GR_POLL_IN, like the epoll backend's EPOLLERR/EPOLLHUP.
 *
 * Requests outlive registrations (point 5). The kernel writes a request's
 * status block and poll info until its completion is dequeued, so a
 * request is freed only then. del (and a mod that needs events the pending
 * request does not watch) cancels the request with NtCancelIoFileEx and
 * orphans it: it keeps its memory, loses its registration, and its
 * completion (STATUS_CANCELLED, or a success that raced the cancel) is
 * swallowed when it comes. The registration itself is gone at once, so a
 * del'd socket is never reported and can be added again right away. destroy
 * cancels every request still in flight and waits for their completions
 * before freeing them (bounded; a request that never completes is leaked
 * rather than freed under the kernel).
 *
 * Wake-ups (point 7) post a completion packet with no OVERLAPPED, which the
 * wait reports as the udata-NULL event; a flag coalesces them as in the
 * other backends (the first wake since the loop consumed one posts, the
 * rest cost one atomic exchange). PostQueuedCompletionStatus may be called
 * from any thread; Windows has no signals, and a console control handler
 * runs on a thread of its own, so "async-signal-safe" means just that.
 *
 * Point 4: a write shutdown (shutdown SD_SEND) completes a pending poll for
 * AFD_POLL_SEND in any poll, which reports OUT; the next send then fails.
 *
 * A registration's table (socket -> registration, for -EEXIST/-ENOENT) is
 * a small open-addressing hash with linear probing; requests come from a
 * per-poll free list, so the wait path allocates nothing.
 *
 * Wine 8.0, where this was tested (docs/iocp-notes.md has what was
 * measured): AFD polls behave as the Windows behaviour wepoll and mio rely
 * on (a poll that holds at once returns STATUS_SUCCESS *and* queues its
 * packet, so results are always taken from the port and
 * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS is never set; cancel gives
 * STATUS_CANCELLED; closesocket gives LOCAL_CLOSE; requests survive the
 * exit of the thread that submitted them). One difference: Wine's
 * SIO_BASE_HANDLE hands back any value, socket or not, so add checks that
 * the socket is one (getsockopt SO_TYPE) before it asks for the base
 * handle, which keeps "a bad socket is GR_EINVAL" on both. */
#include "gr_win.h"

#include <ws2tcpip.h>
#include <mswsock.h>
#include <winternl.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <new>

#include "gr_error.h"
#include "gr_poll.h"

/* Most events one wait returns; larger requests are clamped. Also the
 * size of the OVERLAPPED_ENTRY array a wait dequeues into (6 KiB, once per
 * poll). */
#define GR_POLL_MAX_EVENTS 256

/* How long destroy waits for cancelled requests to complete before it
 * gives up on them (and leaks them, as the kernel may still write them). */
#define GR_IOCP_DRAIN_MS 5000

/* ---- AFD and ntdll: not in the SDK headers, as wepoll and mio define them ---- */

#define GR_IOCTL_AFD_POLL 0x00012024
#define GR_AFD_POLL_RECEIVE 0x0001
#define GR_AFD_POLL_SEND 0x0004
#define GR_AFD_POLL_DISCONNECT 0x0008
#define GR_AFD_POLL_ABORT 0x0010
#define GR_AFD_POLL_LOCAL_CLOSE 0x0020
#define GR_AFD_POLL_ACCEPT 0x0080
#define GR_AFD_POLL_CONNECT_FAIL 0x0100

#define GR_STATUS_PENDING ((NTSTATUS)0x00000103L)
#define GR_STATUS_CANCELLED ((NTSTATUS)0xC0000120L)
#define GR_STATUS_INVALID_HANDLE ((NTSTATUS)0xC0000008L)

typedef struct gr_afd_poll_handle_t {
    HANDLE handle;  /* the socket's base handle */
    ULONG events;   /* in: AFD_POLL_* to watch; out: those that hold */
    NTSTATUS status;
} gr_afd_poll_handle_t;

typedef struct gr_afd_poll_info_t {
    LARGE_INTEGER timeout;   /* INT64_MAX: none */
    ULONG number_of_handles; /* in: 1; out: how many handles report */
    ULONG exclusive;         /* FALSE: other polls of the socket stay pending */
    gr_afd_poll_handle_t handles[1];
} gr_afd_poll_info_t;

/* In ntdll (mingw's libntdll.a exports it) but not in mingw's winternl.h. */
extern "C" NTSTATUS NTAPI NtCancelIoFileEx(HANDLE file, PIO_STATUS_BLOCK request, PIO_STATUS_BLOCK status);

static inline bool gr_nt_error(NTSTATUS s)
{
    return ((ULONG)s >> 30) == 3;
}

/* ---- the poll ---- */

typedef struct gr_iocp_reg_t gr_iocp_reg_t;

/* One AFD poll request. iosb comes first: a completion's lpOverlapped is
 * the ApcContext passed to NtDeviceIoControlFile, which is this struct. */
typedef struct gr_iocp_req_t {
    IO_STATUS_BLOCK iosb;
    gr_afd_poll_info_t info;          /* input and output of the request */
    gr_iocp_reg_t *reg;               /* whom it serves; NULL once orphaned */
    struct gr_iocp_req_t *prev, *next; /* the in-flight list; next: the free list */
    int inflight;                     /* submitted, completion not dequeued yet */
} gr_iocp_req_t;

/* One socket registered in this poll. */
struct gr_iocp_reg_t {
    intptr_t sock;         /* the key: gr_socket_t.h (a SOCKET) */
    HANDLE base;           /* SIO_BASE_HANDLE of sock, what AFD polls */
    void *udata;
    uint32_t events;       /* GR_POLL_IN / GR_POLL_OUT asked for */
    uint32_t armed;        /* the events the in-flight request watches */
    gr_iocp_req_t *req;    /* always set: idle, or in flight for this registration */
    gr_iocp_reg_t *prev, *next; /* the to-arm list */
    int to_arm;            /* on that list */
    int closed;            /* AFD said the socket was closed (no del first): not re-armed */
};

struct gr_poll_t {
    HANDLE port;                   /* the completion port */
    HANDLE afd;                    /* \Device\Afd, associated with port */
    std::atomic<int> wake_pending; /* 1 from a wake until the loop consumes it */
    gr_iocp_reg_t **tab;           /* registrations by socket, open addressing */
    uint32_t tab_cap, tab_count;   /* tab_cap: a power of two */
    gr_iocp_reg_t *to_arm;         /* registrations whose request the next wait submits */
    gr_iocp_req_t *inflight;       /* requests submitted and not dequeued */
    int n_inflight;
    gr_iocp_req_t *free_reqs;      /* spare requests */
    OVERLAPPED_ENTRY *ents;        /* a wait's dequeued packets, GR_POLL_MAX_EVENTS long */
};

/* A completion key for the AFD handle's packets; wake packets carry 0. */
#define GR_IOCP_KEY_AFD 1

/* ---- the socket -> registration table ---- */

static uint32_t tab_slot(intptr_t s, uint32_t mask)
{
    /* SOCKET values are multiples of 4: drop those bits, then spread. */
    uint64_t x = ((uint64_t)s >> 2) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 32) & mask;
}

static gr_iocp_reg_t *tab_find(gr_poll_t *p, intptr_t s)
{
    uint32_t mask = p->tab_cap - 1;
    for (uint32_t i = tab_slot(s, mask);; i = (i + 1) & mask) {
        gr_iocp_reg_t *r = p->tab[i];
        if (r == NULL || r->sock == s)
            return r;
    }
}

static void tab_put(gr_iocp_reg_t **tab, uint32_t cap, gr_iocp_reg_t *r)
{
    uint32_t mask = cap - 1, i = tab_slot(r->sock, mask);
    while (tab[i] != NULL)
        i = (i + 1) & mask;
    tab[i] = r;
}

/* Room for one more, keeping the table at most half full. 0 or -ENOMEM. */
static int tab_room(gr_poll_t *p)
{
    if ((p->tab_count + 1) * 2 <= p->tab_cap)
        return 0;
    if (p->tab_cap > UINT32_MAX / 4)
        return -ENOMEM;
    uint32_t cap = p->tab_cap * 2;
    gr_iocp_reg_t **t = (gr_iocp_reg_t **)calloc(cap, sizeof *t);
    if (t == NULL)
        return -ENOMEM;
    for (uint32_t i = 0; i < p->tab_cap; i++)
        if (p->tab[i] != NULL)
            tab_put(t, cap, p->tab[i]);
    free(p->tab);
    p->tab = t;
    p->tab_cap = cap;
    return 0;
}

/* Remove r, shifting back the entries after it that probed past its slot
 * (no tombstones: lookups stay short however many sockets come and go). */
static void tab_remove(gr_poll_t *p, gr_iocp_reg_t *r)
{
    uint32_t mask = p->tab_cap - 1, i = tab_slot(r->sock, mask);
    while (p->tab[i] != r)
        i = (i + 1) & mask;
    p->tab[i] = NULL;
    for (uint32_t j = (i + 1) & mask; p->tab[j] != NULL; j = (j + 1) & mask) {
        uint32_t home = tab_slot(p->tab[j]->sock, mask);
        /* Entry j may fill the hole at i when i lies on its probe path,
         * from home to j. */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            p->tab[i] = p->tab[j];
            p->tab[j] = NULL;
            i = j;
        }
    }
    p->tab_count--;
}

/* ---- lists ---- */

/* Both lists (registrations to arm, requests in flight) are doubly
 * linked through their nodes' prev and next, with *head the first node. */
template <typename T> static void list_push(T **head, T *x)
{
    x->prev = NULL;
    x->next = *head;
    if (*head != NULL)
        (*head)->prev = x;
    *head = x;
}

template <typename T> static void list_remove(T **head, T *x)
{
    if (x->prev != NULL)
        x->prev->next = x->next;
    else
        *head = x->next;
    if (x->next != NULL)
        x->next->prev = x->prev;
}

static void arm_later(gr_poll_t *p, gr_iocp_reg_t *r)
{
    if (r->to_arm)
        return;
    r->to_arm = 1;
    list_push(&p->to_arm, r);
}

static void arm_cancel(gr_poll_t *p, gr_iocp_reg_t *r)
{
    if (!r->to_arm)
        return;
    list_remove(&p->to_arm, r);
    r->to_arm = 0;
}

static void inflight_add(gr_poll_t *p, gr_iocp_req_t *q)
{
    q->inflight = 1;
    list_push(&p->inflight, q);
    p->n_inflight++;
}

static void inflight_remove(gr_poll_t *p, gr_iocp_req_t *q)
{
    list_remove(&p->inflight, q);
    q->inflight = 0;
    p->n_inflight--;
}

static gr_iocp_req_t *req_new(gr_poll_t *p)
{
    gr_iocp_req_t *q = p->free_reqs;
    if (q != NULL)
        p->free_reqs = q->next;
    else if ((q = (gr_iocp_req_t *)malloc(sizeof *q)) == NULL)
        return NULL;
    memset(q, 0, sizeof *q);
    return q;
}

static void req_free(gr_poll_t *p, gr_iocp_req_t *q)
{
    q->reg = NULL;
    q->next = p->free_reqs;
    p->free_reqs = q;
}

/* Cancel an in-flight request and detach it from its registration: its
 * completion still comes (STATUS_CANCELLED, or whatever it completed with
 * before the cancel reached it) and is swallowed then. */
static void req_orphan(gr_poll_t *p, gr_iocp_req_t *q)
{
    IO_STATUS_BLOCK cio;
    /* STATUS_NOT_FOUND: it completed already and its packet is queued. */
    NtCancelIoFileEx(p->afd, &q->iosb, &cio);
    q->reg = NULL;
}

/* ---- events ---- */

static ULONG to_afd(uint32_t events)
{
    /* Errors always (epoll's EPOLLERR/EPOLLHUP are never masked), and
     * LOCAL_CLOSE so a socket closed without del ends its request. */
    ULONG a = GR_AFD_POLL_ABORT | GR_AFD_POLL_CONNECT_FAIL | GR_AFD_POLL_LOCAL_CLOSE;
    /* DISCONNECT (the peer's FIN) is IN, as epoll's EPOLLRDHUP: the reader
     * reads the EOF. */
    if (events & GR_POLL_IN)
        a |= GR_AFD_POLL_RECEIVE | GR_AFD_POLL_ACCEPT | GR_AFD_POLL_DISCONNECT;
    if (events & GR_POLL_OUT)
        a |= GR_AFD_POLL_SEND;
    return a;
}

static uint32_t from_afd(ULONG a)
{
    uint32_t e = 0;
    if (a & (GR_AFD_POLL_RECEIVE | GR_AFD_POLL_ACCEPT | GR_AFD_POLL_DISCONNECT))
        e |= GR_POLL_IN;
    if (a & GR_AFD_POLL_SEND)
        e |= GR_POLL_OUT;
    /* A reset: what epoll reports as EPOLLHUP|EPOLLERR. */
    if (a & GR_AFD_POLL_ABORT)
        e |= GR_POLL_ERR | GR_POLL_IN;
    /* A failed connect: Linux reports EPOLLOUT|EPOLLERR|EPOLLHUP, so a
     * caller waiting to write learns it too. */
    if (a & GR_AFD_POLL_CONNECT_FAIL)
        e |= GR_POLL_ERR | GR_POLL_IN | GR_POLL_OUT;
    return e;
}

/* What a registration asking `want` is told of `got`: its own bits, and
 * an error always, with IN (point 2). */
static uint32_t mask_events(uint32_t got, uint32_t want)
{
    if (got & GR_POLL_ERR)
        return (got & want) | GR_POLL_ERR | GR_POLL_IN;
    return got & want;
}

/* The handle AFD knows the socket by; NULL when s is no socket. */
static HANDLE base_handle(intptr_t s)
{
    /* Is it a socket at all? Asked apart, because Wine's SIO_BASE_HANDLE
     * hands any value back unchecked (Windows says WSAENOTSOCK), and a
     * bad socket must be GR_EINVAL at add, not a silent dead registration
     * later. SO_TYPE is answered from the provider's own socket state. */
    int type = 0, len = (int)sizeof type;
    if (getsockopt((SOCKET)s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0 && WSAGetLastError() == WSAENOTSOCK)
        return NULL;
    HANDLE h = NULL;
    DWORD n = 0;
    if (WSAIoctl((SOCKET)s, SIO_BASE_HANDLE, NULL, 0, &h, sizeof h, &n, NULL, NULL) == 0 && h != NULL)
        return h;
    if (WSAGetLastError() == WSAENOTSOCK)
        return NULL;
    /* A layered provider that refuses SIO_BASE_HANDLE may still hand out
     * the handle it polls (what wepoll falls back to), else use s as is. */
    h = NULL;
    if (WSAIoctl((SOCKET)s, SIO_BSP_HANDLE_POLL, NULL, 0, &h, sizeof h, &n, NULL, NULL) == 0 && h != NULL)
        return h;
    return (HANDLE)s;
}

/* Submit r's request. 0 when it is in flight (its completion will come) or
 * the socket is gone; GR_POLL_ERR|GR_POLL_IN when AFD refused it, which
 * the caller reports as the socket's error. */
static uint32_t arm(gr_poll_t *p, gr_iocp_reg_t *r)
{
    gr_iocp_req_t *q = r->req;
    q->info.timeout.QuadPart = INT64_MAX;
    q->info.number_of_handles = 1;
    q->info.exclusive = FALSE;
    q->info.handles[0].handle = r->base;
    q->info.handles[0].events = to_afd(r->events);
    q->info.handles[0].status = 0;
    q->iosb.Status = GR_STATUS_PENDING;
    q->iosb.Information = 0;
    NTSTATUS st = NtDeviceIoControlFile(p->afd, NULL, NULL, q, &q->iosb, GR_IOCTL_AFD_POLL, &q->info,
                                        sizeof q->info, &q->info, sizeof q->info);
    /* Pending, or done at once: either way a packet is queued (the AFD
     * handle does not skip the port on success). Only an error status
     * returned here queues nothing. */
    if (!gr_nt_error(st)) {
        inflight_add(p, q);
        r->armed = r->events;
        return 0;
    }
    if (st == GR_STATUS_INVALID_HANDLE) {
        r->closed = 1; /* closed before its del: nothing more to say */
        return 0;
    }
    return GR_POLL_ERR | GR_POLL_IN;
}

/* ---- the API ---- */

/* Microseconds on the performance counter, for wait deadlines: not
 * GetTickCount64, whose 15.6 ms steps could end a 100 ms wait at 85 ms. */
static ULONGLONG now_us(void)
{
    LARGE_INTEGER c, f;
    QueryPerformanceCounter(&c);
    QueryPerformanceFrequency(&f);
    ULONGLONG n = (ULONGLONG)c.QuadPart, hz = (ULONGLONG)f.QuadPart;
    return n / hz * 1000000ull + n % hz * 1000000ull / hz;
}

int gr_poll_create(gr_poll_t **out)
{
    if (out == NULL)
        return GR_EINVAL;
    *out = NULL;
    int err;
    NTSTATUS st;
    static WCHAR name_buf[] = L"\\Device\\Afd\\grocket";
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attr;
    IO_STATUS_BLOCK iosb;
    gr_poll_t *p = new (std::nothrow) gr_poll_t();
    if (p == NULL)
        return -ENOMEM;
    p->wake_pending.store(0, std::memory_order_relaxed);
    p->port = NULL;
    p->afd = NULL;
    p->tab_cap = 64;
    p->tab = (gr_iocp_reg_t **)calloc(p->tab_cap, sizeof *p->tab);
    p->ents = (OVERLAPPED_ENTRY *)calloc(GR_POLL_MAX_EVENTS, sizeof *p->ents);
    if (p->tab == NULL || p->ents == NULL) {
        err = -ENOMEM;
        goto fail;
    }
    p->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (p->port == NULL) {
        err = -gr_win_errno(GetLastError());
        goto fail;
    }
    /* A handle of the AFD driver of our own, to send poll requests through
     * (any name under \Device\Afd opens it). */
    name.Buffer = name_buf;
    name.Length = (USHORT)(sizeof name_buf - sizeof(WCHAR));
    name.MaximumLength = (USHORT)sizeof name_buf;
    InitializeObjectAttributes(&attr, &name, 0, NULL, NULL);
    st = NtCreateFile(&p->afd, SYNCHRONIZE, &attr, &iosb, NULL, 0, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN, 0,
                      NULL, 0);
    if (st != 0) {
        p->afd = NULL;
        err = -gr_win_errno(RtlNtStatusToDosError(st));
        goto fail;
    }
    if (CreateIoCompletionPort(p->afd, p->port, GR_IOCP_KEY_AFD, 0) == NULL) {
        err = -gr_win_errno(GetLastError());
        goto fail;
    }
    /* Nobody waits on the handle itself: do not signal it per completion. */
    SetFileCompletionNotificationModes(p->afd, FILE_SKIP_SET_EVENT_ON_HANDLE);
    *out = p;
    return 0;
fail:
    gr_poll_destroy(p);
    return err;
}

/* Dequeue completions until no request is in flight or ms have passed:
 * every request's memory is free to reuse afterwards. Registrations are
 * gone by now, so every request is an orphan. */
static void drain(gr_poll_t *p, DWORD ms)
{
    ULONGLONG deadline = GetTickCount64() + ms;
    while (p->n_inflight > 0) {
        ULONGLONG now = GetTickCount64();
        if (now >= deadline)
            return;
        ULONG n = 0;
        if (!GetQueuedCompletionStatusEx(p->port, p->ents, GR_POLL_MAX_EVENTS, &n, (DWORD)(deadline - now), FALSE))
            n = 0;
        for (ULONG i = 0; i < n; i++) {
            gr_iocp_req_t *q = (gr_iocp_req_t *)p->ents[i].lpOverlapped;
            if (q == NULL)
                continue; /* a wake */
            inflight_remove(p, q);
            req_free(p, q);
        }
    }
}

void gr_poll_destroy(gr_poll_t *p)
{
    if (p == NULL)
        return;
    /* Registrations first: an in-flight request is cancelled and orphaned,
     * an idle one goes back to the free list. */
    for (uint32_t i = 0; p->tab != NULL && i < p->tab_cap; i++) {
        gr_iocp_reg_t *r = p->tab[i];
        if (r == NULL)
            continue;
        if (r->req->inflight)
            req_orphan(p, r->req);
        else
            req_free(p, r->req);
        free(r);
    }
    if (p->n_inflight > 0) {
        drain(p, GR_IOCP_DRAIN_MS);
        /* Still some: closing the AFD handle cancels all its requests.
         * Whatever is left after that is leaked, not freed under the
         * kernel. */
        if (p->n_inflight > 0 && p->afd != NULL) {
            CloseHandle(p->afd);
            p->afd = NULL;
            drain(p, 1000);
        }
    }
    if (p->afd != NULL)
        CloseHandle(p->afd);
    if (p->port != NULL)
        CloseHandle(p->port);
    while (p->free_reqs != NULL) {
        gr_iocp_req_t *q = p->free_reqs;
        p->free_reqs = q->next;
        free(q);
    }
    free(p->tab);
    free(p->ents);
    delete p;
}

int gr_poll_add(gr_poll_t *p, gr_socket_t s, uint32_t events, void *udata)
{
    if (p == NULL || !gr_socket_valid(s) || udata == NULL)
        return GR_EINVAL;
    if (tab_find(p, s.h) != NULL)
        return -EEXIST;
    HANDLE base = base_handle(s.h);
    if (base == NULL)
        return GR_EINVAL;
    int rc = tab_room(p);
    if (rc != 0)
        return rc;
    gr_iocp_reg_t *r = (gr_iocp_reg_t *)calloc(1, sizeof *r);
    gr_iocp_req_t *q = r != NULL ? req_new(p) : NULL;
    if (q == NULL) {
        free(r);
        return -ENOMEM;
    }
    r->sock = s.h;
    r->base = base;
    r->udata = udata;
    r->events = events & (GR_POLL_IN | GR_POLL_OUT);
    r->req = q;
    q->reg = r;
    tab_put(p->tab, p->tab_cap, r);
    p->tab_count++;
    arm_later(p, r);
    return 0;
}

int gr_poll_mod(gr_poll_t *p, gr_socket_t s, uint32_t events, void *udata)
{
    if (p == NULL || !gr_socket_valid(s) || udata == NULL)
        return GR_EINVAL;
    gr_iocp_reg_t *r = tab_find(p, s.h);
    if (r == NULL)
        return -ENOENT;
    events &= GR_POLL_IN | GR_POLL_OUT;
    /* The udata is read when an event is reported: changing it is free. */
    r->udata = udata;
    if (r->req->inflight) {
        /* A pending request that watches all that is asked now is kept:
         * what it reports is masked by the new events, and one reporting
         * only what is no longer asked is simply re-armed. */
        if ((events & ~r->armed) == 0) {
            r->events = events;
            return 0;
        }
        /* It watches too little: swap in a fresh one, armed by the next
         * wait, and let the old one complete cancelled. */
        gr_iocp_req_t *fresh = req_new(p);
        if (fresh == NULL)
            return -ENOMEM;
        req_orphan(p, r->req);
        r->req = fresh;
        fresh->reg = r;
    }
    r->events = events;
    r->closed = 0;
    arm_later(p, r);
    return 0;
}

int gr_poll_del(gr_poll_t *p, gr_socket_t s)
{
    if (p == NULL || !gr_socket_valid(s))
        return GR_EINVAL;
    gr_iocp_reg_t *r = tab_find(p, s.h);
    if (r == NULL)
        return -ENOENT;
    tab_remove(p, r);
    arm_cancel(p, r);
    /* Point 5: the registration is gone now; a request still in flight is
     * swallowed when its completion comes. */
    if (r->req->inflight)
        req_orphan(p, r->req);
    else
        req_free(p, r->req);
    free(r);
    return 0;
}

/* Submit every registration waiting to be armed. One that AFD refuses is
 * reported at once as an error while there is room in events[0..max), and
 * stays on the list either way (level-triggered: the error again next
 * wait). */
static int arm_all(gr_poll_t *p, gr_poll_event_t *events, int max)
{
    int out = 0;
    gr_iocp_reg_t *r = p->to_arm;
    while (r != NULL) {
        gr_iocp_reg_t *next = r->next;
        arm_cancel(p, r);
        uint32_t err = r->closed ? 0 : arm(p, r);
        if (err != 0) {
            if (out < max) {
                events[out].udata = r->udata;
                events[out].events = err;
                out++;
            }
            arm_later(p, r); /* at the head: not seen again by this loop */
        }
        r = next;
    }
    return out;
}

/* One dequeued packet: 1 and *ev filled when it is an event to report,
 * else 0 (a cancelled or orphaned request, or events nobody asks for). */
static int take(gr_poll_t *p, const OVERLAPPED_ENTRY *e, gr_poll_event_t *ev)
{
    if (e->lpOverlapped == NULL) {
        /* A wake. Clear the flag after dequeuing the packet: a wake landing
         * in between finds the flag still set and posts nothing, which is
         * fine, this report covers it; the exchange acquires the waker's
         * release, so what it queued before waking is visible. */
        p->wake_pending.exchange(0, std::memory_order_acq_rel);
        ev->udata = NULL;
        ev->events = GR_POLL_IN;
        return 1;
    }
    gr_iocp_req_t *q = (gr_iocp_req_t *)e->lpOverlapped;
    inflight_remove(p, q);
    gr_iocp_reg_t *r = q->reg;
    if (r == NULL) {
        req_free(p, q); /* cancelled by mod or del: its memory is ours again */
        return 0;
    }
    r->armed = 0;
    NTSTATUS st = q->iosb.Status;
    uint32_t got = 0;
    if (st == GR_STATUS_CANCELLED) {
        got = 0; /* cancelled by someone else: just ask again */
    } else if (gr_nt_error(st)) {
        got = GR_POLL_ERR | GR_POLL_IN;
    } else if (q->info.number_of_handles >= 1) {
        ULONG a = q->info.handles[0].events;
        if (a & GR_AFD_POLL_LOCAL_CLOSE) {
            /* The socket was closed while registered (point 5 wants del
             * first): like epoll, which drops a closed descriptor, it is
             * not reported again. */
            r->closed = 1;
            return 0;
        }
        got = from_afd(a);
    }
    arm_later(p, r); /* re-armed by the next wait: level-triggered */
    got = mask_events(got, r->events);
    if (got == 0)
        return 0;
    ev->udata = r->udata;
    ev->events = got;
    return 1;
}

int gr_poll_wait(gr_poll_t *p, gr_poll_event_t *events, int max, int timeout_ms)
{
    if (p == NULL || events == NULL || max <= 0)
        return GR_EINVAL;
    if (max > GR_POLL_MAX_EVENTS)
        max = GR_POLL_MAX_EVENTS;
    ULONGLONG deadline = timeout_ms > 0 ? now_us() + (ULONGLONG)timeout_ms * 1000ull : 0;
    for (;;) {
        int out = arm_all(p, events, max);
        if (out < max) {
            DWORD t;
            if (out > 0 || timeout_ms == 0) {
                t = 0;
            } else if (timeout_ms < 0) {
                t = INFINITE;
            } else {
                /* Rounded up: a wait never ends before its time-out. */
                ULONGLONG now = now_us();
                t = now < deadline ? (DWORD)((deadline - now + 999) / 1000) : 0;
            }
            /* At most as many packets as there is room for events: each
             * gives at most one, so none is dequeued and then dropped. */
            ULONG n = 0;
            if (!GetQueuedCompletionStatusEx(p->port, p->ents, (ULONG)(max - out), &n, t, FALSE)) {
                DWORD e = GetLastError();
                if (e != WAIT_TIMEOUT)
                    return out > 0 ? out : -gr_win_errno(e);
                n = 0;
            }
            for (ULONG i = 0; i < n; i++)
                out += take(p, &p->ents[i], &events[out]);
        }
        if (out > 0 || timeout_ms == 0)
            return out;
        /* Only swallowed packets (or a wait ended early): wait again for
         * the rest of the time, arming what they left to arm. */
        if (timeout_ms > 0 && now_us() >= deadline)
            return 0;
    }
}

void gr_poll_wake(gr_poll_t *p)
{
    if (p == NULL)
        return;
    /* Coalesce: only the first wake since the loop last consumed one posts
     * a packet. */
    if (p->wake_pending.exchange(1, std::memory_order_acq_rel) != 0)
        return;
    if (!PostQueuedCompletionStatus(p->port, 0, 0, NULL)) {
        /* No packet (out of kernel memory): let the next wake try again
         * rather than leave the flag set with nothing queued. */
        p->wake_pending.store(0, std::memory_order_release);
    }
}

const char *gr_poll_backend_name(void)
{
    return "iocp";
}
