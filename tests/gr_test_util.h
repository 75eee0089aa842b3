/* gr_test_util.h - small blocking-socket helpers shared by the tests, and
 * the few things the tests need that POSIX and Windows spell differently
 * (closing a socket, a temporary directory). A socket is an int here: a
 * descriptor, or on Windows a SOCKET (its values fit). */
#ifndef GR_TEST_UTIL_H
#define GR_TEST_UTIL_H

#include <stddef.h>
#include <string>

/* Connect to host:port (blocking, 5 s receive timeout). fd or -1. */
int gr_test_connect(const char *host, int port);
/* Send all of data; false on error. */
bool gr_test_send(int fd, const std::string &data);
/* Receive exactly n bytes (or fewer when the peer closes / times out). */
std::string gr_test_recv(int fd, size_t n);
/* True when the peer closes (recv returns 0 or a reset) within the timeout. */
bool gr_test_wait_eof(int fd);
/* Send a request and read back n bytes on a fresh connection. */
std::string gr_test_roundtrip(int port, const std::string &req, size_t n);

/* A UDP socket connected to host:port (an IPv4 or IPv6 literal), whose
 * receives give up after timeout_ms. fd or -1. */
int gr_test_udp_connect(const char *host, int port, int timeout_ms);
/* Send one datagram on a connected UDP socket and wait for one back: the
 * reply, or "<none>" when none came in the socket's timeout. */
std::string gr_test_udp_exchange(int fd, const std::string &req);


/* Close a socket these helpers made (close, or closesocket on Windows). */
void gr_test_close(int fd);
/* A new empty directory in the system's temporary directory, its name
 * starting with prefix; "" on failure. Remove it with gr_test_rmtree. */
std::string gr_test_mkdtemp(const char *prefix);
void gr_test_rmtree(const std::string &path);

#endif
