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
#include "testlib.h"
#include "util.h"

static struct agent ag;
#define send_frame(t, ch, p) agent_send(&ag, t, ch, p)
#define next_frame(f, timeout) agent_next(&ag, f, timeout)

/* EXEC with argv given as a NULL-terminated list, env likewise (may be NULL). */
static void send_exec(uint32_t ch, uint32_t flags, uint32_t timeout_ms, const char *cwd, const char *const *argv,
                      const char *const *env)
{
    struct out o = { 0 };
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
    o_free(&o);
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

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    agent_start(&ag, argc > 1 ? argv[1] : "./pyro-agent", NULL, NULL, 0);
    struct frame f;
    struct out o = { 0 };

    long features = agent_hello(&ag);
    check(features >= 0, "HELLO answered with HELLO_OK version 1");
    check(features >= 0 && !(features & FEATURE_TRANSFER), "no --workspace: no TRANSFER feature bit");

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

    o_free(&o);
    check(agent_shutdown(&ag), "SHUTDOWN answered with SHUTDOWN_OK, then the agent exits 0");
    agent_close(&ag);
    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
