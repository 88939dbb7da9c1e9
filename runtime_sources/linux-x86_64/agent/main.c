/*
 * pyro guest agent: PID 1 of a pyro microVM, serving the host over the framed protocol
 * of docs/guest-protocol.md. One thread, one epoll loop; see README.md.
 *
 *   pyro-agent            as the VM's init (refuses to run as any other pid)
 *   pyro-agent --stdio    the protocol on stdin/stdout, no PID-1 work (host-side tests)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "channel.h"
#include "exec.h"
#include "fsutil.h"
#include "init.h"
#include "net.h"
#include "protocol.h"
#include "transfer.h"
#include "util.h"

struct agent_config cfg;
int epoll_fd = -1;

static uint32_t features;
static int signal_fd = -1;
static int vsock_fd = -1;
/* While a vport has no host, check for one this often (it reports POLLHUP all along,
 * so it cannot simply sit in epoll: that would spin). */
#define RECONNECT_CHECK_US 50000u
/* Look for ports that were announced late (or hot-plugged) this often. */
#define PORT_SCAN_EARLY_US 100000u  /* during the first seconds */
#define PORT_SCAN_LATE_US 2000000u  /* afterwards */
#define PORT_SCAN_EARLY_FOR_US 10000000u

static int ev_ctl(int op, const char *what, int fd, uint32_t events, uint64_t tag)
{
    struct epoll_event ev = { .events = events, .data.u64 = tag };
    if (epoll_ctl(epoll_fd, op, fd, &ev) == 0)
        return 0;
    log_msg("epoll %s fd %d: %s", what, fd, strerror(errno));
    return -1;
}

int ev_add(int fd, uint32_t events, uint64_t tag)
{
    return ev_ctl(EPOLL_CTL_ADD, "add", fd, events, tag);
}

int ev_mod(int fd, uint32_t events, uint64_t tag)
{
    return ev_ctl(EPOLL_CTL_MOD, "mod", fd, events, tag);
}

void ev_del(int fd)
{
    /* ENOENT: it was never added (e.g. a stdin pipe that never had to wait). */
    if (epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != ENOENT)
        log_msg("epoll del fd %d: %s", fd, strerror(errno));
}

void agent_check_ttl(void)
{
    if (cfg.ttl_deadline_us && mono_us() >= cfg.ttl_deadline_us)
        agent_poweroff("pyro.ttl reached", 0, NULL, NULL);
}

/*
 * --stdio mode: leave no process behind on the host. We are a subreaper, so background
 * processes of our commands become our children once their parents die; kill each
 * child's process group and the child, reap, and repeat until none are left.
 */
static void kill_descendants(void)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    uint64_t deadline = mono_us() + 2000000u;
    while (mono_us() < deadline) {
        int any = 0;
        if (read_file(path, buf, sizeof buf) > 0) {
            for (char *s = buf, *end; *s; s = end) {
                long pid = strtol(s, &end, 10);
                if (end == s)
                    break;
                any = 1;
                kill(-(pid_t)pid, SIGKILL);
                kill((pid_t)pid, SIGKILL);
            }
        }
        int reaped = 0;
        while (waitpid(-1, NULL, WNOHANG) > 0)
            reaped = 1;
        if (!any && !reaped && waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
            return;
        usleep(5000);
    }
}

void agent_poweroff(const char *why, int status, void (*before_reboot)(void *), void *arg)
{
    exec_kill_all();
    transfer_abort_all();
    if (cfg.stdio_mode) {
        exec_kill_cgroups();
        kill_descendants();
        exec_remove_cgroups();
        if (before_reboot)
            before_reboot(arg);
        exit(status);
    }
    log_msg("powering off: %s", why);
    init_quiesce();
    if (before_reboot)
        before_reboot(arg);
    init_reboot();
}

/* ---- frames from the host ---- */

static void send_shutdown_ok(void *arg)
{
    struct frame f;
    frame_init(&f, T_SHUTDOWN_OK, 0);
    conn_send(arg, &f);
}

static void handle_hello(struct conn *c, const struct frame *f)
{
    if (f->channel != 0) {
        conn_send_error(c, f->channel, ERR_BAD_FRAME, 0, "HELLO belongs on channel 0");
        return;
    }
    uint32_t version = (uint32_t)f->f[HELLO_VERSION].u;
    if (version != PROTO_VERSION) {
        conn_send_error(c, 0, ERR_UNSUPPORTED, 0, "protocol version %u not supported (agent speaks %u)", version,
                        PROTO_VERSION);
        return;
    }
    /* Never touch the clock of the machine a --stdio test runs on. */
    if (!cfg.stdio_mode && f->f[HELLO_HOST_TIME_NS].u && init_set_clock(f->f[HELLO_HOST_TIME_NS].u) < 0)
        log_msg("clock_settime: %s", strerror(errno));
    struct utsname u;
    if (uname(&u) < 0)
        snprintf(u.release, sizeof u.release, "unknown");
    struct frame r;
    frame_init(&r, T_HELLO_OK, 0);
    r.f[HELLO_OK_VERSION].u = PROTO_VERSION;
    r.f[HELLO_OK_AGENT_VERSION].b = (struct pbytes){ (const uint8_t *)AGENT_VERSION, sizeof AGENT_VERSION - 1 };
    r.f[HELLO_OK_KERNEL_RELEASE].b = (struct pbytes){ (const uint8_t *)u.release, (uint32_t)strlen(u.release) };
    r.f[HELLO_OK_FEATURES].u = features;
    if (conn_send(c, &r) == 0)
        c->hello_done = 1;
}

static void handle_frame(struct conn *c, const struct frame *f)
{
    switch (f->type) {
    case T_HELLO:
        handle_hello(c, f);
        break;
    case T_PING: {
        struct frame r;
        frame_init(&r, T_PONG, f->channel);
        r.f[DATA_DATA].b = f->f[DATA_DATA].b;
        conn_send(c, &r);
        break;
    }
    case T_EXEC:
        exec_handle_exec(c, f);
        break;
    case T_STDIN:
        exec_handle_stdin(c, f);
        break;
    case T_SIGNAL:
        exec_handle_signal(c, f);
        break;
    case T_IMPORT:
    case T_IMPORT_ENTRY:
    case T_IMPORT_DATA:
    case T_IMPORT_END:
    case T_CANCEL:
    case T_EXPORT:
    case T_STAT:
        transfer_handle(c, f);
        break;
    case T_SHUTDOWN:
        if (f->f[SHUTDOWN_MODE].u != 0) {
            conn_send_error(c, f->channel, ERR_UNSUPPORTED, 0, "shutdown mode %u not supported",
                            (unsigned)f->f[SHUTDOWN_MODE].u);
            break;
        }
        agent_poweroff("SHUTDOWN from the host", 0, send_shutdown_ok, c); /* does not return */
    default:
        /* A guest->host type sent to us. */
        conn_send_error(c, f->channel, ERR_UNSUPPORTED, 0, "frame type %s is not for the agent", f->def->name);
        break;
    }
}

static void process_frames(struct conn *c)
{
    struct frame f;
    while (conn_next_frame(c, &f))
        handle_frame(c, &f);
    conn_compact(c);
}

/* The host side of a connection went away (or broke the framing). */
static void handle_lost(struct conn *c)
{
    /* On vsock a connection that never said HELLO (a probe) does not count as the host. */
    int had_host = c->kind == CONN_VSOCK ? c->hello_done : c->online;
    exec_conn_lost(c);
    transfer_conn_lost(c);
    if (cfg.ephemeral && had_host)
        agent_poweroff("the host went away (pyro.ephemeral=1)", 0, NULL, NULL);
    switch (c->kind) {
    case CONN_STDIO:
        agent_poweroff("end of input", c->broken ? 1 : 0, NULL, NULL); /* does not return */
    case CONN_VSOCK:
        ev_del(c->rfd);
        conn_close(c);
        break;
    case CONN_VPORT:
        if (c->broken && !c->eof) {
            /* Still connected: keep reading (and discarding) until it hangs up. */
            c->lost = 0;
            c->session++;
            break;
        }
        ev_del(c->rfd);
        conn_session_end(c);
        break;
    }
}

/* The connection takes frames: not paused by a full stdin queue, output not congested. */
static int conn_accepting(const struct conn *c)
{
    return !c->paused && !conn_congested(c);
}

static void handle_conn_event(struct conn *c, uint32_t events)
{
    if (events & EPOLLOUT) {
        int was = conn_congested(c);
        conn_flush(c);
        if (was && !conn_congested(c))
            exec_conn_resume(c);
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        /* A connection that takes no frames gets no EPOLLIN interest; a hangup still
         * ends it. */
        if (!conn_accepting(c) && !(events & EPOLLIN))
            c->lost = c->eof = 1;
        else if (conn_read(c) > 0)
            process_frames(c);
    }
}

/* Interest follows the state: input while the connection takes frames, output while
 * some is queued. */
static void update_conn_interest(struct conn *c, uint32_t *last)
{
    uint32_t want = (conn_accepting(c) ? EPOLLIN : 0) | (conn_queued(c) ? EPOLLOUT : 0);
    if (want != *last) {
        ev_mod(c->rfd, want, EV_TAG(EV_CONN, c->index));
        int resumed = (want & EPOLLIN) && !(*last & EPOLLIN);
        *last = want;
        if (resumed)
            process_frames(c); /* frames that waited in the buffer */
    }
}

static void handle_signals(void)
{
    struct signalfd_siginfo si;
    ssize_t r;
    int reap = 0;
    while ((r = read(signal_fd, &si, sizeof si)) == (ssize_t)sizeof si) {
        switch (si.ssi_signo) {
        case SIGCHLD:
            reap = 1;
            break;
        case SIGTERM:
        case SIGINT:
        case SIGHUP:
            /* PID 1 ignores them (the VM ends by SHUTDOWN, ttl or ephemeral); a --stdio
             * test agent stops cleanly. */
            if (cfg.stdio_mode)
                agent_poweroff("signal", 0, NULL, NULL);
            break;
        default:
            break;
        }
    }
    if (reap)
        exec_reap();
}

static int setup_signals(void)
{
    /* Everything arrives through the signalfd; nothing interrupts a system call. */
    sigset_t set;
    sigfillset(&set);
    sigdelset(&set, SIGSEGV);
    sigdelset(&set, SIGBUS);
    sigdelset(&set, SIGFPE);
    sigdelset(&set, SIGILL);
    sigdelset(&set, SIGABRT);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -1;
    /* Writes to a vanished reader must fail with EPIPE, not kill the agent. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        return -1;
    sigset_t want;
    sigemptyset(&want);
    sigaddset(&want, SIGCHLD);
    sigaddset(&want, SIGTERM);
    sigaddset(&want, SIGINT);
    sigaddset(&want, SIGHUP);
    signal_fd = signalfd(-1, &want, SFD_NONBLOCK | SFD_CLOEXEC);
    return signal_fd < 0 ? -1 : 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: pyro-agent [--stdio [--cgroup-root DIR] [--workspace DIR]] [--version]\n"
                 "  as PID 1 of a pyro VM: no arguments\n"
                 "  --stdio              serve the protocol on stdin/stdout without PID-1 duties\n"
                 "  --cgroup-root DIR    (--stdio) put each command in a cgroup under DIR (cgroup2)\n"
                 "  --workspace DIR      (--stdio) the directory file transfers call /workspace;\n"
                 "                       imports stage in DIR.pyro-sync\n");
}

static uint64_t min_deadline(uint64_t a, uint64_t b)
{
    return !a ? b : !b ? a : (a < b ? a : b);
}

static long env_long(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : -1;
}

/* vports without a host: see whether one connected. */
static void check_vports_online(uint32_t *interest)
{
    for (int i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &conns[i];
        if (!c->used || c->kind != CONN_VPORT || c->online)
            continue;
        if (conn_vport_check_online(c)) {
            conn_session_start(c);
            if (ev_add(c->rfd, EPOLLIN, EV_TAG(EV_CONN, c->index)) == 0)
                interest[i] = EPOLLIN;
        }
    }
}

static int any_vport_offline(void)
{
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].used && conns[i].kind == CONN_VPORT && !conns[i].online)
            return 1;
    return 0;
}

/* Wait (up to timeout_ms) for the port org.pyro.agent; numbered ports found on the way
 * are opened too. Returns the number of ports open. */
static int open_vports(int timeout_ms)
{
    uint64_t deadline = mono_us() + (uint64_t)timeout_ms * 1000u;
    int have_main = 0, total = 0;
    for (;;) {
        total += conn_scan_vports(&have_main);
        if (have_main || mono_us() >= deadline)
            break;
        usleep(10000);
    }
    if (!have_main)
        log_msg("no virtio port named org.pyro.agent after %d ms", timeout_ms);
    return total;
}

int main(int argc, char **argv)
{
    const char *cgroup_root = NULL;
    cfg.test_fail_apply = cfg.test_crash_apply = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--stdio") == 0) {
            cfg.stdio_mode = 1;
        } else if (strcmp(argv[i], "--cgroup-root") == 0 && i + 1 < argc) {
            cgroup_root = argv[++i];
        } else if (strcmp(argv[i], "--workspace") == 0 && i + 1 < argc) {
            cfg.workspace = argv[++i];
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("pyro-agent %s (protocol %u)\n", AGENT_VERSION, PROTO_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (getpid() != 1) {
            /* The kernel may pass unknown command-line words to init: ignore them there. */
            usage(stderr);
            return 2;
        }
    }
    if (!cfg.stdio_mode && getpid() != 1) {
        fprintf(stderr, "pyro-agent: not PID 1; use --stdio to serve the protocol on stdin/stdout\n");
        return 2;
    }

    if (setup_signals() < 0) {
        log_msg("signal setup: %s", strerror(errno));
        return 1;
    }
    if (cfg.stdio_mode) {
        log_set_fd(2);
        /* Re-parent orphans of our commands to us, as PID 1 gets them in the VM. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
            log_msg("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
        cfg.test_fail_apply = env_long("PYRO_AGENT_TEST_FAIL_APPLY");
        cfg.test_crash_apply = env_long("PYRO_AGENT_TEST_CRASH_APPLY");
        if (env_long("PYRO_AGENT_NO_OPENAT2") == 1)
            fsutil_no_openat2();
    } else {
        init_early(&cfg);
        cgroup_root = init_root(&cfg);
        init_identity(&cfg);
        if (cfg.net[0] && net_configure(cfg.net, cfg.host_ip, cfg.hostname) == 0)
            features |= FEATURE_NET;
        cfg.workspace = "/workspace";
    }
    if (cfg.upper_disk)
        features |= FEATURE_UPPER_DISK;
    features |= exec_init(cgroup_root);
    char staging[600] = "/.pyro-sync", wsdir[512];
    if (cfg.stdio_mode && cfg.workspace) {
        /* DIR/ would put the staging inside the workspace: drop trailing slashes. */
        snprintf(wsdir, sizeof wsdir, "%s", cfg.workspace);
        for (size_t n = strlen(wsdir); n > 1 && wsdir[n - 1] == '/'; n--)
            wsdir[n - 1] = '\0';
        cfg.workspace = wsdir;
        snprintf(staging, sizeof staging, "%s.pyro-sync", wsdir);
    }
    features |= transfer_init(cfg.workspace, staging);
    transfer_set_test_hooks(cfg.test_fail_apply, cfg.test_crash_apply);
    /* Before anyone can look at /workspace: undo an import the last run left half-done. */
    transfer_recover();

    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0 || ev_add(signal_fd, EPOLLIN, EV_TAG(EV_SIGNAL, 0)) < 0) {
        log_msg("epoll: %s", strerror(errno));
        if (cfg.stdio_mode)
            return 1;
        init_reboot();
    }

    uint32_t interest[MAX_CONNS];
    memset(interest, 0, sizeof interest);
    int vports = 0;
    uint64_t start = mono_us();
    if (cfg.stdio_mode) {
        struct conn *c = conn_open_stdio();
        if (!c || ev_add(c->rfd, EPOLLIN, EV_TAG(EV_CONN, c->index)) < 0)
            return 1;
        conn_session_start(c);
        interest[c->index] = EPOLLIN;
    } else {
        vsock_fd = vsock_listen(cfg.vsock_force);
        if (vsock_fd >= 0) {
            if (ev_add(vsock_fd, EPOLLIN, EV_TAG(EV_LISTEN, 0)) == 0)
                features |= FEATURE_VSOCK;
            log_msg("listening on vsock port 5005");
        }
        vports = open_vports(5000);
        if (!vports && vsock_fd < 0)
            agent_poweroff("no channel to the host", 1, NULL, NULL);
    }

    uint64_t next_reconnect_check = 0, next_port_scan = 0;
    for (;;) {
        uint64_t now = mono_us();
        if (!cfg.stdio_mode && now >= next_port_scan) {
            int have_main = 0;
            vports += conn_scan_vports(&have_main);
            next_port_scan = now + (now - start < PORT_SCAN_EARLY_FOR_US ? PORT_SCAN_EARLY_US : PORT_SCAN_LATE_US);
        }
        if (now >= next_reconnect_check) {
            check_vports_online(interest);
            next_reconnect_check = now + RECONNECT_CHECK_US;
        }
        uint64_t deadline = exec_timers(now);
        deadline = min_deadline(deadline, cfg.ttl_deadline_us);
        if (any_vport_offline())
            deadline = min_deadline(deadline, next_reconnect_check);
        if (!cfg.stdio_mode)
            deadline = min_deadline(deadline, next_port_scan);
        int timeout = -1;
        if (transfer_pending()) {
            timeout = 0; /* an export has more to send */
        } else if (deadline) {
            now = mono_us();
            timeout = deadline <= now ? 0 : (int)((deadline - now + 999) / 1000);
        }

        struct epoll_event evs[32];
        int n = epoll_wait(epoll_fd, evs, 32, timeout);
        if (n < 0 && errno != EINTR) {
            log_msg("epoll_wait: %s", strerror(errno));
            continue;
        }
        agent_check_ttl();
        for (int i = 0; i < n; i++) {
            uint32_t kind = (uint32_t)(evs[i].data.u64 >> 32), idx = (uint32_t)evs[i].data.u64;
            switch (kind) {
            case EV_SIGNAL:
                handle_signals();
                break;
            case EV_LISTEN: {
                struct conn *c = vsock_accept(vsock_fd);
                if (c && ev_add(c->rfd, EPOLLIN, EV_TAG(EV_CONN, c->index)) == 0)
                    interest[c->index] = EPOLLIN;
                else if (c)
                    conn_close(c);
                break;
            }
            case EV_CONN:
                if (idx < MAX_CONNS && conns[idx].used && conns[idx].online)
                    handle_conn_event(&conns[idx], evs[i].events);
                break;
            default:
                exec_handle_event((int)kind, idx, evs[i].events);
                break;
            }
        }
        transfer_step();
        /* Sessions that ended during this round (hangups, failed writes, lost framing). */
        for (int i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &conns[i];
            if (!c->used || !c->online)
                continue;
            if (c->lost) {
                handle_lost(c);
                interest[i] = c->used && c->online ? interest[i] : 0;
            } else {
                update_conn_interest(c, &interest[i]);
            }
        }
    }
}
