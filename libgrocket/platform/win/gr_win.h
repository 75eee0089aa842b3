/* gr_win.h - for the Windows platform files only: <windows.h> the same way
 * in each (lean, no min/max macros, the Windows 10 declarations), and the
 * helpers they share: GetLastError codes onto errno names, UTF-8 and
 * UTF-16 conversion, and a system message as UTF-8 text for the log. */
#ifndef GR_WIN_H
#define GR_WIN_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
/* winsock2.h before windows.h, or windows.h drags in the old winsock.h. */
#include <winsock2.h>
#include <windows.h>

#include <stddef.h>

/* A Win32 error (GetLastError) or a Winsock one (WSAGetLastError; the two
 * share one numbering) as the positive <errno.h> code the seam speaks:
 * WSAEWOULDBLOCK is EAGAIN, WSAECONNRESET ECONNRESET, ERROR_FILE_NOT_FOUND
 * ENOENT... Codes with no counterpart become EIO. gr_errno_win.cpp. */
int gr_win_errno(unsigned long code);
/* The Win32 or Winsock code an errno stands for, for its message (0 when
 * none: strerror's text is used). */
unsigned long gr_win_code_of_errno(int e);
/* The system's message for code (FormatMessageW, as UTF-8, without the
 * trailing line break) into buf; returns buf. */
const char *gr_win_message(unsigned long code, char *buf, size_t len);

/* UTF-8 s into a UTF-16 string out[len]: 0, -ENAMETOOLONG when it does
 * not fit, -EILSEQ for bytes that are not UTF-8. */
int gr_win_utf16(const char *s, wchar_t *out, size_t len);
/* UTF-16 w into UTF-8 out[len]: 0 or -ENAMETOOLONG. */
int gr_win_utf8(const wchar_t *w, char *out, size_t len);

#endif
