#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Where the writable layer's filesystem ends up inside the new root (visible there so
 * SHUTDOWN can remount it read-only; it is /run, so it never persists itself). */
#define UPPER_MNT "/run/pyro/upper"

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
    if (mount(src, dst, type, flags, data) == 0)
        return 0;
    int saved = errno;
    log_msg("mount %s on %s (%s): %s", src ? src : "-", dst, type ? type : "-", strerror(saved));
    errno = saved;
    return -1;
}

static int mkdir_p(const char *path, mode_t mode)
{
    char buf[256];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, mode) < 0 && errno != EEXIST ? -1 : 0;
}

static void parse_cmdline(struct agent_config *cfg)
{
    char line[4096];
    snprintf(cfg->upper, sizeof cfg->upper, "tmpfs");
    snprintf(cfg->hostname, sizeof cfg->hostname, "pyro");
    if (read_file("/proc/cmdline", line, sizeof line) < 0) {
        log_msg("read /proc/cmdline: %s", strerror(errno));
        return;
    }
    for (char *save = NULL, *tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        if (strncmp(tok, "pyro.upper=", 11) == 0) {
            snprintf(cfg->upper, sizeof cfg->upper, "%s", tok + 11);
        } else if (strncmp(tok, "pyro.hostname=", 14) == 0 && tok[14]) {
            snprintf(cfg->hostname, sizeof cfg->hostname, "%s", tok + 14);
        } else if (strcmp(tok, "pyro.ephemeral=1") == 0) {
            cfg->ephemeral = 1;
        } else if (strncmp(tok, "pyro.ttl=", 9) == 0) {
            char *end;
            unsigned long long s = strtoull(tok + 9, &end, 10);
            if (*end || end == tok + 9 || s == 0 || s > 100u * 365 * 86400)
                log_msg("ignoring %s", tok);
            else
                cfg->ttl_deadline_us = mono_us() + (uint64_t)s * 1000000u;
        } else if (strcmp(tok, "pyro.vsock=force") == 0) {
            cfg->vsock_force = 1;
        } else if (strncmp(tok, "pyro.net=", 9) == 0) {
            snprintf(cfg->net, sizeof cfg->net, "%s", tok + 9);
        } else if (strncmp(tok, "pyro.host=", 10) == 0) {
            snprintf(cfg->host_ip, sizeof cfg->host_ip, "%s", tok + 10);
        } else if (strncmp(tok, "pyro.test.fail_apply=", 21) == 0) {
            /* Fault injection for the agent's own tests; see transfer.h. */
            cfg->test_fail_apply = strtol(tok + 21, NULL, 10);
        } else if (strncmp(tok, "pyro.test.crash_apply=", 22) == 0) {
            cfg->test_crash_apply = strtol(tok + 22, NULL, 10);
        }
    }
}

void init_early(struct agent_config *cfg)
{
    /* The kernel started us with fds 0-2 on /dev/console of its initial rootfs. */
    if (do_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
        /* without /proc little else works, but keep going: the log says why */
    }
    do_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    /* CONFIG_DEVTMPFS_MOUNT may have mounted it already. */
    if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") < 0 && errno != EBUSY)
        log_msg("mount devtmpfs on /dev: %s", strerror(errno));

    int con = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (con >= 0)
        log_set_fd(con);
    /* Commands never see our fds 0-2 (they get pipes), but keep them valid and quiet. */
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
        dup2(null_fd, 0);
        if (null_fd > 2)
            close(null_fd);
    }
    parse_cmdline(cfg);
}

/* A directory of the (read-only) root to mount scratch space on. */
static const char *scratch_dir(void)
{
    static const char *const candidates[] = { "/mnt", "/run", "/tmp", "/media", "/srv", "/opt" };
    struct stat st;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (stat(candidates[i], &st) == 0 && S_ISDIR(st.st_mode))
            return candidates[i];
    return NULL;
}

/* Mount the writable layer's filesystem on dir; tmpfs when asked or as the fallback.
 * *on_disk: it is the pyro.upper disk. */
static int mount_upper(const struct agent_config *cfg, const char *dir, int *on_disk)
{
    *on_disk = 0;
    if (strcmp(cfg->upper, "tmpfs") != 0) {
        /* virtio-blk probes before init runs, but give devtmpfs a moment anyway. */
        struct stat st;
        for (int i = 0; i < 200 && stat(cfg->upper, &st) < 0; i++) {
            struct timespec ts = { 0, 10 * 1000000L };
            nanosleep(&ts, NULL);
        }
        if (do_mount(cfg->upper, dir, "ext4", MS_NOATIME, NULL) == 0) {
            *on_disk = 1;
            return 0;
        }
        /* Losing the writes at power off is bad, but a VM the host cannot reach is worse:
         * run on memory, say so loudly, and leave FEATURE_UPPER_DISK out of HELLO_OK so the
         * host knows (it asked for a disk and must not think changes persist). */
        log_msg("WARNING: cannot mount %s as the writable layer; using memory (changes will be lost)",
                cfg->upper);
    }
    return do_mount("pyro-upper", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
}

static void mount_late(void)
{
    /* Each failure is logged and survivable: commands may still run without it. */
    mkdir("/dev/pts", 0755);
    do_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
    struct stat st;
    if (lstat("/dev/ptmx", &st) < 0 && symlink("pts/ptmx", "/dev/ptmx") < 0)
        log_msg("symlink /dev/ptmx: %s", strerror(errno));
    mkdir("/dev/shm", 01777);
    do_mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    do_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    /* What udev/systemd would normally provide and shells expect (process substitution). */
    static const char *const links[][2] = {
        { "/proc/self/fd", "/dev/fd" },
        { "/proc/self/fd/0", "/dev/stdin" },
        { "/proc/self/fd/1", "/dev/stdout" },
        { "/proc/self/fd/2", "/dev/stderr" },
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST)
            log_msg("symlink %s: %s", links[i][1], strerror(errno));
    mkdir("/run/lock", 01777);
}

const char *init_root(struct agent_config *cfg)
{
    const char *scratch = scratch_dir();
    char upper[64], root[64], dir[160], opts[256];
    int switched = 0, on_disk = 0;
    if (!scratch) {
        log_msg("no directory to mount scratch space on; staying on the read-only root");
        goto late;
    }
    /* The kernel's root is read-only: every mount point we create lives on a tmpfs. */
    if (do_mount("pyro-scratch", scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
        goto late;
    snprintf(upper, sizeof upper, "%s/upper", scratch);
    snprintf(root, sizeof root, "%s/root", scratch);
    if (mkdir(upper, 0755) < 0 || mkdir(root, 0755) < 0) {
        log_msg("mkdir in %s: %s", scratch, strerror(errno));
        goto late;
    }
    if (mount_upper(cfg, upper, &on_disk) < 0)
        goto late;
    /* A reused disk already has them. */
    snprintf(dir, sizeof dir, "%s/upper", upper);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        log_msg("mkdir %s: %s", dir, strerror(errno));
    snprintf(dir, sizeof dir, "%s/work", upper);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        log_msg("mkdir %s: %s", dir, strerror(errno));
    /* lowerdir=/ is the kernel's read-only root itself (mounts on it are not part of it). */
    snprintf(opts, sizeof opts, "lowerdir=/,upperdir=%s/upper,workdir=%s/work", upper, upper);
    if (do_mount("overlay", root, "overlay", 0, opts) < 0)
        goto late;

    /* /run of the new root is a fresh tmpfs (mounting on a directory of the lower layer
     * writes nothing to the upper one); the upper filesystem moves under it. */
    snprintf(dir, sizeof dir, "%s/run", root);
    if (do_mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
        goto late;
    snprintf(dir, sizeof dir, "%s" UPPER_MNT, root);
    if (mkdir_p(dir, 0755) < 0)
        log_msg("mkdir %s: %s", dir, strerror(errno));
    else
        do_mount(upper, dir, NULL, MS_MOVE, NULL);
    static const char *const moved[] = { "/dev", "/proc", "/sys" };
    for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++) {
        snprintf(dir, sizeof dir, "%s%s", root, moved[i]);
        if (do_mount(moved[i], dir, NULL, MS_MOVE, NULL) < 0)
            goto late; /* half-moved: too broken to switch; the log says why */
    }
    /* switch_root: make the overlay "/" and step into it. */
    if (chdir(root) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0) {
        log_msg("switching to the overlay root: %s", strerror(errno));
        goto late;
    }
    switched = 1;
    cfg->upper_disk = on_disk;

late:
    if (!switched) {
        /* Degraded: the read-only root. /run still needs to be writable. */
        do_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    }
    mount_late();
    if (mkdir("/workspace", 0755) < 0 && errno != EEXIST)
        log_msg("mkdir /workspace: %s", strerror(errno));
    if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
        log_msg("mount cgroup2: %s (commands run without cgroups)", strerror(errno));
        return NULL;
    }
    return "/sys/fs/cgroup/pyro";
}

void init_identity(const struct agent_config *cfg)
{
    if (sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
        log_msg("sethostname: %s", strerror(errno));
    /* Bringing lo up also gives it 127.0.0.1/8 (the kernel does that for loopback). */
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        log_msg("socket: %s", strerror(errno));
        return;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
        log_msg("lo: SIOCGIFFLAGS: %s", strerror(errno));
    } else {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
            log_msg("lo: SIOCSIFFLAGS: %s", strerror(errno));
    }
    close(s);
}

int init_set_clock(uint64_t unix_ns)
{
    struct timespec ts = { (time_t)(unix_ns / 1000000000u), (long)(unix_ns % 1000000000u) };
    return clock_settime(CLOCK_REALTIME, &ts);
}

void init_quiesce(void)
{
    /* As PID 1, kill(-1) reaches every process but ourselves. */
    if (kill(-1, SIGKILL) < 0 && errno != ESRCH)
        log_msg("kill -1: %s", strerror(errno));
    uint64_t deadline = mono_us() + 2000000u;
    for (;;) {
        pid_t p = waitpid(-1, NULL, WNOHANG);
        if (p < 0 && errno == ECHILD)
            break;
        if (p > 0)
            continue;
        if (mono_us() >= deadline) {
            log_msg("some processes did not die within 2 s");
            break;
        }
        struct timespec ts = { 0, 5 * 1000000L };
        nanosleep(&ts, NULL);
    }
    sync();
    /* Read-only overlay first: it flushes its upper layer and stops writing to it. Then
     * the upper filesystem itself, so its journal is clean for the next boot (or for the
     * host reading the disk). A failure is not fatal: sync() already wrote everything. */
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
        log_msg("remount / read-only: %s", strerror(errno));
    struct stat st;
    if (stat(UPPER_MNT, &st) == 0 && mount(NULL, UPPER_MNT, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0 &&
        errno != EINVAL)
        log_msg("remount %s read-only: %s", UPPER_MNT, strerror(errno));
}

void init_reboot(void)
{
    sync();
    reboot(RB_AUTOBOOT);
    /* Only reached if reboot(2) failed; PID 1 must not exit (that panics, which with
     * panic=-1 reboots too, so it ends the VM either way). */
    log_msg("reboot: %s", strerror(errno));
    _exit(1);
}
