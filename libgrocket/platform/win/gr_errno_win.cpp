/* gr_errno_win.cpp - Windows errors in the seam's terms: Win32 and Winsock
 * codes onto <errno.h> names (mingw's errno.h has the POSIX socket names,
 * ECONNRESET and the rest, as 100 and up), their texts for the log from
 * FormatMessageW, and UTF-8 / UTF-16 conversion. */
#include "gr_win.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gr_errno.h"

typedef struct gr_win_errmap_t {
    unsigned long code;
    int err;
} gr_win_errmap_t;

/* Winsock first: an errno mapped back (for its message) finds the socket
 * code before a file one. */
static const gr_win_errmap_t g_map[] = {
    {WSAEWOULDBLOCK, EAGAIN},     /* the would-block the pipeline tests for */
    {WSAECONNRESET, ECONNRESET},
    {WSAECONNABORTED, ECONNABORTED},
    {WSAESHUTDOWN, EPIPE},        /* send after shutdown: POSIX says EPIPE */
    {WSAEINTR, EINTR},
    {WSAEBADF, EBADF},
    {WSAEACCES, EACCES},
    {WSAEFAULT, EFAULT},
    {WSAEINVAL, EINVAL},
    {WSAEMFILE, EMFILE},
    {WSAEINPROGRESS, EINPROGRESS},
    {WSAEALREADY, EALREADY},
    {WSAENOTSOCK, EBADF},         /* an invalid SOCKET: what recv(-1) says on POSIX */
    {WSAEDESTADDRREQ, EDESTADDRREQ},
    {WSAEMSGSIZE, EMSGSIZE},
    {WSAEPROTOTYPE, EPROTOTYPE},
    {WSAENOPROTOOPT, ENOPROTOOPT},
    {WSAEPROTONOSUPPORT, EPROTONOSUPPORT},
    {WSAESOCKTNOSUPPORT, EPROTONOSUPPORT},
    {WSAEOPNOTSUPP, EOPNOTSUPP},
    {WSAEPFNOSUPPORT, EAFNOSUPPORT},
    {WSAEAFNOSUPPORT, EAFNOSUPPORT},
    {WSAEADDRINUSE, EADDRINUSE},
    {WSAEADDRNOTAVAIL, EADDRNOTAVAIL},
    {WSAENETDOWN, ENETDOWN},
    {WSAENETUNREACH, ENETUNREACH},
    {WSAENETRESET, ENETRESET},
    {WSAENOBUFS, ENOBUFS},
    {WSAEISCONN, EISCONN},
    {WSAENOTCONN, ENOTCONN},
    {WSAETIMEDOUT, ETIMEDOUT},
    {WSAECONNREFUSED, ECONNREFUSED},
    {WSAELOOP, ELOOP},
    {WSAENAMETOOLONG, ENAMETOOLONG},
    {WSAEHOSTDOWN, EHOSTUNREACH},
    {WSAEHOSTUNREACH, EHOSTUNREACH},
    {WSAENOTEMPTY, ENOTEMPTY},
    {ERROR_NETNAME_DELETED, ECONNRESET}, /* what an I/O on a reset connection says */
    {ERROR_OPERATION_ABORTED, ECANCELED},
    {ERROR_FILE_NOT_FOUND, ENOENT},
    {ERROR_PATH_NOT_FOUND, ENOENT},
    {ERROR_INVALID_DRIVE, ENOENT},
    {ERROR_MOD_NOT_FOUND, ENOENT},
    {ERROR_PROC_NOT_FOUND, ENOENT},
    {ERROR_ACCESS_DENIED, EACCES},
    {ERROR_SHARING_VIOLATION, EACCES},
    {ERROR_LOCK_VIOLATION, EACCES},
    {ERROR_NOT_ENOUGH_MEMORY, ENOMEM},
    {ERROR_OUTOFMEMORY, ENOMEM},
    {ERROR_COMMITMENT_LIMIT, ENOMEM},
    {ERROR_NO_SYSTEM_RESOURCES, ENOMEM},
    {ERROR_INVALID_HANDLE, EBADF},
    {ERROR_INVALID_PARAMETER, EINVAL},
    {ERROR_INVALID_NAME, EINVAL},
    {ERROR_ALREADY_EXISTS, EEXIST},
    {ERROR_FILE_EXISTS, EEXIST},
    {ERROR_FILENAME_EXCED_RANGE, ENAMETOOLONG},
    {ERROR_DISK_FULL, ENOSPC},
    {ERROR_HANDLE_DISK_FULL, ENOSPC},
    {ERROR_TOO_MANY_OPEN_FILES, EMFILE},
    {ERROR_NO_UNICODE_TRANSLATION, EILSEQ},
    {ERROR_BROKEN_PIPE, EPIPE},
    {ERROR_NO_DATA, EPIPE},
    {ERROR_NOT_SUPPORTED, EOPNOTSUPP},
    {ERROR_INSUFFICIENT_BUFFER, ERANGE},
    {ERROR_BAD_EXE_FORMAT, ENOEXEC},
    {ERROR_DIRECTORY, ENOTDIR},
};

int gr_win_errno(unsigned long code)
{
    for (size_t i = 0; i < sizeof g_map / sizeof g_map[0]; i++)
        if (g_map[i].code == code)
            return g_map[i].err;
    return EIO;
}

unsigned long gr_win_code_of_errno(int e)
{
    for (size_t i = 0; i < sizeof g_map / sizeof g_map[0]; i++)
        if (g_map[i].err == e)
            return g_map[i].code;
    return 0;
}

const char *gr_win_message(unsigned long code, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    wchar_t w[512];
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
                             MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), w, sizeof w / sizeof w[0], NULL);
    /* The system's messages end with ".\r\n"; a log line has its own end. */
    while (n > 0 && (w[n - 1] == L'\n' || w[n - 1] == L'\r' || w[n - 1] == L' ' || w[n - 1] == L'.'))
        n--;
    if (n == 0) {
        snprintf(buf, len, "error %lu", code);
        return buf;
    }
    w[n] = L'\0';
    if (gr_win_utf8(w, buf, len) != 0)
        snprintf(buf, len, "error %lu", code);
    return buf;
}

/* Texts for the POSIX socket codes, for when the system has no message
 * for the Winsock code (Wine 8's FormatMessageW knows none of them). */
static const char *socket_text(int e)
{
    switch (e) {
    case EADDRINUSE: return "address already in use";
    case EADDRNOTAVAIL: return "address not available";
    case EAFNOSUPPORT: return "address family not supported";
    case EALREADY: return "operation already in progress";
    case ECONNABORTED: return "connection aborted";
    case ECONNREFUSED: return "connection refused";
    case ECONNRESET: return "connection reset by peer";
    case EDESTADDRREQ: return "destination address required";
    case EHOSTUNREACH: return "host unreachable";
    case EINPROGRESS: return "operation in progress";
    case EISCONN: return "socket is connected";
    case ELOOP: return "too many levels of symbolic links";
    case EMSGSIZE: return "message too long";
    case ENETDOWN: return "network is down";
    case ENETRESET: return "connection reset by network";
    case ENETUNREACH: return "network unreachable";
    case ENOBUFS: return "no buffer space available";
    case ENOPROTOOPT: return "protocol not available";
    case ENOTCONN: return "socket is not connected";
    case ENOTSOCK: return "not a socket";
    case EOPNOTSUPP: return "operation not supported";
    case EPROTONOSUPPORT: return "protocol not supported";
    case EPROTOTYPE: return "protocol wrong type for socket";
    case ETIMEDOUT: return "connection timed out";
    case ECANCELED: return "operation canceled";
    default: return NULL;
    }
}

const char *gr_errno_text(int e)
{
    /* msvcrt's strerror knows the classic codes (below 100) and calls the
     * POSIX socket ones "Unknown error": those get Windows' own text for
     * the Winsock code they came from, and that code. */
    if (e < 100)
        return strerror(e);
    unsigned long code = gr_win_code_of_errno(e);
    if (code == 0)
        return strerror(e);
    static thread_local char buf[300];
    char msg[256];
    const char *text = gr_win_message(code, msg, sizeof msg);
    if (strncmp(text, "error ", 6) == 0 && socket_text(e) != NULL) /* no system message */
        text = socket_text(e);
    snprintf(buf, sizeof buf, "%s (%s %lu)", text, code >= WSABASEERR ? "WSA" : "Win32", code);
    return buf;
}

int gr_win_utf16(const char *s, wchar_t *out, size_t len)
{
    if (len == 0 || len > 0x7fffffff)
        return -EINVAL;
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, out, (int)len);
    if (n > 0)
        return 0;
    out[0] = L'\0';
    return GetLastError() == ERROR_INSUFFICIENT_BUFFER ? -ENAMETOOLONG : -EILSEQ;
}

int gr_win_utf8(const wchar_t *w, char *out, size_t len)
{
    if (len == 0 || len > 0x7fffffff)
        return -EINVAL;
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)len, NULL, NULL);
    if (n > 0)
        return 0;
    out[0] = '\0';
    return -ENAMETOOLONG;
}
