/*
 * What the transfer units share; only they include this (the rest of the agent includes
 * transfer.h). transfer.c: the workspace and staging directories, path rules, errors and
 * the dispatch of frames; transfer_import.c: IMPORT; transfer_export.c: EXPORT;
 * transfer_stat.c: STAT.
 */
#ifndef PYRO_TRANSFER_INTERNAL_H
#define PYRO_TRANSFER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "channel.h"
#include "protocol.h"

/* The name the protocol uses for the workspace, whatever directory backs it. */
#define WS_NAME "/workspace"
/* Longest workspace-relative path an entry may end up at; components at most NAME_MAX. */
#define MAX_REL 4000u
#define MAX_COMPONENT 255u

/* Staging trees and undo journals live here: on the workspace's filesystem and mount
 * (renames), but outside the workspace (commands never see them, and the workspace's
 * own directories are not touched until the apply). */
extern char staging_dir_path[520];
/* transfer_init found the workspace directory: transfers are served. */
extern int ws_enabled;

/* An error to report: the ERROR frame's code, errno and message. */
struct xerr {
    uint32_t code;
    int err;
    char msg[480];
};

void xset(struct xerr *x, uint32_t code, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A path for a message: at most 200 bytes, control bytes as '?'. */
const char *shown(const char *p, char buf[216]);

/* The workspace directory itself; never through a symlink. fd, or -1 with *x set. */
int open_ws(struct xerr *x);
/* The staging root (created if missing), or -1 with *x set. */
int open_staging(int create, struct xerr *x);

/*
 * A relative path an entry may have: not empty, no leading '/', components separated by
 * single '/', none empty, "." or "..", none longer than 255 bytes, no NUL, at most
 * MAX_REL bytes. NULL if fine, else the rule it breaks.
 */
const char *check_rel(const uint8_t *p, size_t len);
/* The bytes as a malloc'd C string; NULL when out of memory. */
char *dup_bytes(const struct pbytes *b);
/* A request's path ("/workspace" or "/workspace/<rel>") as <rel> ("" for the workspace).
 * NULL with *why set when it is not such a path (*why NULL: out of memory). */
char *request_rel(const struct pbytes *b, const char **why);

/* The path of an EXPORT or STAT, resolved by open_request_path. */
struct request_path {
    int ws_fd;         /* the workspace */
    int pfd;           /* the directory holding the path; -1 for the workspace itself */
    char *rel;         /* the path, workspace-relative ("" for the workspace) */
    const char *leaf;  /* its last component (in rel) */
    struct stat st;    /* what is there (the last component not followed) */
    char target[4096]; /* a symlink's target (target_len bytes, not NUL-terminated) */
    size_t target_len;
};
/*
 * Resolve a request path: symlinks on the way are followed while they stay in the
 * workspace, the last component is not. 0, or -1 with *x set; close_request_path either
 * way.
 */
int open_request_path(const struct pbytes *path, struct request_path *p, struct xerr *x);
void close_request_path(struct request_path *p);

/* close(*fd) unless it is -1, then -1. */
void close_fd(int *fd);
/* st_mtim in nanoseconds since the epoch (0 before it). */
uint64_t mtime_ns(const struct stat *st);
/* "a directory", "a symlink", "a file" or "a special file", for messages. */
const char *type_word(mode_t m);

/* The handlers of IMPORT, EXPORT and STAT run once the dispatch has checked the channel
 * (free; not 0 for IMPORT and EXPORT), that there is a workspace and that no unknown flag
 * is set. */

/* IMPORT (transfer_import.c). */
void handle_import(struct conn *c, const struct frame *f);
/* IMPORT_ENTRY, IMPORT_DATA, IMPORT_END (ignored on a channel without an import). */
void import_frame(struct conn *c, const struct frame *f);
/* An import uses this channel of the connection. */
int import_busy(const struct conn *c, uint32_t ch);
/* End the import on this channel of the connection, if there is one, with ERROR x (its
 * staging removed first). */
void import_cancel(struct conn *c, uint32_t ch, const struct xerr *x);
/* Abandon the connection's imports (NULL: every import), sending nothing; their staging
 * is removed. */
void import_drop(const struct conn *c);

/* EXPORT (transfer_export.c); the rest is sent by transfer_step. */
void handle_export(struct conn *c, const struct frame *f);
/* An export uses this channel of the connection. */
int export_busy(const struct conn *c, uint32_t ch);
/* End the export on this channel of the connection, if there is one, with ERROR x. */
void export_cancel(struct conn *c, uint32_t ch, const struct xerr *x);
/* Abandon the connection's exports (NULL: every export), sending nothing. */
void export_drop(const struct conn *c);

/* STAT (transfer_stat.c). */
void handle_stat(struct conn *c, const struct frame *f);

#endif
