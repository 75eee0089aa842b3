/* demo.c - the demo module grocketd loads by default: an echo over TCP.
 * Whatever arrives is one package, and is sent straight back. */
#include "grocket.h"

static const gr_services_t *gr;

static int demo_init(const gr_services_t *services)
{
    gr = services;
    return 0;
}

static long demo_check(gr_conn_t *conn, const char *data, size_t len)
{
    return (long)len; /* everything received so far is one package */
}

static int demo_proc(gr_conn_t *conn, const char *package, size_t len)
{
    return gr->reply(conn, package, len) == 0 ? GR_PROC_OK : GR_PROC_CLOSE;
}

GR_MODULE_EXPORT const gr_module_t *gr_module_entry(void)
{
    static const gr_module_t module = {
        GR_MODULE_HEADER("demo"),
        .init = demo_init,
        .check = demo_check,
        .proc = demo_proc,
    };
    return &module;
}
