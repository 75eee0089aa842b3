/* gr_errno.h - the text of a system error code as the seam speaks it (a
 * positive <errno.h> code), for gr_strerror and the log: strerror on POSIX
 * (posix/gr_errno_posix.cpp); on Windows, where msvcrt's strerror does not
 * know the socket codes, the system's message for the Winsock error the
 * code came from (win/gr_errno_win.cpp). Never NULL. */
#ifndef GR_ERRNO_H
#define GR_ERRNO_H

const char *gr_errno_text(int e);

#endif
