/* gr_poll_retry.h - what every POSIX gr_poll backend does around its
 * system wait (epoll_wait, poll, kevent): a signal (EINTR) restarts the
 * wait with the time left, so it never stretches the caller's time-out.
 * Internal to the backend files. */
#ifndef GR_POLL_RETRY_H
#define GR_POLL_RETRY_H

#include <errno.h>
#include <time.h>

static inline long long gr_poll_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wait(timeout_ms) returns a count, or -1 with errno set. The count, or a
 * negative errno other than EINTR. */
template <typename Wait>
static inline int gr_poll_retry(int timeout_ms, Wait wait)
{
    long long deadline = timeout_ms > 0 ? gr_poll_now_ms() + timeout_ms : 0;
    for (;;) {
        int n = wait(timeout_ms);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
        if (timeout_ms > 0) {
            long long left = deadline - gr_poll_now_ms();
            timeout_ms = left > 0 ? (int)left : 0;
        }
    }
}

#endif
