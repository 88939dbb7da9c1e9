/* PID-1 duties: the guest's mounts, the overlay root, identity, clock and power off. */
#ifndef PYRO_INIT_H
#define PYRO_INIT_H

#include <stdint.h>

#include "agent.h"

/* Mount /proc, /sys, /dev on the kernel's root, point fds 0-2 and the log at the console,
 * and read the pyro.* parameters of the kernel command line into cfg. */
void init_early(struct agent_config *cfg);
/* Build the overlay root (lower: the read-only root the kernel mounted; upper: cfg->upper),
 * switch into it, mount the rest (/dev/pts, /dev/shm, /run, /tmp, cgroup2), create
 * /workspace. Sets cfg->upper_disk when the upper layer really is on the disk. Returns the
 * cgroup2 mount point or NULL if cgroup2 is unavailable. */
const char *init_root(struct agent_config *cfg);
/* Hostname and the loopback interface. */
void init_identity(const struct agent_config *cfg);
/* Set the wall clock from the host (a microVM has no RTC). 0 or -1/errno. */
int init_set_clock(uint64_t unix_ns);
/* Kill every process but us, reap them, sync and remount the disks read-only. */
void init_quiesce(void);
/* reboot(2) the kernel; with reboot=t and QEMU's -no-reboot the VMM exits. */
void init_reboot(void) __attribute__((noreturn));

#endif
