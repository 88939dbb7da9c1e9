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

/* The virtio-port directory whose `name` is org.pyro.agent, e.g. "vport1p1". */
static int find_port(char *out, size_t cap)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d)
        return -1;
    int found = -1;
    struct dirent *e;
    while (found < 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], name[64];
        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
        if (read_file(path, name, sizeof name) < 0)
            continue;
        name[strcspn(name, "\n")] = '\0';
        size_t len = strlen(e->d_name);
        if (strcmp(name, PORT_NAME) == 0 && len < cap) {
            memcpy(out, e->d_name, len + 1);
            found = 0;
        }
    }
    closedir(d);
    return found;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

struct conn *conn_open_vport(int timeout_ms)
{
    /* The port is announced by the host asynchronously (its name comes in a control
     * message after the device probed), so it may show up a little after we start. */
    uint64_t deadline = mono_us() + (uint64_t)timeout_ms * 1000u;
    char port[64], dev[80];
    int fd = -1;
    for (;;) {
        if (find_port(port, sizeof port) == 0) {
            snprintf(dev, sizeof dev, "/dev/%s", port);
            /* O_NONBLOCK: a write must never block inside the kernel while the host is
             * away (virtio-console writes wait for the host to come back). */
            fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
            if (fd >= 0)
                break;
            if (errno != ENOENT) {
                log_msg("open %s: %s", dev, strerror(errno));
                return NULL;
            }
        }
        if (mono_us() >= deadline) {
            log_msg("no virtio port named %s after %d ms", PORT_NAME, timeout_ms);
            return NULL;
        }
        sleep_ms(10);
    }
    struct conn *c = conn_alloc(CONN_VPORT, fd, fd);
    if (!c) {
        close(fd);
        return NULL;
    }
    log_msg("channel ready on %s", dev);
    return c;
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

void conn_session_start(struct conn *c)
{
    c->online = 1;
    c->lost = 0;
    c->eof = 0;
    c->broken = 0;
    c->hello_done = 0;
    c->paused = 0;
    c->session++;
    c->rpos = c->rlen = 0;
}

void conn_session_end(struct conn *c)
{
    c->online = 0;
    c->lost = 0;
    c->eof = 0;
    c->broken = 0;
    c->hello_done = 0;
    c->paused = 0;
    c->rpos = c->rlen = 0;
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
    while (!c->lost && !c->broken && !c->paused) {
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

int conn_send_raw(struct conn *c, const void *buf, size_t len)
{
    if (c->lost || c->broken || !c->online)
        return -1;
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t w = c->kind == CONN_VSOCK ? send(c->wfd, p, len, MSG_NOSIGNAL) : write(c->wfd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                /*
                 * Host not reading fast enough, or gone. A virtio-console port whose host
                 * disconnected reports POLLHUP and would block forever; a partial frame
                 * must not be finished later on another session, so give the session up.
                 * (If the host reconnects *during* this wait, the rest of the frame goes
                 * to the new connection: the window is one poll interval, and a host
                 * reconnects by sending HELLO, which takes far longer to arrive.)
                 */
                if (wait_writable(c) < 0) {
                    c->lost = c->eof = 1;
                    return -1;
                }
                continue;
            }
            if (errno != EPIPE && errno != ECONNRESET)
                log_msg("write to the host: %s", strerror(errno));
            c->lost = c->eof = 1;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
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
