/* State and hooks shared by the agent's modules (one process, one thread, one epoll loop). */
#ifndef PYRO_AGENT_H
#define PYRO_AGENT_H

#include <stdint.h>

#define AGENT_VERSION "0.2.0"

struct agent_config {
    int stdio_mode;          /* --stdio: serve stdin/stdout, no PID-1 duties */
    int ephemeral;           /* pyro.ephemeral=1: power off when the host goes away */
    uint64_t ttl_deadline_us; /* pyro.ttl: mono_us() deadline, 0 = none */
    int vsock_force;         /* pyro.vsock=force: listen even without a host transport (tests) */
    char upper[128];         /* pyro.upper= ("tmpfs" or a block device path) */
    char hostname[65];       /* pyro.hostname= */
    const char *cgroup_root; /* cgroup2 directory for per-command cgroups, NULL: none */
    const char *workspace;   /* the directory the protocol calls /workspace, NULL: none */
    int upper_disk;          /* the overlay's upper layer really is on the pyro.upper disk */
    char net[128];           /* pyro.net= "<ip>/<prefix>[,<gateway>[,<dns>]]", "" = none */
    char host_ip[64];        /* pyro.host= address for host.pyro.internal, "" = none */
    long test_fail_apply;    /* tests only: fail an import's apply at this rename step (-1: off) */
    long test_crash_apply;   /* tests only: crash at this rename step of an apply (-1: off) */
};

extern struct agent_config cfg;
extern int epoll_fd;

/* epoll_event.data.u64 = kind << 32 | index */
enum ev_kind { EV_SIGNAL = 1, EV_CONN, EV_LISTEN, EV_OUT, EV_ERR, EV_IN };
#define EV_TAG(kind, idx) (((uint64_t)(kind) << 32) | (uint32_t)(idx))

/* 0 or -1 (logged): epoll_ctl with our tag convention. */
int ev_add(int fd, uint32_t events, uint64_t tag);
int ev_mod(int fd, uint32_t events, uint64_t tag);
void ev_del(int fd);

/* Powers the VM off now if pyro.ttl has passed (called from every wait of the agent,
 * so a host that stops reading cannot keep the VM alive past its ttl). */
void agent_check_ttl(void);

/*
 * End the agent: kill every command, sync and remount the disks read-only, then reboot
 * the kernel (= the VMM exits: reboot=t and -no-reboot). In --stdio mode: exit(status).
 * `before_reboot` (may be NULL) runs after the disks are safe, just before the reboot:
 * SHUTDOWN uses it to send SHUTDOWN_OK.
 */
void agent_poweroff(const char *why, int status, void (*before_reboot)(void *), void *arg)
    __attribute__((noreturn));

#endif
