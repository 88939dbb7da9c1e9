#include "testlib.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

int failures;

void check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(ok ? "PASS " : "FAIL ", stdout);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    va_end(ap);
    if (!ok)
        failures++;
}

double now_s(void)
{
    return (double)mono_us() / 1e6;
}

#define RBUF_CAP (4u * 1024u * 1024u)

void agent_start(struct agent *a, const char *path, const char *const *args, const char *const *env,
                 long fsize_limit)
{
    int in[2], out[2];
    memset(a, 0, sizeof *a);
    if (pipe(in) < 0 || pipe(out) < 0) {
        perror("pipe");
        exit(1);
    }
    a->rbuf = malloc(RBUF_CAP);
    a->frame = malloc(FRAME_MAX_LENGTH + 4);
    if (!a->rbuf || !a->frame) {
        perror("malloc");
        exit(1);
    }
    a->pid = fork();
    if (a->pid < 0) {
        perror("fork");
        exit(1);
    }
    if (a->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)*e);
        if (fsize_limit > 0) {
            struct rlimit rl = { (rlim_t)fsize_limit, (rlim_t)fsize_limit };
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        const char *argv[16] = { path, "--stdio" };
        int n = 2;
        for (const char *const *p = args; p && *p && n < 15; p++)
            argv[n++] = *p;
        argv[n] = NULL;
        execv(path, (char *const *)argv);
        perror(path);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    a->to = in[1];
    a->from = out[0];
}

static void o_reserve(struct out *o, size_t n)
{
    if (o->len + n <= o->cap)
        return;
    size_t cap = o->cap ? o->cap : 256;
    while (cap < o->len + n)
        cap *= 2;
    o->buf = realloc(o->buf, cap);
    if (!o->buf) {
        perror("realloc");
        exit(1);
    }
    o->cap = cap;
}

void o_u8(struct out *o, uint8_t v)
{
    o_reserve(o, 1);
    o->buf[o->len++] = v;
}

void o_u32(struct out *o, uint32_t v)
{
    o_reserve(o, 4);
    put_u32(o->buf + o->len, v);
    o->len += 4;
}

void o_u64(struct out *o, uint64_t v)
{
    o_reserve(o, 8);
    put_u64(o->buf + o->len, v);
    o->len += 8;
}

void o_bytes(struct out *o, const void *p, size_t n)
{
    o_u32(o, (uint32_t)n);
    o_reserve(o, n);
    if (n)
        memcpy(o->buf + o->len, p, n);
    o->len += n;
}

void o_str(struct out *o, const char *s)
{
    o_bytes(o, s, strlen(s));
}

void o_free(struct out *o)
{
    free(o->buf);
    memset(o, 0, sizeof *o);
}

void agent_send(struct agent *a, uint8_t type, uint32_t ch, const struct out *payload)
{
    uint8_t hdr[9];
    size_t n = payload ? payload->len : 0;
    put_u32(hdr, (uint32_t)(5 + n));
    hdr[4] = type;
    put_u32(hdr + 5, ch);
    if (write_all(a->to, hdr, 9) < 0 || (n && write_all(a->to, payload->buf, n) < 0)) {
        perror("write to agent");
        exit(1);
    }
}

int agent_next(struct agent *a, struct frame *f, double timeout)
{
    double end = now_s() + timeout;
    for (;;) {
        size_t consumed;
        enum decode_result r = frame_decode(a->rbuf, a->rlen, f, &consumed);
        if (r == DEC_OK) {
            memcpy(a->frame, a->rbuf, consumed);
            memmove(a->rbuf, a->rbuf + consumed, a->rlen - consumed);
            a->rlen -= consumed;
            /* Re-decode from the copy so the pointers stay valid after the memmove. */
            frame_decode(a->frame, consumed, f, &consumed);
            return 1;
        }
        if (r != DEC_NEED_MORE) {
            fprintf(stderr, "undecodable frame from the agent (%d)\n", (int)r);
            exit(1);
        }
        int ms = (int)((end - now_s()) * 1000);
        struct pollfd p = { .fd = a->from, .events = POLLIN };
        if (ms <= 0 || poll(&p, 1, ms) <= 0)
            return 0;
        ssize_t n = read(a->from, a->rbuf + a->rlen, RBUF_CAP - a->rlen);
        if (n <= 0)
            return 0;
        a->rlen += (size_t)n;
    }
}

long agent_hello(struct agent *a)
{
    struct out o = { 0 };
    struct frame f;
    o_u32(&o, PROTO_VERSION);
    o_u64(&o, 0); /* --stdio never sets the clock anyway */
    agent_send(a, T_HELLO, 0, &o);
    o_free(&o);
    if (!agent_next(a, &f, 10) || f.type != T_HELLO_OK || f.f[HELLO_OK_VERSION].u != PROTO_VERSION)
        return -1;
    return (long)f.f[HELLO_OK_FEATURES].u;
}

int agent_wait(struct agent *a, double timeout)
{
    int status = -1;
    double end = now_s() + timeout;
    while (waitpid(a->pid, &status, WNOHANG) == 0) {
        if (now_s() > end) {
            kill(a->pid, SIGKILL);
            waitpid(a->pid, &status, 0);
            break;
        }
        usleep(10000);
    }
    return status;
}

int agent_shutdown(struct agent *a)
{
    struct out o = { 0 };
    struct frame f;
    o_u8(&o, 0);
    agent_send(a, T_SHUTDOWN, 0, &o);
    o_free(&o);
    /* Frames of requests still running (other channels) may come first. */
    int ok = 0;
    while (agent_next(a, &f, 10))
        if (f.channel == 0) {
            ok = f.type == T_SHUTDOWN_OK;
            break;
        }
    int status = agent_wait(a, 5);
    return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void agent_close(struct agent *a)
{
    close(a->to);
    close(a->from);
    free(a->rbuf);
    free(a->frame);
    a->to = a->from = -1;
    a->rbuf = a->frame = NULL;
}
