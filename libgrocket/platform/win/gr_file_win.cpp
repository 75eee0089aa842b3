/* gr_file_win.cpp - gr_file.h on Windows: the log file opened with
 * CreateFileW for appending only (FILE_APPEND_DATA: every WriteFile lands
 * whole at the end, also with other writers) and shared for reading,
 * writing and deleting (FILE_SHARE_DELETE lets log rotation rename the
 * file while it is open, then ask for a reopen, as on POSIX). The path is
 * UTF-8 and goes to the system as UTF-16. The handle is not inherited. */
#include "gr_win.h"

#include <errno.h>

#include "gr_file.h"

/* One writer at a time in this process. Windows appends each WriteFile on
 * a FILE_APPEND_DATA handle whole at the end of the file; Wine 8 does not
 * when several threads write through one handle (measured: 4 threads of
 * 300 lines lost a tenth of the bytes to overwrites), and the log writes
 * from every thread. Uncontended it costs an atomic operation; on Windows
 * a synchronous handle serialises its writes anyway. */
static SRWLOCK g_write_lock = SRWLOCK_INIT;

gr_file_t gr_file_stderr(void) { return (gr_file_t)GetStdHandle(STD_ERROR_HANDLE); }

int gr_file_open_append(const char *path, gr_file_t *out)
{
    wchar_t w[MAX_PATH * 4];
    int rc = gr_win_utf16(path, w, sizeof w / sizeof w[0]);
    if (rc != 0)
        return rc;
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE}; /* not inherited */
    HANDLE h = CreateFileW(w, FILE_APPEND_DATA | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &sa,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return -gr_win_errno(GetLastError());
    *out = (gr_file_t)h;
    return 0;
}

int gr_file_write_all(gr_file_t f, const void *buf, size_t len)
{
    const char *p = (const char *)buf;
    if (f == GR_NO_FILE || f == 0)
        return -EBADF; /* a process without a standard error */
    int rc = 0;
    AcquireSRWLockExclusive(&g_write_lock);
    while (len > 0) {
        DWORD chunk = len > 0x40000000u ? 0x40000000u : (DWORD)len;
        DWORD w = 0;
        if (!WriteFile((HANDLE)f, p, chunk, &w, NULL)) {
            rc = -gr_win_errno(GetLastError());
            break;
        }
        p += w;
        len -= w;
    }
    ReleaseSRWLockExclusive(&g_write_lock);
    return rc;
}

void gr_file_close(gr_file_t f)
{
    if (f != GR_NO_FILE && f != 0 && (HANDLE)f != GetStdHandle(STD_ERROR_HANDLE))
        CloseHandle((HANDLE)f);
}
