/* gr_host.cpp - what a program hosting the library needs beyond a server's
 * life (libgrocket.h): the values of [server] keys (the library's and its
 * own, gr_server_create_hosted), and the process log.
 * grocketd is such a program and uses nothing else. */
#include <stdarg.h>

#include "gr_error.h"
#include "gr_log.h"
#include "gr_server.h"
#include "gr_settings.h"
#include "gr_settings_keys.h"

int gr_server_setting(const gr_server_t *s, const char *key, char *buf, size_t len)
{
    if (!s || !key || !buf || !len)
        return GR_EINVAL;
    int i = gr_settings_key_find(key);
    if (i >= 0) {
        gr_settings_key_value(i, gr_settings_live(s), buf, len);
        return GR_OK;
    }
    /* A host key: checked at create, so its value converts; from the
     * configuration s was created with (a reload checks, not applies). */
    const gr_host_key_t *k = gr_host_key_find(s->config, key);
    if (!k)
        return GR_EINVAL;
    return gr_host_key_value(s->config, k, buf, len) == 0 ? GR_OK : GR_EINVAL;
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
