/* grocketd_keys.h - grocketd's own [server] keys: the library checks them
 * with the file (gr_server_create_hosted) and never acts on them; grocketd
 * reads them back with gr_server_setting. Listed with their defaults in
 * conf/grocketd.ini and under "grocketd's own keys" in
 * docs/configuration.md (tests/unit/test_config.cpp compares them). */
#ifndef GROCKETD_KEYS_H
#define GROCKETD_KEYS_H

#include "libgrocket.h"

static const gr_host_key_t grocketd_host_keys[] = {
    {"daemon", GR_HOST_BOOL, "false", "detach into the background"},
    {"pid_file", GR_HOST_PATH, "grocketd.pid", "written once detached; empty: none"},
    {NULL, 0, NULL, NULL},
};

#endif
