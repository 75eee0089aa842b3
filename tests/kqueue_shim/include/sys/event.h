/* sys/event.h - A SHIM FOR TESTS, NOT A KQUEUE. kqueue(2) and kevent(2) for
 * Linux, on top of epoll and eventfd, so that libgrocket's kqueue backend
 * (libgrocket/platform/bsd/gr_poll_kqueue.cpp) is built and tested on Linux
 * (cmake -DGR_POLL_BACKEND=kqueue). It belongs to the tests: it is never
 * installed, and a build that links it refuses `cmake --install`. On FreeBSD
 * and macOS the system's own <sys/event.h> is used and this file is not on
 * the include path.
 *
 * The declarations follow FreeBSD's kqueue(2) man page (FreeBSD 12 and
 * later: struct kevent with a 64-bit data and ext[4]; the same constants
 * as macOS). Only what the shim implements is declared, so a use of
 * anything else fails to compile instead of misbehaving:
 *
 *   filters  EVFILT_READ, EVFILT_WRITE (descriptors), EVFILT_USER
 *   flags    EV_ADD, EV_DELETE, EV_ENABLE, EV_DISABLE, EV_CLEAR,
 *            EV_ONESHOT, EV_RECEIPT; returned: EV_ERROR, EV_EOF
 *   user     NOTE_TRIGGER, NOTE_FFNOP/AND/OR/COPY, NOTE_FFLAGSMASK,
 *            NOTE_FFCTRLMASK
 *
 * Where it differs from a real kqueue (tests/kqueue_shim/gr_kqueue_shim.cpp
 * says why): the kernel deletes a descriptor's knotes when it is closed;
 * the shim cannot see close(2), so it notices at the next EV_ADD or when the
 * descriptor reads as closed, and a knote left behind by a descriptor closed
 * while it was ready may report once for a new file that reuses the number
 * (delete before close, as grocket does, and this never happens). fflags
 * of an EV_EOF read or write event is EIO for "the socket has an error",
 * not the error itself: Linux clears the error when it is read. A
 * listening socket's read data is 1, not the backlog's length. */
#ifndef GR_KQUEUE_SHIM_SYS_EVENT_H
#define GR_KQUEUE_SHIM_SYS_EVENT_H

#include <stdint.h>
#include <time.h> /* struct timespec */

struct kevent {
    uintptr_t ident;      /* identifier for this event: a descriptor, or the user's number */
    short filter;         /* EVFILT_* */
    unsigned short flags; /* EV_* actions in, EV_* states out */
    unsigned int fflags;  /* filter-specific flags */
    int64_t data;         /* filter-specific data; the errno of an EV_ERROR entry */
    void *udata;          /* opaque, handed back as given */
    uint64_t ext[4];      /* extensions (FreeBSD 12); zero here */
};

/* Fill a struct kevent (a statement, as on FreeBSD and macOS). */
#define EV_SET(kevp_, a, b, c, d, e, f) \
    do {                                \
        struct kevent *kevp__ = (kevp_); \
        kevp__->ident = (a);            \
        kevp__->filter = (b);           \
        kevp__->flags = (c);            \
        kevp__->fflags = (d);           \
        kevp__->data = (e);             \
        kevp__->udata = (f);            \
        kevp__->ext[0] = 0;             \
        kevp__->ext[1] = 0;             \
        kevp__->ext[2] = 0;             \
        kevp__->ext[3] = 0;             \
    } while (0)

/* Filters (FreeBSD's numbers). */
#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)
#define EVFILT_USER (-11)

/* Actions. */
#define EV_ADD 0x0001     /* add the event, or modify it when present */
#define EV_DELETE 0x0002  /* remove the event */
#define EV_ENABLE 0x0004  /* let kevent() return it */
#define EV_DISABLE 0x0008 /* keep it but do not return it */
/* Flags. */
#define EV_ONESHOT 0x0010 /* report once, then delete */
#define EV_CLEAR 0x0020   /* reset the state once retrieved */
#define EV_RECEIPT 0x0040 /* always return an EV_ERROR entry for this change */
/* Returned. */
#define EV_EOF 0x8000     /* the filter's end of file (fflags: an error) */
#define EV_ERROR 0x4000   /* a change failed, or its receipt (data: errno or 0) */

/* EVFILT_USER: fflags in, and what kevent() returns. */
#define NOTE_FFNOP 0x00000000      /* ignore the input fflags */
#define NOTE_FFAND 0x40000000      /* AND them into the user flags */
#define NOTE_FFOR 0x80000000       /* OR them in */
#define NOTE_FFCOPY 0xc0000000     /* copy them */
#define NOTE_FFCTRLMASK 0xc0000000 /* the control bits above */
#define NOTE_FFLAGSMASK 0x00ffffff /* the user's own flags */
#define NOTE_TRIGGER 0x01000000    /* trigger the event */

#ifdef __cplusplus
extern "C" {
#endif

/* A new kernel event queue: a descriptor, or -1 with errno. */
int kqueue(void);
/* Apply changelist[0..nchanges), then wait up to *timeout (NULL: for ever)
 * for events into eventlist[0..nevents). The number of entries placed (0 on
 * time-out), or -1 with errno (EBADF, EINVAL, EINTR, ENOENT, ENOMEM...). */
int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist, int nevents,
           const struct timespec *timeout);

#ifdef __cplusplus
}
#endif

#endif
