/* gr_host.cpp - what a program hosting the library needs beyond a server's
 * life (libgrocket.h): the values of its own keys, and the process log.
 * grocketd is such a program and uses nothing else. */
#include <stdarg.h>

#include "gr_error.h"
#include "gr_log.h"
#include "gr_server.h"
#include "gr_settings_keys.h"

int gr_server_setting(const gr_server_t *s, const char *key, char *buf, size_t len)
{
    int i = s && key ? gr_settings_key_find(key) : -1;
    if (i < 0 || !buf || !len)
        return GR_EINVAL;
    gr_settings_key_value(i, gr_settings_live(s), buf, len);
    return GR_OK;
}

int gr_server_log_open(const char *path) { return gr_log_open(path); }

void gr_server_log_close(void) { gr_log_close(); }

void gr_server_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gr_logv(level, fmt, ap);
    va_end(ap);
}
