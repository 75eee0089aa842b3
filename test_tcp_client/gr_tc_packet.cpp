/* gr_tc_packet.cpp - request generation and reply checking for
 * test_tcp_client (the format is described in gr_tc_packet.h). */
#include "gr_tc_packet.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Filler offsets cycle through this many starts. A prime, so that (conn,
 * seq) pairs spread over all of them; neighbouring requests always differ. */
#define GR_TC_PATTERN_STARTS 251u

static uint8_t *gr_tc_pattern;   /* filler bytes: size - header + starts */
static uint32_t gr_tc_size;      /* request size the pattern was built for */

int gr_tc_packet_init(uint32_t size)
{
    size_t len = (size_t)(size - GR_TC_HEADER_SIZE) + GR_TC_PATTERN_STARTS;
    gr_tc_pattern = (uint8_t *)malloc(len);
    if (gr_tc_pattern == NULL)
        return -1;
    /* xorshift64: a fixed seed, so a capture of one run can be compared with
     * another's, and no byte value is favoured (unlike a counter, where a
     * one-byte slip can still match). */
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        gr_tc_pattern[i] = (uint8_t)(x >> 32);
    }
    gr_tc_size = size;
    return 0;
}

void gr_tc_packet_fini(void)
{
    free(gr_tc_pattern);
    gr_tc_pattern = NULL;
}

/* Filler of request (conn, seq): gr_tc_size - header bytes from here. */
static inline const uint8_t *gr_tc_filler(uint32_t conn, uint64_t seq)
{
    uint32_t start = (uint32_t)(((seq % GR_TC_PATTERN_STARTS) * 7u
                                 + (conn % GR_TC_PATTERN_STARTS) * 13u) % GR_TC_PATTERN_STARTS);
    return gr_tc_pattern + start;
}

static void gr_tc_header(uint8_t *h, uint32_t conn, uint64_t seq)
{
    /* Explicit little-endian, so the format does not depend on the host. */
    for (int i = 0; i < 8; i++)
        h[i] = (uint8_t)(seq >> (8 * i));
    for (int i = 0; i < 4; i++) {
        h[8 + i] = (uint8_t)(conn >> (8 * i));
        h[12 + i] = (uint8_t)(gr_tc_size >> (8 * i));
    }
}

static uint64_t gr_tc_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t gr_tc_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void gr_tc_packet_fill(uint8_t *dst, size_t len, uint32_t conn, uint64_t seq, uint32_t off)
{
    while (len > 0) {
        size_t n;
        if (off < GR_TC_HEADER_SIZE) {
            uint8_t h[GR_TC_HEADER_SIZE];
            gr_tc_header(h, conn, seq);
            n = GR_TC_HEADER_SIZE - off;
            if (n > len)
                n = len;
            memcpy(dst, h + off, n);
        } else {
            n = gr_tc_size - off;
            if (n > len)
                n = len;
            memcpy(dst, gr_tc_filler(conn, seq) + (off - GR_TC_HEADER_SIZE), n);
        }
        dst += n;
        len -= n;
        off += (uint32_t)n;
        if (off == gr_tc_size) {
            off = 0;
            seq++;
        }
    }
}

/* The header is complete: say what is wrong with it, or return 0. */
static int gr_tc_rx_check_header(const gr_tc_rx_t *rx, char *err, size_t errlen)
{
    uint64_t seq = gr_tc_le64(rx->hdr);
    uint32_t conn = gr_tc_le32(rx->hdr + 8);
    uint32_t size = gr_tc_le32(rx->hdr + 12);
    if (seq != rx->seq) {
        /* When the other fields are wrong too, the stream has most likely
         * slipped (bytes lost or inserted) and seq is noise: say so. */
        if (conn != rx->conn || size != gr_tc_size)
            snprintf(err, errlen,
                     "compare failed: %" PRIu64 " != %" PRIu64
                     " (received seq != expected seq; header also says conn %" PRIu32
                     " size %" PRIu32 ", expected conn %" PRIu32 " size %" PRIu32
                     ": the stream is out of step)",
                     seq, rx->seq, conn, size, rx->conn, gr_tc_size);
        else
            snprintf(err, errlen,
                     "compare failed: %" PRIu64 " != %" PRIu64 " (received seq != expected seq)",
                     seq, rx->seq);
        return -1;
    }
    if (conn != rx->conn) {
        snprintf(err, errlen,
                 "compare failed at seq %" PRIu64 " byte 8: reply carries connection id %" PRIu32
                 ", expected %" PRIu32 " (replies crossed between connections?)",
                 rx->seq, conn, rx->conn);
        return -1;
    }
    if (size != gr_tc_size) {
        snprintf(err, errlen,
                 "compare failed at seq %" PRIu64 " byte 12: reply carries size %" PRIu32
                 ", expected %" PRIu32,
                 rx->seq, size, gr_tc_size);
        return -1;
    }
    return 0;
}

int gr_tc_rx_feed(gr_tc_rx_t *rx, const uint8_t *data, size_t len, size_t *used,
                  char *err, size_t errlen)
{
    size_t i = 0;
    if (rx->off < GR_TC_HEADER_SIZE) {
        size_t n = GR_TC_HEADER_SIZE - rx->off;
        if (n > len)
            n = len;
        memcpy(rx->hdr + rx->off, data, n);
        rx->off += (uint32_t)n;
        i = n;
        if (rx->off < GR_TC_HEADER_SIZE) {
            *used = i;
            return GR_TC_RX_MORE;
        }
        if (gr_tc_rx_check_header(rx, err, errlen) != 0) {
            *used = i;
            return GR_TC_RX_MISMATCH;
        }
    }
    size_t n = gr_tc_size - rx->off;
    if (n > len - i)
        n = len - i;
    const uint8_t *want = gr_tc_filler(rx->conn, rx->seq) + (rx->off - GR_TC_HEADER_SIZE);
    if (memcmp(data + i, want, n) != 0) {
        size_t j = 0;
        while (data[i + j] == want[j])
            j++;
        snprintf(err, errlen,
                 "compare failed at seq %" PRIu64 " byte %" PRIu64 " (got 0x%02x, expected 0x%02x)",
                 rx->seq, (uint64_t)(rx->off + j), data[i + j], want[j]);
        *used = i + j;
        return GR_TC_RX_MISMATCH;
    }
    rx->off += (uint32_t)n;
    *used = i + n;
    if (rx->off < gr_tc_size)
        return GR_TC_RX_MORE;
    rx->off = 0;
    rx->seq++;
    return GR_TC_RX_REPLY;
}

int gr_tc_packet_check(const uint8_t *data, size_t len, uint32_t conn, uint64_t *seq, char *err, size_t errlen)
{
    if (len < GR_TC_HEADER_SIZE) {
        snprintf(err, errlen, "compare failed: a reply of %zu bytes, shorter than the %d-byte header", len,
                 GR_TC_HEADER_SIZE);
        return -1;
    }
    *seq = gr_tc_le64(data);
    uint32_t c = gr_tc_le32(data + 8), size = gr_tc_le32(data + 12);
    if (c != conn || size != gr_tc_size) {
        snprintf(err, errlen,
                 "compare failed: reply header says seq %" PRIu64 " conn %" PRIu32 " size %" PRIu32
                 ", expected conn %" PRIu32 " size %" PRIu32 " (replies crossed between sockets?)",
                 *seq, c, size, conn, gr_tc_size);
        return -1;
    }
    if (len != gr_tc_size) {
        snprintf(err, errlen, "compare failed at seq %" PRIu64 ": a reply of %zu bytes, expected %" PRIu32, *seq,
                 len, gr_tc_size);
        return -1;
    }
    const uint8_t *want = gr_tc_filler(conn, *seq);
    const uint8_t *got = data + GR_TC_HEADER_SIZE;
    size_t n = gr_tc_size - GR_TC_HEADER_SIZE;
    if (memcmp(got, want, n) != 0) {
        size_t j = 0;
        while (got[j] == want[j])
            j++;
        snprintf(err, errlen, "compare failed at seq %" PRIu64 " byte %zu (got 0x%02x, expected 0x%02x)", *seq,
                 j + GR_TC_HEADER_SIZE, got[j], want[j]);
        return -1;
    }
    return 0;
}
