#include "channel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#include "agent.h"
#include "util.h"

#define PORT_NAME "org.pyro.agent"
#define VSOCK_PORT 5005
/* Initial reader buffer; it grows to hold one maximal frame only when a frame needs it. */
#define RBUF_INITIAL (256u * 1024u)
/* A frame that is not fully sent within this much blocked time is not waited out
 * silently: the write loop wakes this often to check for a hangup and the ttl. */
#define WRITE_WAIT_MS 50

struct conn conns[MAX_CONNS];

static struct conn *conn_alloc(enum conn_kind kind, int rfd, int wfd)
{
    for (int i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &conns[i];
        if (c->used)
            continue;
        uint8_t *buf = malloc(RBUF_INITIAL);
        if (!buf) {
            log_msg("out of memory for a connection buffer");
            return NULL;
        }
        memset(c, 0, sizeof *c);
        c->used = 1;
        c->index = i;
        c->kind = kind;
        c->rfd = rfd;
        c->wfd = wfd;
        c->rbuf = buf;
        c->rcap = RBUF_INITIAL;
        return c;
    }
    return NULL;
}

/* 1 if `name` (a port's sysfs name file, newline stripped) is one of ours: org.pyro.agent
 * or org.pyro.agent.<N> with N = 1..15 written without leading zeros. */
static int our_port_name(const char *name, int *is_main)
{
    size_t n = strlen(PORT_NAME);
    *is_main = 0;
    if (strncmp(name, PORT_NAME, n) != 0)
        return 0;
    if (name[n] == '\0') {
        *is_main = 1;
        return 1;
    }
    const char *d = name + n + 1;
    if (name[n] != '.' || d[0] < '1' || d[0] > '9')
        return 0;
    int v = d[0] - '0';
    if (d[1] >= '0' && d[1] <= '9') {
        v = v * 10 + (d[1] - '0');
        if (d[2] != '\0')
            return 0;
    } else if (d[1] != '\0') {
        return 0;
    }
    return v >= 1 && v < MAX_VPORTS;
}

static struct conn *vport_by_port(const char *port)
{
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].used && conns[i].kind == CONN_VPORT && strcmp(conns[i].port, port) == 0)
            return &conns[i];
    return NULL;
}

int conn_scan_vports(int *have_main)
{
    /* Ports are announced by the host asynchronously (a name comes in a control message
     * after the device probed), so they may show up a little after we start. */
    DIR *d = opendir("/sys/class/virtio-ports");
    int opened = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof conns[0].port)
            continue;
        struct conn *known = vport_by_port(e->d_name);
        if (known) {
            if (strcmp(known->name, PORT_NAME) == 0)
                *have_main = 1;
            continue;
        }
        char path[300], name[64], dev[80];
        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
        if (read_file(path, name, sizeof name) < 0)
            continue;
        name[strcspn(name, "\n")] = '\0';
        int is_main;
        if (!our_port_name(name, &is_main))
            continue;
        snprintf(dev, sizeof dev, "/dev/%.15s", e->d_name); /* length checked above */
        /* O_NONBLOCK: a write must never block inside the kernel while the host is away
         * (virtio-console writes wait for the host to come back). */
        int fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            if (errno != ENOENT) /* ENOENT: devtmpfs has not made the node yet */
                log_msg("open %s: %s", dev, strerror(errno));
            continue;
        }
        struct conn *c = conn_alloc(CONN_VPORT, fd, fd);
        if (!c) {
            close(fd);
            continue;
        }
        snprintf(c->port, sizeof c->port, "%.15s", e->d_name);
        snprintf(c->name, sizeof c->name, "%s", name);
        log_msg("channel ready on %s (%s)", dev, name);
        opened++;
        if (is_main)
            *have_main = 1;
    }
    closedir(d);
    return opened;
}

struct conn *conn_open_stdio(void)
{
    /* stdin/stdout stay as they are (blocking, shared with whoever started us): reads
     * happen only after epoll reports data, and blocking writes are what we want. */
    return conn_alloc(CONN_STDIO, 0, 1);
}

int vsock_listen(int force)
{
    /*
     * Not verifiable on the build machines (no vhost-vsock there): the guest side is
     * written to the kernel's AF_VSOCK API, and what could be checked was checked via the
     * loopback transport (pyro.vsock=force). /dev/vsock exists as soon as AF_VSOCK is
     * built in, even without a virtio-vsock device, so ask for our CID: a guest->host
     * transport gives a real CID (>= 3); without one the kernel answers VMADDR_CID_ANY,
     * or VMADDR_CID_LOCAL (1) when the loopback transport is built in, and no host could
     * ever connect.
     */
    int dev = open("/dev/vsock", O_RDONLY | O_CLOEXEC);
    if (dev < 0)
        return -1;
    unsigned int cid = VMADDR_CID_ANY;
    if (ioctl(dev, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) < 0)
        cid = VMADDR_CID_ANY;
    close(dev);
    if ((cid == VMADDR_CID_ANY || cid <= VMADDR_CID_HOST) && !force)
        return -1;

    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        log_msg("vsock socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_vm addr;
    memset(&addr, 0, sizeof addr);
    addr.svm_family = AF_VSOCK;
    addr.svm_cid = VMADDR_CID_ANY;
    addr.svm_port = VSOCK_PORT;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 8) < 0) {
        log_msg("vsock bind/listen on port %d: %s", VSOCK_PORT, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

struct conn *vsock_accept(int listen_fd)
{
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            log_msg("vsock accept: %s", strerror(errno));
        return NULL;
    }
    struct conn *c = conn_alloc(CONN_VSOCK, fd, fd);
    if (!c) {
        log_msg("too many vsock connections; refusing one");
        close(fd);
        return NULL;
    }
    c->online = 1;
    c->session = 1;
    return c;
}

int conn_vport_check_online(struct conn *c)
{
    struct pollfd p = { .fd = c->rfd, .events = POLLIN };
    int n = poll(&p, 1, 0);
    if (n < 0)
        return 0;
    /* virtio-console reports POLLHUP for as long as no host is connected. */
    return !(p.revents & POLLHUP);
}

/* The state one session leaves behind, cleared for the next one (or for none). */
static void session_reset(struct conn *c, int online)
{
    c->online = online;
    c->lost = 0;
    c->eof = 0;
    c->broken = 0;
    c->hello_done = 0;
    c->paused = 0;
    c->rpos = c->rlen = 0;
}

void conn_session_start(struct conn *c)
{
    session_reset(c, 1);
    c->session++;
    c->wpos = c->wlen = 0;
}

void conn_session_end(struct conn *c)
{
    session_reset(c, 0);
    /* Output for the host that went away is dropped with its session. */
    free(c->wbuf);
    c->wbuf = NULL;
    c->wpos = c->wlen = c->wcap = 0;
    /* Give back a buffer that grew for a big frame. */
    if (c->rcap > RBUF_INITIAL) {
        uint8_t *buf = realloc(c->rbuf, RBUF_INITIAL);
        if (buf) {
            c->rbuf = buf;
            c->rcap = RBUF_INITIAL;
        }
    }
}

void conn_close(struct conn *c)
{
    if (c->rfd >= 0)
        close(c->rfd);
    if (c->wfd >= 0 && c->wfd != c->rfd)
        close(c->wfd);
    free(c->rbuf);
    free(c->wbuf);
    memset(c, 0, sizeof *c);
}

int conn_read(struct conn *c)
{
    if (c->lost || c->eof)
        return -1;
    if (c->rpos > 0)
        conn_compact(c);
    if (c->rlen == c->rcap) {
        /* Full. If it holds a whole frame (a paused connection), read nothing more now;
         * otherwise the frame at its head is bigger than the buffer (its length was
         * checked by the decoder, so at most one maximal frame): grow to fit it. */
        uint32_t length = get_u32(c->rbuf);
        size_t need = FRAME_LENGTH_SIZE + (size_t)length;
        if (need <= c->rlen || length > FRAME_MAX_LENGTH)
            return 0; /* (a bad length is reported by the decoder once it gets there) */
        uint8_t *buf = realloc(c->rbuf, need);
        if (!buf) {
            log_msg("cannot grow the frame buffer");
            c->lost = c->eof = 1;
            return -1;
        }
        c->rbuf = buf;
        c->rcap = need;
    }
    ssize_t r = read(c->rfd, c->rbuf + c->rlen, c->rcap - c->rlen);
    if (r < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return 0;
        if (c->kind != CONN_VSOCK || (errno != ECONNRESET && errno != EPIPE))
            log_msg("read from the host: %s", strerror(errno));
        c->lost = c->eof = 1;
        return -1;
    }
    if (r == 0) {
        /* End of stream; on virtio-console: no data left and no host connected. */
        c->lost = c->eof = 1;
        return -1;
    }
    if (c->broken) {
        /* Framing is lost for this session: nothing it sends can be trusted. */
        c->rlen = c->rpos = 0;
        return 0;
    }
    c->rlen += (size_t)r;
    return 1;
}

void conn_compact(struct conn *c)
{
    if (c->rpos == 0)
        return;
    memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
    c->rlen -= c->rpos;
    c->rpos = 0;
}

int conn_next_frame(struct conn *c, struct frame *f)
{
    /* A congested connection takes no frames: their answers would only queue up more. */
    while (!c->lost && !c->broken && !c->paused && !conn_congested(c)) {
        size_t consumed = 0;
        enum decode_result r = frame_decode(c->rbuf + c->rpos, c->rlen - c->rpos, f, &consumed);
        switch (r) {
        case DEC_NEED_MORE:
            return 0;
        case DEC_OK:
            c->rpos += consumed;
            return 1;
        case DEC_UNKNOWN_TYPE:
            c->rpos += consumed;
            conn_send_error(c, f->channel, ERR_UNSUPPORTED, 0, "unknown frame type 0x%02x", f->type);
            continue;
        case DEC_BAD_PAYLOAD:
            c->rpos += consumed;
            conn_send_error(c, f->channel, ERR_BAD_FRAME, 0, "%s payload is shorter than its fields",
                            f->def->name);
            continue;
        case DEC_BAD_LENGTH: {
            uint32_t length = get_u32(c->rbuf + c->rpos);
            conn_send_error(c, 0, ERR_BAD_FRAME, 0, "frame length %u out of range: framing lost", length);
            log_msg("frame length %u from the host: framing lost, dropping the session", length);
            c->rpos = c->rlen = 0;
            if (c->kind == CONN_VPORT) {
                /* We cannot close the host's socket from here: ignore it until it goes. */
                c->broken = 1;
            }
            c->lost = 1;
            return 0;
        }
        }
    }
    return 0;
}

/* Wait until fd is writable. 0, or -1 when the host hung up. */
static int wait_writable(struct conn *c)
{
    for (;;) {
        agent_check_ttl();
        struct pollfd p = { .fd = c->wfd, .events = POLLOUT };
        int n = poll(&p, 1, WRITE_WAIT_MS);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
            return -1;
        if (p.revents & POLLOUT)
            return 0;
    }
}

/* --stdio: one client on a blocking pipe; write everything now. */
static int send_blocking(struct conn *c, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(c->wfd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                /* Someone made our stdout non-blocking: wait for room. */
                if (wait_writable(c) < 0) {
                    c->lost = c->eof = 1;
                    return -1;
                }
                continue;
            }
            if (errno != EPIPE)
                log_msg("write to the host: %s", strerror(errno));
            c->lost = c->eof = 1;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Write what the fd takes now. Bytes written, or -1 (session lost). */
static ssize_t write_some(struct conn *c, const uint8_t *p, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = c->kind == CONN_VSOCK ? send(c->wfd, p + done, len - done, MSG_NOSIGNAL)
                                          : write(c->wfd, p + done, len - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            if (errno != EPIPE && errno != ECONNRESET)
                log_msg("write to the host: %s", strerror(errno));
            c->lost = c->eof = 1;
            return -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

void conn_flush(struct conn *c)
{
    if (c->lost || c->broken || !c->online || conn_queued(c) == 0)
        return;
    ssize_t w = write_some(c, c->wbuf + c->wpos, conn_queued(c));
    if (w < 0)
        return;
    c->wpos += (size_t)w;
    if (c->wpos == c->wlen)
        c->wpos = c->wlen = 0;
}

int conn_send_raw(struct conn *c, const void *buf, size_t len)
{
    if (c->lost || c->broken || !c->online)
        return -1;
    const uint8_t *p = buf;
    if (c->kind == CONN_STDIO)
        return send_blocking(c, p, len);
    if (conn_queued(c) == 0) {
        ssize_t w = write_some(c, p, len);
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
        if (len == 0)
            return 0;
    }
    /* The host is not taking it now: queue the rest (the loop writes it on EPOLLOUT). A
     * partial frame stays at the head of the queue, so frames never interleave. */
    if (conn_queued(c) + len > WQ_HARD_LIMIT) {
        log_msg("%s: the host stopped reading (%zu bytes queued); dropping the session",
                c->kind == CONN_VPORT ? c->name : "vsock", conn_queued(c));
        c->lost = 1;
        if (c->kind == CONN_VPORT)
            c->broken = 1; /* we cannot close its socket: ignore it until it hangs up */
        else
            c->eof = 1;
        c->wpos = c->wlen = 0;
        return -1;
    }
    if (c->wpos > 0 && c->wlen + len > c->wcap) {
        memmove(c->wbuf, c->wbuf + c->wpos, conn_queued(c));
        c->wlen -= c->wpos;
        c->wpos = 0;
    }
    if (c->wlen + len > c->wcap) {
        size_t cap = c->wcap ? c->wcap : 64 * 1024;
        while (cap < c->wlen + len)
            cap *= 2;
        uint8_t *q = realloc(c->wbuf, cap);
        if (!q) {
            log_msg("out of memory for the output queue; dropping the session");
            c->lost = c->eof = 1;
            return -1;
        }
        c->wbuf = q;
        c->wcap = cap;
    }
    memcpy(c->wbuf + c->wlen, p, len);
    c->wlen += len;
    return 0;
}

int conn_send(struct conn *c, const struct frame *f)
{
    /* Most frames the agent sends are tiny; PONG echoes up to 1 MiB. */
    uint8_t small[1024];
    size_t size = frame_encoded_size(f);
    if (size == 0) {
        log_msg("frame %s too large to send", f->def ? f->def->name : "?");
        return -1;
    }
    uint8_t *buf = size <= sizeof small ? small : malloc(size);
    if (!buf) {
        log_msg("out of memory for a %zu-byte frame", size);
        return -1;
    }
    int rc = frame_encode(f, buf, size) == size ? conn_send_raw(c, buf, size) : -1;
    if (buf != small)
        free(buf);
    return rc;
}

int conn_send_error(struct conn *c, uint32_t channel, uint32_t code, int err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof msg)
        n = sizeof msg - 1;
    struct frame f;
    frame_init(&f, T_ERROR, channel);
    f.f[ERROR_CODE].u = code;
    f.f[ERROR_ERRNO].i = err;
    f.f[ERROR_MESSAGE].b = (struct pbytes){ (const uint8_t *)msg, (uint32_t)n };
    return conn_send(c, &f);
}
