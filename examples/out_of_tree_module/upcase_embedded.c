/* upcase_embedded.c - the same upcase callbacks served from inside a
 * program (libgrocket, no .so, no INI file), which then checks itself:
 * it connects to its own listen, sends a line, expects it upper-cased,
 * stops, and exits 0 ("ok") or 1. Built twice by CMakeLists.txt: against
 * grocket::grocket (shared) and grocket::grocket_static. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#ifdef _WIN32
/* Winsock (linked with ws2_32 by CMakeLists.txt): its socket is a SOCKET,
 * closed with closesocket, and its receive timeout is a DWORD of ms. */
#include <winsock2.h>
typedef SOCKET sock_t;
#define sock_close closesocket
#define SOCK_BAD INVALID_SOCKET
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
typedef int sock_t;
#define sock_close close
#define SOCK_BAD (-1)
#endif

#include "libgrocket.h"

/* upcase.c, linked into this program. */
const gr_module_t *gr_module_entry(void);

/* Send line to 127.0.0.1:port and read back want bytes; 0 when they match. */
static int roundtrip(int port, const char *line, const char *want)
{
    sock_t fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
#ifdef _WIN32
    DWORD tv = 5000;
#else
    struct timeval tv = {5, 0};
#endif
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, (const char *)&tv, sizeof tv);
    if (fd == SOCK_BAD || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        send(fd, line, (int)strlen(line), 0) != (int)strlen(line)) {
        perror("upcase_embedded: connect/send");
        if (fd != SOCK_BAD)
            sock_close(fd);
        return 1;
    }
    char buf[256];
    size_t got = 0, n = strlen(want);
    while (got < n) {
        int r = (int)recv(fd, buf + got, (int)(sizeof buf - 1 - got), 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    sock_close(fd);
    buf[got] = '\0';
    if (got != n || memcmp(buf, want, n) != 0) {
        fprintf(stderr, "upcase_embedded: got '%s', want '%s'\n", buf, want);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
#ifdef _WIN32
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        fputs("upcase_embedded: WSAStartup failed\n", stderr);
        return 1;
    }
#endif
    char err[GR_SERVER_ERR_LEN];
    gr_server_config_t *cfg = NULL;
    gr_server_t *s = NULL;
    if (gr_server_config_create(&cfg, "upcase_embedded", err, sizeof err) != GR_OK ||
        gr_server_config_set(cfg, "server", "log.level", "warn", err, sizeof err) != GR_OK ||
        gr_server_config_set(cfg, "listen", "0", "tcp://127.0.0.1:0", err, sizeof err) != GR_OK ||
        gr_server_config_set(cfg, "upcase", "prefix", "> ", err, sizeof err) != GR_OK ||
        gr_server_create_from_config(&s, cfg, gr_module_entry(), argc, argv, err, sizeof err) != GR_OK ||
        gr_server_start(s, err, sizeof err) != GR_OK) {
        fprintf(stderr, "upcase_embedded: %s\n", err);
        gr_server_config_destroy(cfg);
        gr_server_destroy(s);
        return 1;
    }
    gr_server_config_destroy(cfg);
    int bad = roundtrip(gr_server_listen_port(s, 0), "hello, grocket\n", "> HELLO, GROCKET\n");
    gr_server_request_stop(s);
    gr_server_wait(s);
    gr_server_destroy(s);
    puts(bad ? "upcase_embedded: FAILED" : "upcase_embedded: ok");
    return bad;
}
