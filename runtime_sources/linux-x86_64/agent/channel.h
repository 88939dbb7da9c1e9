/*
 * Transports ("connections") that carry the frame stream: the virtio-serial ports, the
 * --stdio pair, and accepted vsock connections. Each connection has its own channel
 * numbers, its own commands and transfers.
 *
 * A virtio-serial port (org.pyro.agent, org.pyro.agent.1 ... .15) is a device that
 * outlives host connections: the host (QEMU's socket chardev) can be absent, connect,
 * disconnect and reconnect. Each host connection is a *session*; commands belong to the
 * session that started them.
 *
 * Output is queued per connection and written as the host takes it (non-blocking), so a
 * host that stops reading one connection stalls only that connection: when its queue is
 * over WQ_LIMIT the agent stops reading its frames and the output of its commands and
 * exports until the queue drains (the --stdio pair writes blocking instead: one client).
 */
#ifndef PYRO_CHANNEL_H
#define PYRO_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

enum conn_kind { CONN_VPORT, CONN_STDIO, CONN_VSOCK };

struct conn {
    int used;
    int index; /* in the connection table (epoll tag) */
    enum conn_kind kind;
    int rfd, wfd;
    int online;     /* a host is connected (vport: POLLHUP is clear) */
    int lost;       /* the session ended (hangup, write error, lost framing); handled by the loop */
    int eof;        /* the host side is gone (end of stream, hangup, write error) */
    int broken;     /* framing lost: discard input until the host disconnects (vport) */
    int hello_done; /* a HELLO was answered in this session */
    int paused;     /* stop taking frames: a command's stdin queue is full */
    uint64_t session;
    uint8_t *rbuf;
    size_t rpos, rlen, rcap; /* frames start at rpos; bytes up to rlen are buffered */
    uint8_t *wbuf;
    size_t wpos, wlen, wcap; /* queued output: bytes wpos..wlen are not written yet */
    char port[16];           /* vport: the sysfs name, e.g. "vport1p2" */
    char name[64];           /* vport: the port's name, e.g. "org.pyro.agent.2" */
};

#define MAX_VPORTS 16 /* org.pyro.agent and org.pyro.agent.1 ... .15 */
#define MAX_CONNS (MAX_VPORTS + 8) /* the vports (or stdio) + 8 vsock connections */
extern struct conn conns[MAX_CONNS];

/* Output queued beyond this: stop producing for the connection until it drains. */
#define WQ_LIMIT (1024u * 1024u)
/* Output queued beyond this: the host has stopped reading; drop its session. */
#define WQ_HARD_LIMIT (64u * 1024u * 1024u)

/*
 * Open every virtio port named org.pyro.agent or org.pyro.agent.<N> (N = 1..15) that is
 * not open yet. Returns how many were opened now; *have_main is set if org.pyro.agent
 * is open (now or before).
 */
int conn_scan_vports(int *have_main);
struct conn *conn_open_stdio(void);
/* Listen on vsock port 5005 if a guest vsock transport exists (or forced). fd or -1. */
int vsock_listen(int force);
/* Accept one connection from the listener; NULL if none or the table is full. */
struct conn *vsock_accept(int listen_fd);

/* vport only: poll the port once (no waiting); returns 1 if a host connected since. */
int conn_vport_check_online(struct conn *c);

/* Queued output waiting for the host. */
static inline size_t conn_queued(const struct conn *c)
{
    return c->wlen - c->wpos;
}
/* Producers (command output, exports) should wait: the queue is over WQ_LIMIT. */
static inline int conn_congested(const struct conn *c)
{
    return conn_queued(c) > WQ_LIMIT;
}
/* Write queued output (the fd is writable). On failure the session is marked lost. */
void conn_flush(struct conn *c);

/*
 * Read what is available into the connection's buffer. Returns 1 if bytes arrived,
 * 0 if nothing was available; on end of stream or error it marks the session lost and
 * returns -1.
 */
int conn_read(struct conn *c);

/* Next complete frame from the buffer: 1 and *f, or 0 (need more / paused / lost).
 * Frames that fail to decode are answered here (ERROR) and skipped. */
int conn_next_frame(struct conn *c, struct frame *f);
/* Drop the frames consumed so far from the buffer (call after the frames are handled). */
void conn_compact(struct conn *c);

/*
 * Send a whole frame: written at once as far as the host takes it, the rest queued
 * (--stdio: blocking until written). On failure (the host went away) the session is
 * marked lost and -1 is returned; sending on a lost session does nothing.
 */
int conn_send(struct conn *c, const struct frame *f);
/* Send already-encoded bytes (e.g. a STDOUT frame built in place). */
int conn_send_raw(struct conn *c, const void *buf, size_t len);
int conn_send_error(struct conn *c, uint32_t channel, uint32_t code, int err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Start a new session on a vport whose host just connected. */
void conn_session_start(struct conn *c);
/* End the session: reset the reader; the vport waits for the next host connection. */
void conn_session_end(struct conn *c);
/* Close a vsock connection for good. */
void conn_close(struct conn *c);

#endif
