#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "transfer.h"
#include "util.h"

/* Output is forwarded in chunks of at most this size (one STDOUT/STDERR frame each). */
#define OUT_CHUNK (64u * 1024u)
/* After the command exits, wait this long at most for its pipes to reach end of file. */
#define DRAIN_GRACE_US 250000u
/* At the end of the grace period, take at most this much more of what is already buffered. */
#define FINAL_DRAIN_MAX (1024u * 1024u)
/* Unwritten stdin per command above which the connection stops taking frames. */
#define STDIN_QUEUE_MAX (8u * 1024u * 1024u)
/* Bigger pipes mean fewer wake-ups per megabyte under emulation; failure is harmless. */
#define PIPE_SIZE (256 * 1024)

static const char *const default_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/root",
    "LANG=C.UTF-8",
    "TERM=dumb",
};
#define NDEFAULT_ENV (sizeof default_env / sizeof default_env[0])

struct exec {
    int used;
    struct conn *conn; /* NULL once its session ended: output and result are dropped */
    uint32_t channel;
    pid_t pid;
    int out_fd, err_fd, in_fd; /* our ends; -1 when closed */
    int in_watched;            /* in_fd is registered for EPOLLOUT */
    int out_paused;            /* out_fd/err_fd are out of epoll: the connection is congested */
    unsigned cg;               /* cgroup exec-<cg> under cg_root, 0: none */
    uint64_t start_us, deadline_us, drain_deadline_us;
    int exited, timed_out, status;
    uint64_t end_us;
    uint8_t *inq; /* stdin not yet written */
    size_t inq_off, inq_len, inq_cap;
    int in_eof; /* the host ended stdin: close once the queue is written */
};

static struct exec execs[MAX_EXECS];
static char cg_root[256];
static int cg_enabled, cg_kill;
static unsigned cg_counter;
/* Cgroups whose command exited while other processes of it still ran (rmdir: EBUSY). */
static unsigned *lingering;
static size_t nlingering, lingering_cap;

/* The buffer a STDOUT/STDERR frame is built in: 13 header bytes, then the data read. */
static uint8_t out_frame[DATA_FRAME_PREFIX + OUT_CHUNK];

static void cg_path(char *out, size_t cap, unsigned id, const char *file)
{
    if (file)
        snprintf(out, cap, "%s/exec-%u/%s", cg_root, id, file);
    else
        snprintf(out, cap, "%s/exec-%u", cg_root, id);
}

uint32_t exec_init(const char *root)
{
    if (!root)
        return 0;
    if (strlen(root) >= sizeof cg_root - 32) {
        log_msg("cgroup root path too long: %s", root);
        return 0;
    }
    if (mkdir(root, 0755) < 0 && errno != EEXIST) {
        log_msg("mkdir %s: %s (commands run without cgroups)", root, strerror(errno));
        return 0;
    }
    snprintf(cg_root, sizeof cg_root, "%s", root);
    /* Prove it works with a probe cgroup: creating one, and killing its (empty) set. */
    char path[300];
    cg_path(path, sizeof path, 0, NULL);
    if (mkdir(path, 0755) < 0 && errno != EEXIST) {
        log_msg("mkdir %s: %s (commands run without cgroups)", path, strerror(errno));
        return 0;
    }
    cg_enabled = 1;
    cg_path(path, sizeof path, 0, "cgroup.kill");
    cg_kill = write_file(path, "1") == 0;
    cg_path(path, sizeof path, 0, NULL);
    if (rmdir(path) < 0)
        log_msg("rmdir %s: %s", path, strerror(errno));
    return cg_kill ? FEATURE_CGROUP_KILL : 0;
}

static void cg_remove(unsigned id)
{
    char path[300];
    cg_path(path, sizeof path, id, NULL);
    if (rmdir(path) == 0 || errno == ENOENT)
        return;
    if (errno != EBUSY) {
        log_msg("rmdir %s: %s", path, strerror(errno));
        return;
    }
    /* Background processes of the command still run there; retry when children die. */
    unsigned *p = grow_array(lingering, nlingering, &lingering_cap, sizeof *p, 16);
    if (!p)
        return; /* leaks an empty directory at worst */
    lingering = p;
    lingering[nlingering++] = id;
}

static void cg_retry_lingering(void)
{
    for (size_t i = 0; i < nlingering;) {
        char path[300];
        cg_path(path, sizeof path, lingering[i], NULL);
        if (rmdir(path) == 0 || errno == ENOENT)
            lingering[i] = lingering[--nlingering];
        else
            i++;
    }
}

/* Signal every process of the command. The pid/pgid is only used while the command's
 * main process is unreaped, so the number cannot have been reused. */
static void kill_tree(struct exec *e, int sig)
{
    if (e->cg) {
        char path[300];
        if (sig == SIGKILL && cg_kill) {
            cg_path(path, sizeof path, e->cg, "cgroup.kill");
            if (write_file(path, "1") < 0)
                log_msg("write %s: %s", path, strerror(errno));
        } else {
            /* No cgroup.signal exists: signal each member (a racing fork may escape one
             * signal; SIGKILL through cgroup.kill has no such race). */
            char buf[4096];
            cg_path(path, sizeof path, e->cg, "cgroup.procs");
            if (read_file(path, buf, sizeof buf) >= 0) {
                for (char *s = buf, *end; *s; s = end) {
                    long pid = strtol(s, &end, 10);
                    if (end == s)
                        break;
                    if (pid > 1)
                        kill((pid_t)pid, sig);
                }
            }
        }
    }
    if (!e->exited && e->pid > 0 && kill(-e->pid, sig) < 0 && errno != ESRCH)
        log_msg("kill -%d %d: %s", sig, (int)e->pid, strerror(errno));
}

static struct exec *find_exec(const struct conn *c, uint32_t channel)
{
    for (int i = 0; i < MAX_EXECS; i++)
        if (execs[i].used && execs[i].conn == c && execs[i].channel == channel)
            return &execs[i];
    return NULL;
}

int exec_channel_busy(const struct conn *c, uint32_t channel)
{
    return find_exec(c, channel) != NULL;
}

/* Close one of our pipe ends, taking it out of epoll first (a no-op if never added). */
static void close_fd(int *fd)
{
    if (*fd >= 0) {
        ev_del(*fd);
        close(*fd);
        *fd = -1;
    }
}

static void free_slot(struct exec *e)
{
    close_fd(&e->out_fd);
    close_fd(&e->err_fd);
    close_fd(&e->in_fd);
    free(e->inq);
    memset(e, 0, sizeof *e);
    e->out_fd = e->err_fd = e->in_fd = -1;
}

/* ---- starting a command ---- */

/* Copy a protocol byte string into a C string; -1 if it holds a NUL byte (exec cannot
 * pass one) or on allocation failure (errno says which). */
static char *cstr(const struct pbytes *b)
{
    if (memchr(b->ptr, 0, b->len)) {
        errno = EINVAL;
        return NULL;
    }
    char *s = malloc((size_t)b->len + 1);
    if (!s)
        return NULL;
    memcpy(s, b->ptr, b->len);
    s[b->len] = '\0';
    return s;
}

static void free_strv(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

static int env_name_len(const char *entry)
{
    const char *eq = strchr(entry, '=');
    return eq ? (int)(eq - entry) : -1;
}

/* The spec's default environment overridden and extended by the request's NAME=value
 * entries (a later entry with the same name wins). NULL + errno on failure. */
static char **build_env(const struct plist *req, const char **bad)
{
    size_t cap = NDEFAULT_ENV + req->count + 1, n = 0;
    char **env = calloc(cap, sizeof *env);
    if (!env)
        return NULL;
    for (size_t i = 0; i < NDEFAULT_ENV; i++) {
        if (!(env[n] = strdup(default_env[i])))
            goto fail;
        n++;
    }
    struct plist_iter it;
    struct pbytes item;
    plist_iter_init(&it, req);
    while (plist_next(&it, &item)) {
        char *s = cstr(&item);
        if (!s) {
            *bad = "environment entry contains a NUL byte";
            goto fail;
        }
        int len = env_name_len(s);
        if (len <= 0) {
            free(s);
            errno = EINVAL;
            *bad = "environment entry is not NAME=value";
            goto fail;
        }
        size_t j;
        for (j = 0; j < n; j++)
            if (env_name_len(env[j]) == len && strncmp(env[j], s, (size_t)len) == 0)
                break;
        if (j < n) {
            free(env[j]);
            env[j] = s;
        } else {
            env[n++] = s;
        }
    }
    env[n] = NULL;
    return env;
fail: {
    int saved = errno;
    free_strv(env);
    errno = saved;
    return NULL;
}
}

static char **build_argv(const struct plist *l, const char **bad)
{
    if (l->count == 0) {
        errno = EINVAL;
        *bad = "argv is empty";
        return NULL;
    }
    char **argv = calloc((size_t)l->count + 1, sizeof *argv);
    if (!argv)
        return NULL;
    struct plist_iter it;
    struct pbytes item;
    plist_iter_init(&it, l);
    for (size_t n = 0; plist_next(&it, &item); n++) {
        if (!(argv[n] = cstr(&item))) {
            int saved = errno;
            *bad = "argument contains a NUL byte";
            free_strv(argv);
            errno = saved;
            return NULL;
        }
    }
    return argv;
}

/* What the child reports through the status pipe when it cannot exec. */
enum child_stage { STAGE_SETUP = 1, STAGE_CGROUP, STAGE_CWD, STAGE_EXEC };
struct child_report {
    int stage;
    int err;
};

/* In the forked child: never returns. Only async-signal-safe calls from here on. */
static void child_run(int status_fd, int in_fd, int out_fd, int err_fd, int cg_procs_fd, const char *cwd,
                      char **argv, char **envp)
{
    struct child_report rep = { STAGE_SETUP, 0 };
    sigset_t all;
    sigemptyset(&all);
    /* The agent blocks signals (it reads them from a signalfd) and ignores SIGPIPE; both
     * would be inherited through exec and break ordinary programs. */
    if (sigprocmask(SIG_SETMASK, &all, NULL) < 0 || signal(SIGPIPE, SIG_DFL) == SIG_ERR)
        goto fail;
    if (setsid() < 0)
        goto fail;
    if (cg_procs_fd >= 0 && write(cg_procs_fd, "0", 1) != 1) {
        rep.stage = STAGE_CGROUP;
        goto fail;
    }
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
        goto fail;
    rep.stage = STAGE_CWD;
    if (chdir(cwd) < 0)
        goto fail;
    rep.stage = STAGE_EXEC;
    /* execvp looks argv[0] up in the PATH of `environ`: make that the command's own. */
    environ = envp;
    execvp(argv[0], argv);
fail:
    rep.err = errno;
    if (write(status_fd, &rep, sizeof rep) < 0) {
        /* nothing left to tell anyone */
    }
    _exit(127);
}

static int make_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    /* Larger pipes: fewer, bigger frames for chatty commands. Not fatal if refused. */
    (void)fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE);
    return 0;
}

static void close_pair(int fds[2])
{
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void exec_handle_exec(struct conn *c, const struct frame *f)
{
    uint32_t ch = f->channel;
    uint32_t flags = (uint32_t)f->f[EXEC_FLAGS].u;
    if (ch == 0) {
        conn_send_error(c, ch, ERR_BAD_FRAME, 0, "EXEC on the control channel 0");
        return;
    }
    if (flags & ~EXEC_FLAGS_KNOWN) {
        conn_send_error(c, ch, ERR_UNSUPPORTED, 0, "unknown EXEC flags 0x%x", flags & ~EXEC_FLAGS_KNOWN);
        return;
    }
    if (find_exec(c, ch) || transfer_channel_busy(c, ch)) {
        conn_send_error(c, ch, ERR_BUSY, 0, "channel %u is in use", ch);
        return;
    }
    struct exec *e = NULL;
    for (int i = 0; i < MAX_EXECS && !e; i++)
        if (!execs[i].used)
            e = &execs[i];
    if (!e) {
        conn_send_error(c, ch, ERR_BUSY, 0, "%d commands are running already", MAX_EXECS);
        return;
    }

    const char *bad = NULL;
    char *cwd = NULL, **argv = NULL, **envp = NULL;
    int out[2] = { -1, -1 }, err[2] = { -1, -1 }, in[2] = { -1, -1 }, st[2] = { -1, -1 };
    int null_fd = -1, procs_fd = -1;
    unsigned cg = 0;
    const char *what = NULL; /* the failing system call, for INTERNAL errors */

    if (f->f[EXEC_CWD].b.len == 0)
        cwd = strdup("/");
    else if (!(cwd = cstr(&f->f[EXEC_CWD].b)) && errno == EINVAL)
        bad = "cwd contains a NUL byte";
    if (!cwd || !(argv = build_argv(&f->f[EXEC_ARGV].l, &bad)) || !(envp = build_env(&f->f[EXEC_ENV].l, &bad))) {
        if (bad)
            conn_send_error(c, ch, ERR_EXEC_FAILED, errno, "%s", bad);
        else
            conn_send_error(c, ch, ERR_INTERNAL, errno, "out of memory");
        goto out;
    }

    if (make_pipe(out) < 0 || make_pipe(err) < 0 || pipe2(st, O_CLOEXEC) < 0) {
        what = "pipe2";
        goto internal;
    }
    if (flags & EXEC_FLAG_STDIN) {
        if (make_pipe(in) < 0) {
            what = "pipe2";
            goto internal;
        }
    } else if ((null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        what = "open /dev/null";
        goto internal;
    }
    if (cg_enabled) {
        char path[300];
        cg = ++cg_counter;
        cg_path(path, sizeof path, cg, NULL);
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
            cg = 0;
            what = "mkdir cgroup";
            goto internal;
        }
        cg_path(path, sizeof path, cg, "cgroup.procs");
        if ((procs_fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
            what = "open cgroup.procs";
            goto internal;
        }
    }

    uint64_t start = mono_us();
    pid_t pid = fork();
    if (pid < 0) {
        what = "fork";
        goto internal;
    }
    if (pid == 0)
        child_run(st[1], in[0] >= 0 ? in[0] : null_fd, out[1], err[1], procs_fd, cwd, argv, envp);

    /* Parent. Close the child's ends first so that end of file means "the child (and
     * everything it started) closed them". */
    close(st[1]);
    st[1] = -1;
    close(out[1]);
    out[1] = -1;
    close(err[1]);
    err[1] = -1;
    if (in[0] >= 0) {
        close(in[0]);
        in[0] = -1;
    }
    /* The status pipe is close-on-exec: EOF = exec succeeded, a report = it failed. */
    struct child_report rep;
    ssize_t r;
    do
        r = read(st[0], &rep, sizeof rep);
    while (r < 0 && errno == EINTR);
    if (r != 0) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (r != (ssize_t)sizeof rep) {
            conn_send_error(c, ch, ERR_INTERNAL, r < 0 ? errno : 0, "lost the start report of the command");
        } else if (rep.stage == STAGE_EXEC) {
            conn_send_error(c, ch, ERR_EXEC_FAILED, rep.err, "exec \"%s\": %s", argv[0], strerror(rep.err));
        } else if (rep.stage == STAGE_CWD) {
            conn_send_error(c, ch, ERR_EXEC_FAILED, rep.err, "chdir \"%s\": %s", cwd, strerror(rep.err));
        } else {
            conn_send_error(c, ch, ERR_INTERNAL, rep.err, "%s: %s",
                            rep.stage == STAGE_CGROUP ? "join cgroup" : "set up the command",
                            strerror(rep.err));
        }
        if (cg) {
            cg_remove(cg);
            cg = 0;
        }
        goto out;
    }

    memset(e, 0, sizeof *e);
    e->used = 1;
    e->conn = c;
    e->channel = ch;
    e->pid = pid;
    e->cg = cg;
    e->start_us = start;
    uint32_t timeout_ms = (uint32_t)f->f[EXEC_TIMEOUT_MS].u;
    e->deadline_us = timeout_ms ? start + (uint64_t)timeout_ms * 1000u : 0;
    e->out_fd = out[0];
    e->err_fd = err[0];
    e->in_fd = in[1];
    out[0] = err[0] = in[1] = -1;
    cg = 0;
    int idx = (int)(e - execs);
    if (set_nonblock(e->out_fd) < 0 || set_nonblock(e->err_fd) < 0 ||
        (e->in_fd >= 0 && set_nonblock(e->in_fd) < 0) || ev_add(e->out_fd, EPOLLIN, EV_TAG(EV_OUT, idx)) < 0 ||
        ev_add(e->err_fd, EPOLLIN, EV_TAG(EV_ERR, idx)) < 0) {
        /* Should not happen; the command runs, so report it and take it down. */
        log_msg("cannot watch the pipes of a command: %s", strerror(errno));
        kill_tree(e, SIGKILL);
    }

    struct frame sf;
    frame_init(&sf, T_STARTED, ch);
    sf.f[STARTED_PID].i = pid;
    conn_send(c, &sf);
    goto out;

internal:
    conn_send_error(c, ch, ERR_INTERNAL, errno, "%s: %s", what, strerror(errno));
    if (cg)
        cg_remove(cg);
out:
    close_pair(out);
    close_pair(err);
    close_pair(in);
    close_pair(st);
    if (null_fd >= 0)
        close(null_fd);
    if (procs_fd >= 0)
        close(procs_fd);
    free(cwd);
    free_strv(argv);
    free_strv(envp);
}

/* ---- output, stdin, exit ---- */

/* Forward one chunk from a pipe. Returns bytes read, 0 at end of file, -1 if none ready. */
static ssize_t forward(struct exec *e, int *fd, uint8_t type)
{
    ssize_t r = read(*fd, out_frame + DATA_FRAME_PREFIX, OUT_CHUNK);
    if (r < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return -1;
        log_msg("read command output: %s", strerror(errno));
        r = 0; /* treat as end of file */
    }
    if (r == 0) {
        close_fd(fd);
        return 0;
    }
    if (e->conn) {
        data_frame_prefix(out_frame, type, e->channel, (uint32_t)r);
        conn_send_raw(e->conn, out_frame, DATA_FRAME_PREFIX + (size_t)r);
    }
    return r;
}

static void finish(struct exec *e)
{
    /* Whatever is already in the pipes was written before we gave up waiting: forward it,
     * but bounded, since a background writer could keep them full forever. */
    for (size_t n = 0; e->out_fd >= 0 && n < FINAL_DRAIN_MAX;) {
        ssize_t r = forward(e, &e->out_fd, T_STDOUT);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    for (size_t n = 0; e->err_fd >= 0 && n < FINAL_DRAIN_MAX;) {
        ssize_t r = forward(e, &e->err_fd, T_STDERR);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    if (e->conn) {
        struct frame f;
        frame_init(&f, T_EXIT, e->channel);
        if (e->timed_out) {
            /* Documented choice: a timeout reports signal 9, the SIGKILL the agent sent. */
            f.f[EXIT_EXIT_CODE].i = 124;
            f.f[EXIT_TIMED_OUT].u = 1;
            f.f[EXIT_SIGNAL].i = SIGKILL;
        } else if (WIFSIGNALED(e->status)) {
            f.f[EXIT_EXIT_CODE].i = 128 + WTERMSIG(e->status);
            f.f[EXIT_SIGNAL].i = WTERMSIG(e->status);
        } else {
            f.f[EXIT_EXIT_CODE].i = WEXITSTATUS(e->status);
        }
        f.f[EXIT_DURATION_US].u = e->end_us - e->start_us;
        conn_send(e->conn, &f);
    }
    if (e->cg)
        cg_remove(e->cg);
    free_slot(e);
}

/* The connection's output queue is full: stop reading this command's pipes (it blocks on
 * them once they are full, which is the flow control a slow host needs). */
static void pause_output(struct exec *e)
{
    if (e->out_paused)
        return;
    if (e->out_fd >= 0)
        ev_del(e->out_fd);
    if (e->err_fd >= 0)
        ev_del(e->err_fd);
    e->out_paused = 1;
}

static void resume_output(struct exec *e)
{
    if (!e->out_paused)
        return;
    int idx = (int)(e - execs);
    e->out_paused = 0;
    if (e->out_fd >= 0)
        ev_add(e->out_fd, EPOLLIN, EV_TAG(EV_OUT, idx));
    if (e->err_fd >= 0)
        ev_add(e->err_fd, EPOLLIN, EV_TAG(EV_ERR, idx));
}

void exec_conn_resume(const struct conn *c)
{
    for (int i = 0; i < MAX_EXECS; i++)
        if (execs[i].used && execs[i].conn == c)
            resume_output(&execs[i]);
}

static void maybe_finish(struct exec *e)
{
    if (e->exited && e->out_fd < 0 && e->err_fd < 0)
        finish(e);
}

/* Write queued stdin; closes the pipe when the host ended input or the command did. */
static void flush_stdin(struct exec *e)
{
    int idx = (int)(e - execs);
    while (e->in_fd >= 0 && e->inq_off < e->inq_len) {
        ssize_t w = write(e->in_fd, e->inq + e->inq_off, e->inq_len - e->inq_off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                if (!e->in_watched && ev_add(e->in_fd, EPOLLOUT, EV_TAG(EV_IN, idx)) == 0)
                    e->in_watched = 1;
                return;
            }
            /* EPIPE: the command closed its stdin; the rest has nowhere to go. */
            e->inq_off = e->inq_len;
            e->in_eof = 1;
            break;
        }
        e->inq_off += (size_t)w;
    }
    free(e->inq);
    e->inq = NULL;
    e->inq_off = e->inq_len = e->inq_cap = 0;
    if (e->in_fd >= 0 && e->in_watched) {
        ev_del(e->in_fd);
        e->in_watched = 0;
    }
    if (e->in_eof)
        close_fd(&e->in_fd);
}

void exec_handle_stdin(struct conn *c, const struct frame *f)
{
    struct exec *e = find_exec(c, f->channel);
    if (!e || e->in_fd < 0 || e->in_eof)
        return; /* no stdin (flag not set, finished or closed): nothing to feed */
    const struct pbytes *d = &f->f[DATA_DATA].b;
    if (d->len == 0) {
        e->in_eof = 1;
        if (e->inq_off == e->inq_len)
            flush_stdin(e);
        return;
    }
    size_t pending = e->inq_len - e->inq_off;
    if (e->inq_len + d->len > e->inq_cap) {
        if (pending + d->len <= e->inq_cap) {
            /* Room enough once the written part is dropped. */
            memmove(e->inq, e->inq + e->inq_off, pending);
        } else {
            size_t cap = e->inq_cap ? e->inq_cap : 64 * 1024;
            while (cap < pending + d->len)
                cap *= 2;
            uint8_t *q = malloc(cap);
            if (!q) {
                conn_send_error(c, f->channel, ERR_INTERNAL, ENOMEM, "out of memory for stdin");
                return;
            }
            if (pending)
                memcpy(q, e->inq + e->inq_off, pending);
            free(e->inq);
            e->inq = q;
            e->inq_cap = cap;
        }
        e->inq_off = 0;
        e->inq_len = pending;
    }
    memcpy(e->inq + e->inq_len, d->ptr, d->len);
    e->inq_len += d->len;
    flush_stdin(e);
    if (e->inq_len - e->inq_off > STDIN_QUEUE_MAX)
        c->paused = 1; /* take no more frames until the command reads (flow control) */
}

int exec_conn_may_resume(const struct conn *c)
{
    for (int i = 0; i < MAX_EXECS; i++)
        if (execs[i].used && execs[i].conn == c && execs[i].inq_len - execs[i].inq_off > STDIN_QUEUE_MAX)
            return 0;
    return 1;
}

void exec_handle_signal(struct conn *c, const struct frame *f)
{
    struct exec *e = find_exec(c, f->channel);
    int sig = f->f[SIGNAL_SIGNAL].i;
    /* Finished commands and invalid numbers are ignored, as the protocol says. */
    if (!e || e->exited || sig <= 0 || sig >= NSIG)
        return;
    kill_tree(e, sig);
}

void exec_handle_event(int kind, uint32_t slot, uint32_t events)
{
    if (slot >= MAX_EXECS || !execs[slot].used)
        return;
    struct exec *e = &execs[slot];
    if (kind == EV_IN) {
        if (events & (EPOLLERR | EPOLLHUP)) {
            e->inq_off = e->inq_len; /* reader gone */
            e->in_eof = 1;
        }
        struct conn *c = e->conn;
        flush_stdin(e);
        if (c && c->paused && exec_conn_may_resume(c))
            c->paused = 0; /* the main loop takes the buffered frames again */
        return;
    }
    int *fd = kind == EV_OUT ? &e->out_fd : &e->err_fd;
    if (*fd < 0 || e->out_paused)
        return;
    forward(e, fd, kind == EV_OUT ? T_STDOUT : T_STDERR);
    if (e->conn && conn_congested(e->conn))
        pause_output(e);
    maybe_finish(e);
}

void exec_reap(void)
{
    int status;
    pid_t pid;
    int any = 0;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        any = 1;
        for (int i = 0; i < MAX_EXECS; i++) {
            struct exec *e = &execs[i];
            if (!e->used || e->exited || e->pid != pid)
                continue;
            e->exited = 1;
            e->status = status;
            e->end_us = mono_us();
            e->drain_deadline_us = e->end_us + DRAIN_GRACE_US;
            maybe_finish(e);
            break;
        }
        /* Anything else was an orphan re-parented to us (PID 1 / subreaper): reaped. */
    }
    if (pid < 0 && errno != ECHILD)
        log_msg("waitpid: %s", strerror(errno));
    if (any && nlingering)
        cg_retry_lingering();
}

uint64_t exec_timers(uint64_t now)
{
    uint64_t next = 0;
    for (int i = 0; i < MAX_EXECS; i++) {
        struct exec *e = &execs[i];
        if (!e->used)
            continue;
        if (!e->exited && e->deadline_us && !e->timed_out) {
            if (now >= e->deadline_us) {
                e->timed_out = 1;
                kill_tree(e, SIGKILL);
            } else if (!next || e->deadline_us < next) {
                next = e->deadline_us;
            }
        }
        if (e->exited) {
            if (now >= e->drain_deadline_us) {
                finish(e);
                continue;
            }
            if (!next || e->drain_deadline_us < next)
                next = e->drain_deadline_us;
        }
    }
    return next;
}

void exec_conn_lost(struct conn *c)
{
    for (int i = 0; i < MAX_EXECS; i++) {
        struct exec *e = &execs[i];
        if (!e->used || e->conn != c)
            continue;
        /* Its output and result have nowhere to go: stop it, drop its stdin. */
        e->conn = NULL;
        resume_output(e); /* read (and drop) what it still writes, so it can end */
        if (!e->exited)
            kill_tree(e, SIGKILL);
        e->inq_off = e->inq_len;
        e->in_eof = 1;
        flush_stdin(e);
    }
}

void exec_kill_all(void)
{
    for (int i = 0; i < MAX_EXECS; i++)
        if (execs[i].used && !execs[i].exited)
            kill_tree(&execs[i], SIGKILL);
}

void exec_kill_cgroups(void)
{
    char path[300];
    for (int i = 0; i < MAX_EXECS; i++) {
        if (execs[i].used && execs[i].cg) {
            cg_path(path, sizeof path, execs[i].cg, "cgroup.kill");
            (void)write_file(path, "1");
        }
    }
    for (size_t i = 0; i < nlingering; i++) {
        cg_path(path, sizeof path, lingering[i], "cgroup.kill");
        (void)write_file(path, "1");
    }
}

void exec_remove_cgroups(void)
{
    char path[300];
    for (int i = 0; i < MAX_EXECS; i++) {
        if (execs[i].used && execs[i].cg) {
            cg_path(path, sizeof path, execs[i].cg, NULL);
            if (rmdir(path) < 0 && errno != ENOENT)
                log_msg("rmdir %s: %s", path, strerror(errno));
        }
    }
    cg_retry_lingering();
    for (size_t i = 0; i < nlingering; i++) {
        cg_path(path, sizeof path, lingering[i], NULL);
        log_msg("cannot remove %s: still in use", path);
    }
}
