/* kv_cmd_server.c - commands about the connection and the server: PING,
 * ECHO, QUIT, SELECT, DBSIZE, FLUSHDB/FLUSHALL, CONFIG GET and COMMAND
 * (what redis-cli and redis-benchmark ask at start-up). INFO has its own
 * file. */
#include <stdio.h>
#include <string.h>

#include "kv.h"
#include "kv_backup.h"

void kv_cmd_ping(kv_ctx_t *c)
{
    if (c->argc > 2)
        kv_reply_arity(c, "ping");
    else if (c->argc == 2)
        kv_reply_bulk(c, c->argv[1].p, c->argv[1].n);
    else
        kv_reply_str(c, "+PONG\r\n");
}

void kv_cmd_echo(kv_ctx_t *c) { kv_reply_bulk(c, c->argv[1].p, c->argv[1].n); }

void kv_cmd_quit(kv_ctx_t *c)
{
    kv_reply_ok(c);
    c->close = 1;
}

/* One database, number 0. */
void kv_cmd_select(kv_ctx_t *c)
{
    long long db;
    if (kv_parse_ll(c->argv[1].p, c->argv[1].n, &db) != 0)
        kv_reply_error(c, KV_ERR_NOT_INT);
    else if (db != 0)
        kv_reply_error(c, "DB index is out of range");
    else
        kv_reply_ok(c);
}

void kv_cmd_dbsize(kv_ctx_t *c)
{
    kv_store_info_t info;
    kv_store_info(kv.store, &info);
    kv_reply_int(c, (long long)info.keys);
}

/* FLUSHDB and FLUSHALL [ASYNC|SYNC]: the same with one database; always
 * synchronous. */
void kv_cmd_flushall(kv_ctx_t *c)
{
    if (c->argc > 2 || (c->argc == 2 && !kv_arg_is(&c->argv[1], "async") && !kv_arg_is(&c->argv[1], "sync"))) {
        kv_reply_error(c, KV_ERR_SYNTAX);
        return;
    }
    kv_store_flush(kv.store);
    kv_backup_flushed();
    kv_reply_ok(c);
}

/* Redis's stringmatchlen for the two wildcards CONFIG GET patterns use
 * in practice, '*' and '?', any case. */
static int glob_match(const char *pat, size_t pn, const char *s)
{
    if (pn == 0)
        return *s == '\0';
    if (*pat == '*') {
        for (;; s++) {
            if (glob_match(pat + 1, pn - 1, s))
                return 1;
            if (!*s)
                return 0;
        }
    }
    if (!*s)
        return 0;
    char a = *pat, b = *s;
    if (a >= 'A' && a <= 'Z')
        a = (char)(a - 'A' + 'a');
    return (a == '?' || a == b) && glob_match(pat + 1, pn - 1, s + 1);
}

/* CONFIG GET pattern...: the parameters clients ask about, with kv's
 * values. Nothing can be set. */
void kv_cmd_config(kv_ctx_t *c)
{
    if (!kv_arg_is(&c->argv[1], "get")) {
        kv_reply_error(c, "unknown subcommand '%.*s'. Try CONFIG HELP.", (int)(c->argv[1].n < 128 ? c->argv[1].n : 128),
                       c->argv[1].p);
        return;
    }
    if (c->argc < 3) {
        kv_reply_arity(c, "config|get");
        return;
    }
    char maxmem[24], bulk[24];
    snprintf(maxmem, sizeof maxmem, "%llu", (unsigned long long)kv.conf.max_memory);
    snprintf(bulk, sizeof bulk, "%llu", (unsigned long long)kv.conf.limits.max_bulk);
    const char *params[][2] = {
        {"save", ""}, {"appendonly", "no"}, {"databases", "1"}, {"maxmemory", maxmem},
        {"maxmemory-policy", "allkeys-lru"}, {"proto-max-bulk-len", bulk},
    };
    const size_t count = sizeof params / sizeof params[0];
    int hit[sizeof params / sizeof params[0]] = {0};
    long long n = 0;
    for (size_t a = 2; a < c->argc; a++)
        for (size_t i = 0; i < count; i++)
            if (!hit[i] && glob_match(c->argv[a].p, c->argv[a].n, params[i][0])) {
                hit[i] = 1;
                n++;
            }
    kv_reply_array(c, n * 2);
    for (size_t i = 0; i < count; i++)
        if (hit[i]) {
            kv_reply_bulk(c, params[i][0], strlen(params[i][0]));
            kv_reply_bulk(c, params[i][1], strlen(params[i][1]));
        }
}

/* One command as COMMAND and COMMAND INFO describe it (Redis's first six
 * fields: name, arity, flags, first key, last key, step). */
static void command_entry(kv_ctx_t *c, const kv_command_t *cmd)
{
    kv_reply_array(c, 6);
    kv_reply_bulk(c, cmd->name, strlen(cmd->name));
    kv_reply_int(c, cmd->arity);
    int nflags = !!(cmd->flags & KV_CMD_WRITE) + !!(cmd->flags & KV_CMD_READONLY) + !!(cmd->flags & KV_CMD_DENYOOM);
    kv_reply_array(c, nflags);
    if (cmd->flags & KV_CMD_WRITE)
        kv_reply_str(c, "+write\r\n");
    if (cmd->flags & KV_CMD_READONLY)
        kv_reply_str(c, "+readonly\r\n");
    if (cmd->flags & KV_CMD_DENYOOM)
        kv_reply_str(c, "+denyoom\r\n");
    kv_reply_int(c, cmd->first_key);
    kv_reply_int(c, cmd->last_key);
    kv_reply_int(c, cmd->key_step);
}

/* COMMAND, COMMAND COUNT, COMMAND INFO name..., COMMAND DOCS (no docs:
 * an empty answer, with which redis-cli goes without hints). */
void kv_cmd_command(kv_ctx_t *c)
{
    if (c->argc == 1) {
        kv_reply_array(c, (long long)kv_command_count);
        for (size_t i = 0; i < kv_command_count; i++)
            command_entry(c, &kv_commands[i]);
    } else if (kv_arg_is(&c->argv[1], "count") && c->argc == 2) {
        kv_reply_int(c, (long long)kv_command_count);
    } else if (kv_arg_is(&c->argv[1], "info")) {
        kv_reply_array(c, (long long)c->argc - 2);
        for (size_t i = 2; i < c->argc; i++) {
            const kv_command_t *cmd = kv_command_find(c->argv[i].p, c->argv[i].n);
            if (cmd)
                command_entry(c, cmd);
            else
                kv_reply_nil(c);
        }
    } else if (kv_arg_is(&c->argv[1], "docs")) {
        kv_reply_array(c, 0);
    } else {
        kv_reply_error(c, "unknown subcommand '%.*s'. Try COMMAND HELP.", (int)(c->argv[1].n < 128 ? c->argv[1].n : 128),
                       c->argv[1].p);
    }
}
