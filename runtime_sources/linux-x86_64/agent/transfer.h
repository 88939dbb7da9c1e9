/*
 * File transfers between the host and /workspace: IMPORT (a stream of entries applied
 * atomically under a destination directory), EXPORT (a file, symlink or directory tree
 * streamed back as entries) and STAT. See docs/guest-protocol.md, "File transfer".
 *
 * An import is extracted into a staging tree (/.pyro-sync/<id>/new), then
 * applied with renames while an undo journal on the same disk says what was moved where;
 * any failure (and a boot that finds a journal: the VM died mid-apply) rolls back.
 */
#ifndef PYRO_TRANSFER_H
#define PYRO_TRANSFER_H

#include <stdint.h>

#include "channel.h"
#include "protocol.h"

/* The directory the protocol calls /workspace (NULL: transfers are unsupported), and
 * where imports stage (same filesystem and mount, outside the workspace). Returns
 * FEATURE_TRANSFER or 0. */
uint32_t transfer_init(const char *workspace_dir, const char *staging_dir);
/* Fault injection for tests only (pyro.test.* / PYRO_AGENT_TEST_*): fail, or crash the
 * agent (VM: reboot without sync), before rename step N of an import's apply; -1: off. */
void transfer_set_test_hooks(long fail_step, long crash_step);
/* Before serving: roll back imports a previous run left half-applied, remove staging. */
void transfer_recover(void);

/* IMPORT, IMPORT_ENTRY, IMPORT_DATA, IMPORT_END, CANCEL, EXPORT, STAT. */
void transfer_handle(struct conn *c, const struct frame *f);
/* A transfer uses this channel of the connection. */
int transfer_channel_busy(const struct conn *c, uint32_t channel);

/* An export has data to send on a connection that can take it now. */
int transfer_pending(void);
/* Send the next part of every export that can proceed (bounded work per call). */
void transfer_step(void);

/* The connection's session ended: abandon its transfers (an import's staging is removed;
 * an import is never between its first and last rename when this runs). */
void transfer_conn_lost(struct conn *c);
/* Power off: abandon every transfer. */
void transfer_abort_all(void);

#endif
