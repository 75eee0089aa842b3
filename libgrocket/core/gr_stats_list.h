/* gr_stats_list.h - every counter the server keeps, one line each. From
 * these lists gr_thread_ctx.h makes the per-thread fields (gr_counters_t)
 * and gr_stats.cpp the names stat_list gives, in this order, the sums, the
 * totals logged at stop and the kind and help the renderers show. Adding a
 * counter is adding its line (and counting it where it happens).
 *
 * X(name, src, totals, kind, metric, help):
 *   name    as stat_list lists it; the gr_counters_t field when src is SUM
 *   src     SUM: each thread's own field, summed over the group's threads
 *           (the server-wide ones over tcp_in's); OWN: gr_stats.cpp works
 *           it out (threads, uptime_ms, replies_late_dropped)
 *   totals  1: in the totals logged at stop
 *   kind    COUNTER (only grows: Prometheus adds _total), GAUGE (a level
 *           now), GAUGE_MS (in ms, shown in seconds to Prometheus)
 *   metric  the Prometheus name after "grocket_", when a unit asks for
 *           another than its own (bytes, seconds); empty: its own
 *   help    one line, no backslash or newline
 * Those named in gr_stats_group_t and gr_stats_t (grocket.h, frozen at ABI
 * 1.5) are documented there; the rest in docs/module-guide.md. */
#ifndef GR_STATS_LIST_H
#define GR_STATS_LIST_H

/* Per thread group. replies_pending, timers_active and outbound_open are
 * gauges kept with GR_GAUGE_ADD. */
#define GR_GROUP_STATS(X) \
    X(threads, OWN, 0, GAUGE, , "Threads in the group (0: the group is not running).") \
    X(connections_open, SUM, 0, GAUGE, , "Connections open now (tcp_in).") \
    X(replies_waiting, SUM, 0, GAUGE, , "Connections whose replies wait for the socket now.") \
    X(accepted, SUM, 1, COUNTER, , "Connections accepted (tcp_accept).") \
    X(refused, SUM, 1, COUNTER, , "Connections the module's tcp_accept refused.") \
    X(refused_limit, SUM, 1, COUNTER, , "Connections closed at once: tcp.max_connections were open.") \
    X(accept_errors, SUM, 1, COUNTER, , "accept() failures (EMFILE, ENFILE, ...).") \
    X(closed, SUM, 1, COUNTER, , "Connections closed (tcp_in).") \
    X(packages, SUM, 1, COUNTER, , "Packages (requests) cut from the streams.") \
    X(processed, SUM, 1, COUNTER, , "proc and proc_http calls.") \
    X(dropped, SUM, 1, COUNTER, , "Packages not processed: their connection was closing.") \
    X(bad, SUM, 1, COUNTER, , "Bad data: check said GR_CHECK_BAD, or an HTTP 4xx.") \
    X(too_large, SUM, 1, COUNTER, , "Packages past tcp.in.recv_buf.max.") \
    X(timeouts, SUM, 1, COUNTER, , "Connections closed idle, or sending a head too slowly.") \
    X(output_limit, SUM, 1, COUNTER, , "Connections closed past tcp.out.close_bytes.") \
    X(io_errors, SUM, 1, COUNTER, , "Receive and send failures (resets and the like).") \
    X(read_pauses, SUM, 1, COUNTER, , "Reads paused at tcp.out.pause_bytes (backpressure).") \
    X(bytes_in, SUM, 1, COUNTER, received_bytes, "Bytes received.") \
    X(bytes_out, SUM, 1, COUNTER, sent_bytes, "Bytes sent.") \
    X(udp_in, SUM, 1, COUNTER, , "Datagrams received.") \
    X(udp_out, SUM, 1, COUNTER, , "Reply datagrams sent.") \
    X(udp_bad, SUM, 1, COUNTER, , "Datagrams dropped: empty, refused by check, or ending inside a package.") \
    X(udp_truncated, SUM, 1, COUNTER, , "Datagrams dropped: longer than udp.in.datagram_max.") \
    X(udp_dropped, SUM, 1, COUNTER, , \
      "Datagrams dropped under overload: a worker's or udp_out's ring was full.") \
    X(udp_send_failed, SUM, 1, COUNTER, , "Reply datagrams the kernel did not take.") \
    X(udp_kernel_drops, SUM, 1, COUNTER, , \
      "Datagrams the kernel dropped on a full receive buffer (udp.recv_buf).") \
    X(replies_deferred, SUM, 1, COUNTER, , "Replies a module took to answer later (reply_defer).") \
    X(replies_pending, SUM, 1, GAUGE, , "Deferred replies not completed yet.") \
    X(replies_dropped_stop, SUM, 1, COUNTER, , \
      "Deferred replies still pending when a stop's grace period ended: dropped.") \
    X(timers_active, SUM, 1, GAUGE, , "Module timers started and not yet run or cancelled.") \
    X(timers_fired, SUM, 1, COUNTER, , "Module timer callbacks run.") \
    X(timers_cancelled_stop, SUM, 1, COUNTER, , "Module timers cancelled by a stop.") \
    X(posts, SUM, 1, COUNTER, , "Callbacks posted to processing threads (post).") \
    X(outbound_open, SUM, 1, GAUGE, , "Outbound connections (out_open) open now.") \
    X(outbound_connects, SUM, 1, COUNTER, , "Outbound connections that connected.") \
    X(outbound_connect_failures, SUM, 1, COUNTER, , \
      "Outbound connects that failed: refused, timed out, name not resolved.") \
    X(outbound_closed, SUM, 1, COUNTER, , "Outbound connections closed.") \
    X(outbound_bytes_in, SUM, 1, COUNTER, outbound_received_bytes, "Bytes received on outbound connections.") \
    X(outbound_bytes_out, SUM, 1, COUNTER, outbound_sent_bytes, "Bytes sent on outbound connections.") \
    X(conn_sends, SUM, 1, COUNTER, , "Sends that answer no request (conn_send).")

/* Of the whole server (stat_list's group NULL): listed before the groups.
 * replies_late_dropped is the server's own atomic (gr_defer.cpp): late
 * completions come from any thread. */
#define GR_SERVER_STATS(X) \
    X(uptime_ms, OWN, 0, GAUGE_MS, uptime_seconds, "Time since the server started.") \
    X(lingering, SUM, 0, GAUGE, , "Connections lingering now: answered, write side shut, input discarded.") \
    X(lingered, SUM, 1, COUNTER, , "Lingering closes begun.") \
    X(linger_cut, SUM, 1, COUNTER, , \
      "Lingering closes ended by tcp.lingering_time, tcp.lingering_timeout or a stop, not by the client.") \
    X(linger_bytes, SUM, 1, COUNTER, , "Bytes read and discarded while lingering.") \
    X(replies_late_dropped, OWN, 1, COUNTER, , \
      "Deferred replies completed after their connection had gone: accepted and dropped.")

#endif
