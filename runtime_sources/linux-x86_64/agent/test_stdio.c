/*
 * Host-side integration test: runs `./pyro-agent --stdio` and drives it over its
 * stdin/stdout with real commands (sh, cat, sleep of the host). Checks the behaviour the
 * protocol promises that does not need a VM: results, exit codes, separate streams,
 * start errors, timeouts, stdin, the 250 ms output grace, signals, busy channels, bad
 * frames and shutdown. Exit status 0 only if every check passed.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"
#include "util.h"

static int failures, to_agent = -1, from_agent = -1;
static pid_t agent_pid;

static void check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(ok ? "PASS " : "FAIL ", stdout);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    if (!ok)
        failures++;
}

static double now_s(void)
{
    return (double)mono_us() / 1e6;
}

/* ---- building frames ---- */

struct out {
    uint8_t buf[4096];
    size_t len;
};

static void o_u32(struct out *o, uint32_t v)
{
    put_u32(o->buf + o->len, v);
    o->len += 4;
}

static void o_bytes(struct out *o, const void *p, size_t n)
{
    o_u32(o, (uint32_t)n);
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void send_frame(uint8_t type, uint32_t ch, const struct out *payload)
{
    uint8_t hdr[9];
    size_t n = payload ? payload->len : 0;
    put_u32(hdr, (uint32_t)(5 + n));
    hdr[4] = type;
    put_u32(hdr + 5, ch);
    if (write_all(to_agent, hdr, 9) < 0 || (n && write_all(to_agent, payload->buf, n) < 0)) {
        perror("write to agent");
        exit(1);
    }
}

/* EXEC with argv given as a NULL-terminated list, env likewise (may be NULL). */
static void send_exec(uint32_t ch, uint32_t flags, uint32_t timeout_ms, const char *cwd, const char *const *argv,
                      const char *const *env)
{
    struct out o = { .len = 0 };
    o_u32(&o, flags);
    o_u32(&o, timeout_ms);
    o_bytes(&o, cwd, strlen(cwd));
    for (int pass = 0; pass < 2; pass++) {
        const char *const *v = pass == 0 ? argv : env;
        uint32_t n = 0;
        while (v && v[n])
            n++;
        o_u32(&o, n);
        for (uint32_t i = 0; i < n; i++)
            o_bytes(&o, v[i], strlen(v[i]));
    }
    send_frame(T_EXEC, ch, &o);
}

/* ---- reading frames ---- */

static uint8_t rbuf[2 * 1024 * 1024];
static size_t rlen;
/* The frame last returned by next_frame() lives in frame_copy. */
static uint8_t frame_copy[FRAME_MAX_LENGTH + 4];

/* Next frame within timeout seconds; 0 on timeout or end of stream. */
static int next_frame(struct frame *f, double timeout)
{
    double end = now_s() + timeout;
    for (;;) {
        size_t consumed;
        enum decode_result r = frame_decode(rbuf, rlen, f, &consumed);
        if (r == DEC_OK) {
            memcpy(frame_copy, rbuf, consumed);
            memmove(rbuf, rbuf + consumed, rlen - consumed);
            rlen -= consumed;
            /* Re-decode from the copy so the pointers stay valid after the memmove. */
            frame_decode(frame_copy, consumed, f, &consumed);
            return 1;
        }
        if (r != DEC_NEED_MORE) {
            fprintf(stderr, "undecodable frame from the agent (%d)\n", (int)r);
            exit(1);
        }
        int ms = (int)((end - now_s()) * 1000);
        struct pollfd p = { .fd = from_agent, .events = POLLIN };
        if (ms <= 0 || poll(&p, 1, ms) <= 0)
            return 0;
        ssize_t n = read(from_agent, rbuf + rlen, sizeof rbuf - rlen);
        if (n <= 0)
            return 0;
        rlen += (size_t)n;
    }
}

/* What one command produced. */
struct result {
    int started, error_code, error_errno, exit_code, timed_out, signal;
    int got_exit;
    char out[65536], err[65536];
    size_t out_len, err_len;
    double seconds; /* from the call to the EXIT/ERROR frame */
};

/* Collect the frames of channel ch until EXIT or ERROR (other channels' frames are not
 * expected while this runs). */
static void collect(uint32_t ch, struct result *r, double timeout)
{
    double start = now_s();
    struct frame f;
    while (next_frame(&f, timeout)) {
        if (f.channel != ch) {
            fprintf(stderr, "unexpected frame %s on channel %u\n", f.def->name, f.channel);
            continue;
        }
        switch (f.type) {
        case T_STARTED:
            r->started = 1;
            break;
        case T_STDOUT:
        case T_STDERR: {
            char *dst = f.type == T_STDOUT ? r->out : r->err;
            size_t *len = f.type == T_STDOUT ? &r->out_len : &r->err_len;
            const struct pbytes *d = &f.f[DATA_DATA].b;
            if (*len + d->len < sizeof r->out) {
                memcpy(dst + *len, d->ptr, d->len);
                *len += d->len;
                dst[*len] = '\0';
            }
            break;
        }
        case T_EXIT:
            r->got_exit = 1;
            r->exit_code = f.f[EXIT_EXIT_CODE].i;
            r->timed_out = (int)f.f[EXIT_TIMED_OUT].u;
            r->signal = f.f[EXIT_SIGNAL].i;
            r->seconds = now_s() - start;
            return;
        case T_ERROR:
            r->error_code = (int)f.f[ERROR_CODE].u;
            r->error_errno = f.f[ERROR_ERRNO].i;
            r->seconds = now_s() - start;
            return;
        default:
            fprintf(stderr, "unexpected frame %s\n", f.def->name);
        }
    }
    r->seconds = now_s() - start;
}

static struct result res;

static struct result *run(uint32_t ch, uint32_t timeout_ms, const char *const *argv, const char *const *env)
{
    memset(&res, 0, sizeof res);
    send_exec(ch, 0, timeout_ms, "", argv, env);
    collect(ch, &res, 20);
    return &res;
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void start_agent(const char *path)
{
    int in[2], out[2];
    if (pipe(in) < 0 || pipe(out) < 0) {
        perror("pipe");
        exit(1);
    }
    agent_pid = fork();
    if (agent_pid < 0) {
        perror("fork");
        exit(1);
    }
    if (agent_pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execl(path, path, "--stdio", (char *)NULL);
        perror(path);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to_agent = in[1];
    from_agent = out[0];
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    start_agent(argc > 1 ? argv[1] : "./pyro-agent");
    struct frame f;
    struct out o = { .len = 0 };

    o_u32(&o, PROTO_VERSION);
    o.len += 8; /* host_time_ns 0: --stdio never sets the clock anyway */
    memset(o.buf + 4, 0, 8);
    send_frame(T_HELLO, 0, &o);
    check(next_frame(&f, 10) && f.type == T_HELLO_OK && f.f[HELLO_OK_VERSION].u == PROTO_VERSION,
          "HELLO answered with HELLO_OK version 1");

    o.len = 0;
    o_bytes(&o, "\x00\xff ping", 7);
    send_frame(T_PING, 0, &o);
    check(next_frame(&f, 10) && f.type == T_PONG && f.f[DATA_DATA].b.len == 7 &&
              memcmp(f.f[DATA_DATA].b.ptr, "\x00\xff ping", 7) == 0,
          "PING echoed byte-exact in PONG");

    struct result *r = run(1, 0, ARGV("sh", "-c", "printf out; printf err >&2; exit 42"), NULL);
    check(r->started && r->got_exit && r->exit_code == 42 && strcmp(r->out, "out") == 0 && strcmp(r->err, "err") == 0,
          "exit code 42 with separate stdout/stderr (got %d, '%s', '%s')", r->exit_code, r->out, r->err);

    r = run(2, 0, ARGV("sh", "-c", "echo \"$HOME $LANG $TERM $EXTRA\"; pwd"), ARGV("EXTRA=x", "TERM=vt100"));
    check(r->got_exit && strcmp(r->out, "/root C.UTF-8 vt100 x\n/\n") == 0, "default env overridden, cwd / (got '%s')",
          r->out);

    r = run(3, 0, ARGV("pyro-no-such-command"), NULL);
    check(!r->started && r->error_code == ERR_EXEC_FAILED && r->error_errno == ENOENT,
          "missing command: ERROR(EXEC_FAILED, ENOENT)");

    memset(&res, 0, sizeof res);
    send_exec(4, 0, 0, "/nonexistent-dir", ARGV("true"), NULL);
    collect(4, &res, 10);
    check(res.error_code == ERR_EXEC_FAILED && res.error_errno == ENOENT, "missing cwd: ERROR(EXEC_FAILED, ENOENT)");

    r = run(5, 300, ARGV("sleep", "10"), NULL);
    check(r->got_exit && r->timed_out == 1 && r->exit_code == 124 && r->signal == 9 && r->seconds < 2,
          "timeout: EXIT(124, timed_out, signal 9) after %.2f s", r->seconds);

    r = run(6, 0, ARGV("sh", "-c", "kill -TERM $$"), NULL);
    check(r->got_exit && r->exit_code == 143 && r->signal == 15, "killed by SIGTERM: exit code 143, signal 15");

    r = run(7, 0, ARGV("sh", "-c", "sleep 5 & echo bg"), NULL);
    check(r->got_exit && r->exit_code == 0 && strcmp(r->out, "bg\n") == 0 && r->seconds < 1.5,
          "background process holding the pipes: EXIT after %.2f s", r->seconds);

    memset(&res, 0, sizeof res);
    send_exec(8, EXEC_FLAG_STDIN, 0, "", ARGV("cat"), NULL);
    o.len = 0;
    o_bytes(&o, "line\n\xfe", 6);
    send_frame(T_STDIN, 8, &o);
    o.len = 0;
    o_bytes(&o, "", 0);
    send_frame(T_STDIN, 8, &o);
    collect(8, &res, 10);
    check(res.got_exit && res.exit_code == 0 && res.out_len == 6 && memcmp(res.out, "line\n\xfe", 6) == 0,
          "STDIN reaches the command, empty STDIN ends it");

    send_exec(9, 0, 0, "", ARGV("sleep", "10"), NULL);
    send_exec(9, 0, 0, "", ARGV("true"), NULL);
    int started = next_frame(&f, 10) && f.type == T_STARTED;
    check(started && next_frame(&f, 10) && f.type == T_ERROR && f.f[ERROR_CODE].u == ERR_BUSY,
          "second EXEC on a running channel: ERROR(BUSY)");
    o.len = 0;
    o_u32(&o, 15);
    send_frame(T_SIGNAL, 9, &o);
    memset(&res, 0, sizeof res);
    collect(9, &res, 10);
    check(res.got_exit && res.signal == 15 && res.exit_code == 143, "SIGNAL 15 ends the command");

    send_frame(T_SIGNAL, 10, NULL); /* empty payload */
    check(next_frame(&f, 10) && f.type == T_ERROR && f.channel == 10 && f.f[ERROR_CODE].u == ERR_BAD_FRAME,
          "short payload: ERROR(BAD_FRAME) on its channel");
    o.len = 0;
    o_bytes(&o, "still", 5);
    send_frame(T_PING, 0, &o);
    check(next_frame(&f, 10) && f.type == T_PONG, "session continues after a bad frame");

    o.len = 0;
    o.buf[o.len++] = 0;
    send_frame(T_SHUTDOWN, 0, &o);
    check(next_frame(&f, 10) && f.type == T_SHUTDOWN_OK, "SHUTDOWN answered with SHUTDOWN_OK");
    int status = -1;
    for (int i = 0; i < 500 && waitpid(agent_pid, &status, WNOHANG) == 0; i++)
        usleep(10000);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "--stdio agent exits 0 after SHUTDOWN");
    if (!WIFEXITED(status)) {
        kill(agent_pid, SIGKILL);
        waitpid(agent_pid, &status, 0);
    }
    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
