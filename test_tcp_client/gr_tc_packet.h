/* gr_tc_packet.h - what test_tcp_client sends and how it checks the echo.
 *
 * A request of `size` bytes is a 16-byte header, then filler:
 *   bytes 0..7    seq, the request's number on its connection (u64 LE)
 *   bytes 8..11   connection id (u32 LE), unique over the run
 *   bytes 12..15  size (u32 LE)
 *   bytes 16..    filler: a slice of one shared pseudo-random pattern that
 *                 starts at an offset derived from (connection, seq)
 * Why a seq and a connection id: a dropped, duplicated, reordered or
 * cross-wired reply shows up as "got seq X, expected Y" instead of a byte
 * offset. Why a per-(connection, seq) filler: a reply with a correct header
 * but a stale body (a buffer reused too early) is still caught, and nothing
 * has to be generated per request: send and check are memcpy and memcmp.
 *
 * Both sides treat the connection as a byte stream: the sender may stop in
 * the middle of a request and the checker may get a reply in pieces, so
 * both work from a (seq, offset) position rather than whole packets. */
#ifndef GR_TC_PACKET_H
#define GR_TC_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "gr_tc_options.h"

/* Build the shared filler pattern for requests of `size` bytes. Call once
 * before any thread starts; the pattern is read-only afterwards. Returns 0,
 * or -1 when out of memory. */
int gr_tc_packet_init(uint32_t size);
void gr_tc_packet_fini(void);

/* Write `len` bytes of connection `conn`'s request stream into dst, starting
 * at byte `off` of request `seq` (crossing into later requests as needed). */
void gr_tc_packet_fill(uint8_t *dst, size_t len, uint32_t conn, uint64_t seq, uint32_t off);

/* Where the checker of one connection stands in the reply stream. */
typedef struct gr_tc_rx_t {
    uint64_t seq;                     /* reply being received */
    uint32_t off;                     /* bytes of it received so far */
    uint32_t conn;                    /* connection id the replies must carry */
    uint8_t hdr[GR_TC_HEADER_SIZE];   /* header bytes so far: checked once complete,
                                         so a seq split over two reads still parses */
} gr_tc_rx_t;

/* Results of gr_tc_rx_feed. */
#define GR_TC_RX_MORE 0      /* all bytes matched; the reply is not complete yet */
#define GR_TC_RX_REPLY 1     /* a reply completed and matched; rx->seq moved on */
#define GR_TC_RX_MISMATCH -1 /* the bytes differ from the request: err says how */

/* Check received bytes against the expected stream. Consumes bytes up to the
 * end of the current reply at most (*used says how many), so the caller can
 * time each reply. On a mismatch writes "compare failed..." into err. */
int gr_tc_rx_feed(gr_tc_rx_t *rx, const uint8_t *data, size_t len, size_t *used,
                  char *err, size_t errlen);

/* Check one reply datagram (--udp), which must be one whole request of
 * connection conn: 0 with *seq set when it matches; -1 with the reason in
 * err otherwise (*seq is set when the datagram holds a header). */
int gr_tc_packet_check(const uint8_t *data, size_t len, uint32_t conn, uint64_t *seq, char *err, size_t errlen);

#endif /* GR_TC_PACKET_H */
