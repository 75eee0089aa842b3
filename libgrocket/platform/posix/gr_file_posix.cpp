/* gr_file_posix.cpp - gr_file.h on POSIX systems. */
#include "gr_file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

gr_file_t gr_file_stderr(void) { return STDERR_FILENO; }

int gr_file_open_append(const char *path, gr_file_t *out)
{
    /* O_APPEND: each write(2) lands whole at the end, also with other
     * writers (a second process, logrotate's copytruncate). */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if (fd <= STDERR_FILENO) {
        /* A daemon without stdio would otherwise get the log where stdio was. */
        int high = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        int err = errno;
        close(fd);
        if (high < 0)
            return -err;
        fd = high;
    }
    *out = fd;
    return 0;
}

int gr_file_write_all(gr_file_t f, const void *buf, size_t len)
{
    const char *p = (const char *)buf;
    while (len > 0) {
        ssize_t w = write((int)f, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

void gr_file_close(gr_file_t f)
{
    if (f != GR_NO_FILE)
        close((int)f);
}
