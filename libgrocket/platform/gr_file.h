/* gr_file.h - the log file sink: append-only files written one whole line
 * per call, with no system header. Renaming the file while it is open must
 * keep working (log rotation renames, then asks for a reopen), so the
 * Windows side opens with FILE_SHARE_DELETE. posix/gr_file_posix.cpp. */
#ifndef GR_FILE_H
#define GR_FILE_H

#include <stddef.h>
#include <stdint.h>

typedef intptr_t gr_file_t;  /* a descriptor or a HANDLE */
#define GR_NO_FILE ((gr_file_t)-1)

/* The process's standard error. */
gr_file_t gr_file_stderr(void);
/* Open path for appending (created 0644 when missing), not inherited by
 * child processes and never in a standard stream's slot. 0 or -errno. */
int gr_file_open_append(const char *path, gr_file_t *out);
/* Write all of buf (retrying short writes); 0 or -errno. */
int gr_file_write_all(gr_file_t f, const void *buf, size_t len);
void gr_file_close(gr_file_t f);

#endif
