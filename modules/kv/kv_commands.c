/* kv_commands.c - the command table and its look-up. */
#include <string.h>

#include "kv.h"

#define W KV_CMD_WRITE
#define R KV_CMD_READONLY
#define M KV_CMD_DENYOOM

/* name, function, arity, flags, first key, last key, key step (as Redis's
 * COMMAND reports them). */
const kv_command_t kv_commands[] = {
    {"get", kv_cmd_get, 2, R, 1, 1, 1},
    {"set", kv_cmd_set, -3, W | M, 1, 1, 1},
    {"del", kv_cmd_del, -2, W, 1, -1, 1},
    {"exists", kv_cmd_exists, -2, R, 1, -1, 1},
    {"mget", kv_cmd_mget, -2, R, 1, -1, 1},
    {"mset", kv_cmd_mset, -3, W | M, 1, -1, 2},
    {"append", kv_cmd_append, 3, W | M, 1, 1, 1},
    {"strlen", kv_cmd_strlen, 2, R, 1, 1, 1},
    {"incr", kv_cmd_incr, 2, W | M, 1, 1, 1},
    {"decr", kv_cmd_decr, 2, W | M, 1, 1, 1},
    {"incrby", kv_cmd_incrby, 3, W | M, 1, 1, 1},
    {"decrby", kv_cmd_decrby, 3, W | M, 1, 1, 1},
    {"expire", kv_cmd_expire, -3, W, 1, 1, 1},
    {"pexpire", kv_cmd_pexpire, -3, W, 1, 1, 1},
    {"ttl", kv_cmd_ttl, 2, R, 1, 1, 1},
    {"pttl", kv_cmd_pttl, 2, R, 1, 1, 1},
    {"persist", kv_cmd_persist, 2, W, 1, 1, 1},
    {"ping", kv_cmd_ping, -1, 0, 0, 0, 0},
    {"echo", kv_cmd_echo, 2, 0, 0, 0, 0},
    {"quit", kv_cmd_quit, -1, 0, 0, 0, 0},
    {"select", kv_cmd_select, 2, 0, 0, 0, 0},
    {"dbsize", kv_cmd_dbsize, 1, R, 0, 0, 0},
    {"flushdb", kv_cmd_flushall, -1, W, 0, 0, 0},
    {"flushall", kv_cmd_flushall, -1, W, 0, 0, 0},
    {"info", kv_cmd_info, -1, 0, 0, 0, 0},
    {"config", kv_cmd_config, -2, 0, 0, 0, 0},
    {"command", kv_cmd_command, -1, 0, 0, 0, 0},
};
const size_t kv_command_count = sizeof kv_commands / sizeof kv_commands[0];

const kv_command_t *kv_command_find(const char *name, size_t n)
{
    /* The first letter rules out most names at one compare each, and the
     * rest is folded as it is compared (no strlen, no call): GET and SET
     * cost a few dozen instructions, where kv_arg_is per entry cost ~80. */
    if (n == 0)
        return NULL;
    char c0 = kv_fold(name[0]);
    for (size_t k = 0; k < kv_command_count; k++) {
        const char *c = kv_commands[k].name;
        if (c[0] != c0)
            continue;
        size_t i = 1;
        while (i < n && c[i] != '\0' && c[i] == kv_fold(name[i])) /* a NUL in the name matches nothing */
            i++;
        if (i == n && c[n] == '\0')
            return &kv_commands[k];
    }
    return NULL;
}
