#include "net.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Lines of /etc/hosts the agent owns end with this (rewritten on every boot). */
#define HOSTS_MARK "# pyro-agent"

/* The first interface (by name) whose driver is virtio_net; 0 or -1. */
static int find_virtio_net(char *name, size_t cap)
{
    int found = -1;
    char best[IFNAMSIZ] = "";
    DIR *d = opendir("/sys/class/net");
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ)
            continue;
        char path[300], target[256];
        snprintf(path, sizeof path, "/sys/class/net/%s/device/driver", e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0)
            continue;
        target[n] = '\0';
        const char *base = strrchr(target, '/');
        base = base ? base + 1 : target;
        if (strcmp(base, "virtio_net") != 0)
            continue;
        if (found < 0 || strcmp(e->d_name, best) < 0) {
            snprintf(best, sizeof best, "%.15s", e->d_name); /* length checked above */
            found = 0;
        }
    }
    closedir(d);
    if (found == 0)
        snprintf(name, cap, "%s", best);
    return found;
}

static void set_sin(struct sockaddr *sa, struct in_addr a)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr = a;
    memcpy(sa, &sin, sizeof sin);
}

/* Replace a file's content atomically (temp file + rename), replacing a symlink too. */
static int replace_file(const char *path, const char *text)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.pyro-tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
        int err = errno;
        close(fd);
        unlink(tmp);
        errno = err;
        return -1;
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int err = errno;
        unlink(tmp);
        errno = err;
        return -1;
    }
    return 0;
}

/* /etc/hosts without the lines of an earlier boot, plus ours. */
static void write_hosts(const char *host_ip, const char *hostname)
{
    static char old[65536], out[65536 + 512];
    if (read_file("/etc/hosts", old, sizeof old) < 0)
        old[0] = '\0';
    size_t n = 0;
    for (char *line = old, *next; *line; line = next) {
        next = strchr(line, '\n');
        size_t len = next ? (size_t)(next - line) : strlen(line);
        next = next ? next + 1 : line + len;
        if (len >= strlen(HOSTS_MARK) && memcmp(line + len - strlen(HOSTS_MARK), HOSTS_MARK, strlen(HOSTS_MARK)) == 0)
            continue;
        if (len == 0 && *next == '\0')
            continue;
        memcpy(out + n, line, len);
        n += len;
        out[n++] = '\n';
    }
    if (n == 0)
        n += (size_t)snprintf(out, sizeof out, "127.0.0.1\tlocalhost\n");
    n += (size_t)snprintf(out + n, sizeof out - n, "127.0.1.1\t%s " HOSTS_MARK "\n", hostname);
    if (*host_ip)
        n += (size_t)snprintf(out + n, sizeof out - n, "%s\thost.pyro.internal " HOSTS_MARK "\n", host_ip);
    if (replace_file("/etc/hosts", out) < 0)
        log_msg("writing /etc/hosts: %s", strerror(errno));
}

int net_configure(const char *spec, const char *host_ip, const char *hostname)
{
    char buf[128], ifname[IFNAMSIZ];
    snprintf(buf, sizeof buf, "%s", spec);
    char *addr = buf, *gw = NULL, *dns = NULL;
    char *comma = strchr(addr, ',');
    if (comma) {
        *comma = '\0';
        gw = comma + 1;
        if ((comma = strchr(gw, ',')) != NULL) {
            *comma = '\0';
            dns = comma + 1;
        }
    }
    char *slash = strchr(addr, '/');
    struct in_addr ip, gwa, dnsa, hosta;
    char *end = NULL;
    long prefix = slash ? strtol(slash + 1, &end, 10) : -1;
    if (slash)
        *slash = '\0';
    if (!slash || *end || end == slash + 1 || prefix < 0 || prefix > 32 || inet_pton(AF_INET, addr, &ip) != 1 ||
        (gw && *gw && inet_pton(AF_INET, gw, &gwa) != 1) || (dns && *dns && inet_pton(AF_INET, dns, &dnsa) != 1)) {
        log_msg("pyro.net=%s: expected <ipv4>/<prefix>[,<gateway>[,<dns>]]; network left unconfigured", spec);
        return -1;
    }
    if (*host_ip && inet_pton(AF_INET, host_ip, &hosta) != 1) {
        log_msg("pyro.host=%s is not an IPv4 address; ignored", host_ip);
        host_ip = "";
    }
    /* virtio-net probes before init runs; give a late probe a moment anyway. */
    int found = -1;
    for (int i = 0; i < 100 && (found = find_virtio_net(ifname, sizeof ifname)) < 0; i++) {
        struct timespec ts = { 0, 10 * 1000000L };
        nanosleep(&ts, NULL);
    }
    if (found < 0) {
        log_msg("pyro.net given but the VM has no virtio-net interface");
        return -1;
    }

    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        log_msg("socket: %s", strerror(errno));
        return -1;
    }
    int rc = -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    set_sin(&ifr.ifr_addr, ip);
    if (ioctl(s, SIOCSIFADDR, &ifr) < 0) {
        log_msg("%s: setting address %s: %s", ifname, addr, strerror(errno));
        goto out;
    }
    struct in_addr mask = { htonl(prefix == 0 ? 0 : 0xffffffffu << (32 - prefix)) };
    set_sin(&ifr.ifr_netmask, mask);
    if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0) {
        log_msg("%s: setting netmask /%ld: %s", ifname, prefix, strerror(errno));
        goto out;
    }
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
        log_msg("%s: SIOCGIFFLAGS: %s", ifname, strerror(errno));
        goto out;
    }
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
        log_msg("%s: bringing it up: %s", ifname, strerror(errno));
        goto out;
    }
    if (gw && *gw) {
        struct rtentry rt;
        memset(&rt, 0, sizeof rt);
        struct in_addr any = { 0 };
        set_sin(&rt.rt_dst, any);
        set_sin(&rt.rt_genmask, any);
        set_sin(&rt.rt_gateway, gwa);
        rt.rt_flags = RTF_UP | RTF_GATEWAY;
        rt.rt_dev = ifname;
        if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST) {
            log_msg("%s: default route via %s: %s", ifname, gw, strerror(errno));
            goto out;
        }
    }
    rc = 0;
    log_msg("network: %s %s/%ld%s%s%s%s", ifname, addr, prefix, gw && *gw ? " via " : "", gw && *gw ? gw : "",
            dns && *dns ? " dns " : "", dns && *dns ? dns : "");
out:
    close(s);
    if (dns && *dns) {
        char text[128];
        snprintf(text, sizeof text, "# written by pyro-agent from pyro.net\nnameserver %s\n", dns);
        if (replace_file("/etc/resolv.conf", text) < 0)
            log_msg("writing /etc/resolv.conf: %s", strerror(errno));
    }
    write_hosts(host_ip, hostname);
    return rc;
}
