/*
 * Running commands for the host: EXEC/STDIN/SIGNAL frames in, STARTED/STDOUT/STDERR/EXIT
 * frames out. A command lives in a slot from EXEC until its EXIT frame was sent; each
 * gets its own session and process group, and its own cgroup when cgroup2 is usable, so
 * its whole process tree can be signalled and killed.
 */
#ifndef PYRO_EXEC_H
#define PYRO_EXEC_H

#include <stdint.h>

#include "channel.h"
#include "protocol.h"

#define MAX_EXECS 64

/* Probe cgroup support under `root` (NULL: none). Returns the FEATURE_* bits it enables. */
uint32_t exec_init(const char *root);

void exec_handle_exec(struct conn *c, const struct frame *f);
/* A command of this connection uses the channel (until its EXIT was sent). */
int exec_channel_busy(const struct conn *c, uint32_t channel);
void exec_handle_stdin(struct conn *c, const struct frame *f);
void exec_handle_signal(struct conn *c, const struct frame *f);

/* An epoll event on one of a command's pipes. */
void exec_handle_event(int kind, uint32_t slot, uint32_t events);
/* SIGCHLD: reap every child that changed state (commands and re-parented orphans). */
void exec_reap(void);
/* Handle due timeouts and output grace periods; returns the next deadline (0: none). */
uint64_t exec_timers(uint64_t now_us);

/* The connection's session ended: kill its running commands; their results are dropped. */
void exec_conn_lost(struct conn *c);
/* Kill every command's process tree (SHUTDOWN, power off, --stdio exit). */
void exec_kill_all(void);
/* --stdio exit: kill whatever our cgroups still hold, including background processes of
 * finished commands; after everything was reaped, exec_remove_cgroups() deletes them. */
void exec_kill_cgroups(void);
void exec_remove_cgroups(void);
/* The connection's output queue drained below WQ_LIMIT: read the commands' output again. */
void exec_conn_resume(const struct conn *c);
/* After a command's stdin queue drained: a paused connection may take frames again. */
int exec_conn_may_resume(const struct conn *c);

#endif
