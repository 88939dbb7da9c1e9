/*
 * IMPORT: entries are checked and extracted into a staging tree (/.pyro-sync/<id>/new),
 * then applied with renames while an undo journal on the same disk says what was moved
 * where; any failure, and a boot that finds a journal (the VM died mid-apply), rolls back.
 */
#include "transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent.h"
#include "fsutil.h"
#include "transfer_internal.h"
#include "util.h"

#define MAX_IMPORTS 8
/* Most components of a workspace-relative path (the host's ImportPolicy.MAX_DEPTH). */
#define MAX_DEPTH 256u
/* Most bytes the paths of one import may take together (the host's ImportPolicy.MAX_PATH_BYTES):
 * bounds what the staging bookkeeping and the undo journal hold. */
#define MAX_PATH_BYTES (64ull << 20)
/* Files at least this large are checked against the disk's free space before any data. */
#define SPACE_CHECK_MIN (1u << 20)

#define JOURNAL_MAGIC "PYROSYNC1\n"

static long hook_fail = -1, hook_crash = -1;
static unsigned sync_counter;

void transfer_set_test_hooks(long fail_step, long crash_step)
{
    hook_fail = fail_step;
    hook_crash = crash_step;
}

/* ---- path rules ---- */

/*
 * A symlink target an entry at `path` (relative to the destination) may have: relative,
 * no NUL, at most MAX_REL bytes, ".." only as leading components and no more of them
 * than `path` has directories above it; so it resolves inside the destination however
 * the symlinks it passes through resolve (each of them is held to the same rule).
 */
static const char *check_target(const uint8_t *t, size_t len, const char *path)
{
    if (len == 0)
        return "empty symlink target";
    if (len > MAX_REL)
        return "symlink target longer than 4000 bytes";
    if (memchr(t, 0, len))
        return "NUL byte in the symlink target";
    if (t[0] == '/')
        return "absolute symlink target (it would point outside the destination)";
    size_t ups = 0, start = 0;
    int seen_name = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && t[i] != '/')
            continue;
        size_t n = i - start;
        if (n == 2 && t[start] == '.' && t[start + 1] == '.') {
            if (seen_name)
                return "'..' after a name in the symlink target (only leading '..' are allowed)";
            ups++;
        } else if (n > 0 && !(n == 1 && t[start] == '.')) {
            seen_name = 1;
        }
        start = i + 1;
    }
    if (ups >= path_depth(path))
        return "symlink target leads outside the destination";
    return NULL;
}

/* ---- staging ---- */

struct dirmeta {
    char *rel; /* workspace-relative */
    uint32_t mode;
    uint64_t mtime_ns;
    int implicit; /* made for entries below it: mode 0755, time left alone */
    size_t seq;
};

struct import {
    int used;
    struct conn *conn;
    uint32_t channel;
    int ws_fd, sync_fd, new_fd;
    int stage_root;  /* the staging root directory */
    char id[48];     /* this import's directory in it */
    char *prefix; /* the destination, workspace-relative ("" = the workspace) */
    /* entries: the frames (reported); paths: the paths the import created, the directories
     * its entries imply included, which max_entries caps (as the host counts them). */
    uint64_t max_entries, max_bytes, entries, paths, path_bytes, bytes;
    int file_fd; /* the regular file whose data is arriving, or -1 */
    char *file_rel;
    uint64_t file_left, file_mtime;
    uint32_t file_mode;
    struct dirmeta *dirs;
    size_t ndirs, dircap;
};

static struct import imports[MAX_IMPORTS];

static struct import *find_import(const struct conn *c, uint32_t ch)
{
    for (int i = 0; i < MAX_IMPORTS; i++)
        if (imports[i].used && imports[i].conn == c && imports[i].channel == ch)
            return &imports[i];
    return NULL;
}

/* Forget an import; remove its staging directory unless `keep` (a failed rollback keeps
 * the journal and backups for the next boot to retry). */
static void import_free(struct import *im, int keep)
{
    close_fd(&im->file_fd);
    close_fd(&im->new_fd);
    close_fd(&im->sync_fd);
    if (im->stage_root >= 0 && !keep) {
        if (im->id[0] && rm_tree(im->stage_root, im->id) < 0)
            log_msg("removing %s/%s: %s", staging_dir_path, im->id, strerror(errno));
        /* Last one out removes the staging root (ENOTEMPTY while other imports stage). */
        rmdir(staging_dir_path);
    }
    close_fd(&im->stage_root);
    close_fd(&im->ws_fd);
    free(im->prefix);
    free(im->file_rel);
    for (size_t i = 0; i < im->ndirs; i++)
        free(im->dirs[i].rel);
    free(im->dirs);
    memset(im, 0, sizeof *im);
    im->ws_fd = im->sync_fd = im->new_fd = im->file_fd = im->stage_root = -1;
}

/* End a failed import: staging removed first, so that when the host reads the ERROR the
 * guest is in its final state. */
static void import_fail(struct import *im, const struct xerr *x, int keep)
{
    struct conn *c = im->conn;
    uint32_t ch = im->channel;
    import_free(im, keep);
    if (c)
        conn_send_error(c, ch, x->code, x->err, "%s", x->msg);
}

int import_busy(const struct conn *c, uint32_t ch)
{
    return find_import(c, ch) != NULL;
}

void import_cancel(struct conn *c, uint32_t ch, const struct xerr *x)
{
    struct import *im = find_import(c, ch);
    if (im)
        import_fail(im, x, 0);
}

void import_drop(const struct conn *c)
{
    for (int i = 0; i < MAX_IMPORTS; i++)
        if (imports[i].used && (!c || imports[i].conn == c)) {
            imports[i].conn = NULL;
            import_free(&imports[i], 0);
        }
}

static int add_dirmeta(struct import *im, const char *rel, uint32_t mode, uint64_t mtime_ns, int implicit)
{
    struct dirmeta *d = grow_array(im->dirs, im->ndirs, &im->dircap, sizeof *d, 64);
    if (!d)
        return -1;
    im->dirs = d;
    char *r = strdup(rel);
    if (!r)
        return -1;
    im->dirs[im->ndirs] = (struct dirmeta){ r, mode, mtime_ns, implicit, im->ndirs };
    im->ndirs++;
    return 0;
}

static struct timespec ts_of(uint64_t ns)
{
    return (struct timespec){ (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
}

/* One more path (`len` bytes below the workspace) in the import, unless that passes max_entries
 * or MAX_PATH_BYTES: 0, or -1 with *x set (LIMIT). */
static int count_path(struct import *im, size_t len, const char *entry, struct xerr *x)
{
    char b1[216];
    if (im->max_entries && im->paths >= im->max_entries) {
        xset(x, ERR_LIMIT, 0, "entry \"%s\": more than %llu entries (the import's limit, counting the directories "
             "that paths imply)", shown(entry, b1), (unsigned long long)im->max_entries);
        return -1;
    }
    if (im->path_bytes + len > MAX_PATH_BYTES) {
        xset(x, ERR_LIMIT, 0, "entry \"%s\": the paths of this import take more than %llu bytes in all",
             shown(entry, b1), (unsigned long long)MAX_PATH_BYTES);
        return -1;
    }
    im->paths++;
    im->path_bytes += len;
    return 0;
}

/*
 * The staging directory for workspace-relative directory `dir`, created (with its
 * missing parents, as implicit directories) if needed. An fd, or -1 with *x set.
 * `entry` (NULL for the destination itself) is the entry that needs it: directories made
 * for an entry count toward max_entries.
 */
static int staging_dir(struct import *im, const char *dir, const char *entry, struct xerr *x)
{
    char b1[216];
    int fd = open_beneath(im->new_fd, dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd >= 0)
        return fd;
    if (errno != ENOENT)
        goto bad;
    fd = open_beneath(im->new_fd, "", O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0)
        goto bad;
    for (const char *p = dir; *p;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        char comp[MAX_COMPONENT + 1];
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (entry && faccessat(fd, comp, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT &&
            count_path(im, (size_t)(p - dir) + n, entry, x) < 0) {
            close(fd);
            return -1;
        }
        if (mkdirat(fd, comp, 0700) == 0) {
            char *rel = strndup(dir, (size_t)(p - dir) + n);
            int rc = rel ? add_dirmeta(im, rel, 0755, 0, 1) : -1;
            free(rel);
            if (rc < 0) {
                close(fd);
                errno = ENOMEM;
                goto bad;
            }
        } else if (errno != EEXIST) {
            close(fd);
            goto bad;
        }
        int next = open_beneath(fd, comp, O_RDONLY | O_DIRECTORY, 0);
        close(fd);
        if (next < 0)
            goto bad;
        fd = next;
        p += n + (slash ? 1 : 0);
    }
    return fd;
bad:
    if (errno == ENOTDIR || errno == ELOOP || errno == EEXIST)
        xset(x, ERR_REJECTED, errno, "entry \"%s\": a parent in this import is not a directory", shown(dir, b1));
    else
        xset(x, ERR_IO, errno, "staging \"%s\": %s", shown(dir, b1), strerror(errno));
    return -1;
}

void handle_import(struct conn *c, const struct frame *f)
{
    uint32_t ch = f->channel;
    struct xerr x = { 0, 0, "" };
    struct import *im = NULL;
    for (int i = 0; i < MAX_IMPORTS && !im; i++)
        if (!imports[i].used)
            im = &imports[i];
    if (!im) {
        conn_send_error(c, ch, ERR_BUSY, 0, "%d imports are running already", MAX_IMPORTS);
        return;
    }
    const char *why;
    char *rel = request_rel(&f->f[IMPORT_DEST].b, &why);
    if (!rel) {
        conn_send_error(c, ch, why ? ERR_BAD_PATH : ERR_INTERNAL, why ? EINVAL : ENOMEM, "IMPORT destination: %s",
                        why ? why : "out of memory");
        return;
    }
    memset(im, 0, sizeof *im);
    im->used = 1;
    im->conn = c;
    im->channel = ch;
    im->prefix = rel;
    im->ws_fd = im->sync_fd = im->new_fd = im->file_fd = im->stage_root = -1;
    im->max_entries = f->f[IMPORT_MAX_ENTRIES].u;
    im->max_bytes = f->f[IMPORT_MAX_BYTES].u;
    if ((im->ws_fd = open_ws(&x)) < 0)
        goto fail;

    /* Fail early (before any data) if the destination cannot be a directory: every part
     * of it that exists must be a real directory, not a file or a symlink. */
    for (char *p = rel; *p;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        struct stat st;
        int rc = stat_beneath(im->ws_fd, rel, &st);
        int err = errno;
        char b1[216];
        if (rc < 0 && err != ENOENT) {
            xset(&x, ERR_IO, err, "IMPORT destination " WS_NAME "/%s: %s", shown(rel, b1), strerror(err));
        } else if (rc == 0 && !S_ISDIR(st.st_mode)) {
            xset(&x, ERR_CONFLICT, ENOTDIR, "IMPORT destination: " WS_NAME "/%s exists and is %s", shown(rel, b1),
                 S_ISLNK(st.st_mode) ? "a symlink" : "not a directory");
        }
        if (slash)
            *slash = '/';
        if (x.code)
            goto fail;
        if (rc < 0)
            break; /* the rest is created by the import */
        p = slash ? slash + 1 : p + strlen(p);
    }

    if ((im->stage_root = open_staging(1, &x)) < 0)
        goto fail;
    struct stat s1, s2;
    if (fstat(im->stage_root, &s1) < 0 || fstat(im->ws_fd, &s2) < 0 || s1.st_dev != s2.st_dev) {
        xset(&x, ERR_IO, EXDEV, "the staging directory %s is not on the filesystem of " WS_NAME, staging_dir_path);
        goto fail;
    }
    for (;;) {
        snprintf(im->id, sizeof im->id, "%llu-%u", (unsigned long long)mono_us(), ++sync_counter);
        if (mkdirat(im->stage_root, im->id, 0700) == 0)
            break;
        if (errno != EEXIST) {
            xset(&x, ERR_IO, errno, "creating the staging directory: %s", strerror(errno));
            im->id[0] = '\0';
            goto fail;
        }
    }
    im->sync_fd = open_beneath(im->stage_root, im->id, O_RDONLY | O_DIRECTORY, 0);
    if (im->sync_fd < 0 || mkdirat(im->sync_fd, "new", 0700) < 0 || mkdirat(im->sync_fd, "old", 0700) < 0 ||
        (im->new_fd = open_beneath(im->sync_fd, "new", O_RDONLY | O_DIRECTORY, 0)) < 0) {
        xset(&x, ERR_IO, errno, "creating the staging directory: %s", strerror(errno));
        goto fail;
    }
    if (*rel) {
        int fd = staging_dir(im, rel, NULL, &x);
        if (fd < 0)
            goto fail;
        close(fd);
    }
    return; /* entries follow */
fail:
    import_fail(im, &x, 0);
}

static int finish_file(struct import *im, struct xerr *x)
{
    char b1[216];
    struct timespec ts[2] = { ts_of(im->file_mtime), ts_of(im->file_mtime) };
    if (fchmod(im->file_fd, im->file_mode) < 0 || futimens(im->file_fd, ts) < 0 || close(im->file_fd) < 0) {
        xset(x, ERR_IO, errno, "entry \"%s\": %s", shown(im->file_rel, b1), strerror(errno));
        im->file_fd = -1;
        return -1;
    }
    im->file_fd = -1;
    return 0;
}

static const char *kind_name(unsigned k)
{
    switch (k) {
    case KIND_DIR:
        return "directory";
    case KIND_FILE:
        return "file";
    case KIND_SYMLINK:
        return "symlink";
    case KIND_HARDLINK:
        return "hardlink";
    }
    return "?";
}

/* One IMPORT_ENTRY; 0, or -1 with *x set. */
static int import_entry(struct import *im, const struct frame *f, struct xerr *x)
{
    char b1[216], b2[216];
    unsigned kind = (unsigned)f->f[ENTRY_KIND].u;
    const struct pbytes *pb = &f->f[ENTRY_PATH].b, *tb = &f->f[ENTRY_TARGET].b;
    uint64_t mode = f->f[ENTRY_MODE].u, size = f->f[ENTRY_SIZE].u, mtime = f->f[ENTRY_MTIME_NS].u;
    char *path = NULL, *full = NULL, *target = NULL, *tfull = NULL;
    int pfd = -1, rc = -1;

    if (im->file_fd >= 0) {
        xset(x, ERR_BAD_FRAME, 0, "IMPORT_ENTRY before all data of \"%s\" arrived", shown(im->file_rel, b1));
        return -1;
    }
    const char *rule = check_rel(pb->ptr, pb->len);
    if (!(path = dup_bytes(pb))) {
        xset(x, ERR_INTERNAL, ENOMEM, "out of memory");
        return -1;
    }
    /* (A path with a NUL byte shows up to the NUL; the rule says why.) */
    if (rule) {
        xset(x, ERR_REJECTED, EINVAL, "entry \"%s\": %s", shown(path, b1), rule);
        goto out;
    }
    if (kind < KIND_DIR || kind > KIND_HARDLINK) {
        xset(x, ERR_REJECTED, EINVAL, "entry \"%s\": unknown kind %u (only directory, file, symlink, hardlink)",
             shown(path, b1), kind);
        goto out;
    }
    if (mode & ~(uint64_t)07777) {
        xset(x, ERR_REJECTED, EINVAL, "entry \"%s\": mode 0%llo has bits other than permission bits", shown(path, b1),
             (unsigned long long)mode);
        goto out;
    }
    if (kind != KIND_FILE && size) {
        xset(x, ERR_REJECTED, EINVAL, "entry \"%s\": size must be 0 for a %s", shown(path, b1), kind_name(kind));
        goto out;
    }
    if ((kind == KIND_DIR || kind == KIND_FILE) && tb->len) {
        xset(x, ERR_REJECTED, EINVAL, "entry \"%s\": a %s has no target", shown(path, b1), kind_name(kind));
        goto out;
    }
    if (kind == KIND_FILE && im->max_bytes && (size > im->max_bytes || im->bytes > im->max_bytes - size)) {
        xset(x, ERR_LIMIT, EFBIG, "entry \"%s\": more than %llu bytes of file data (the import's limit)",
             shown(path, b1), (unsigned long long)im->max_bytes);
        goto out;
    }
    if (!(full = path_join(im->prefix, path))) {
        xset(x, ERR_INTERNAL, ENOMEM, "out of memory");
        goto out;
    }
    if (strlen(full) > MAX_REL) {
        xset(x, ERR_REJECTED, ENAMETOOLONG, "entry \"%s\": " WS_NAME "/<path> longer than 4000 bytes",
             shown(path, b1));
        goto out;
    }
    if (path_depth(full) > MAX_DEPTH) {
        xset(x, ERR_REJECTED, ENAMETOOLONG, "entry \"%s\": more than 256 path components below " WS_NAME,
             shown(path, b1));
        goto out;
    }
    if (kind == KIND_FILE && size >= SPACE_CHECK_MIN) {
        /* A file the disk cannot hold fails at its header, before any of its data. */
        struct statvfs vfs;
        if (fstatvfs(im->new_fd, &vfs) == 0 && size / vfs.f_frsize >= (uint64_t)vfs.f_bavail) {
            xset(x, ERR_LIMIT, ENOSPC, "entry \"%s\": %llu bytes do not fit: the workspace disk has %llu bytes free",
                 shown(path, b1), (unsigned long long)size,
                 (unsigned long long)vfs.f_bavail * (unsigned long long)vfs.f_frsize);
            goto out;
        }
    }
    char *slash = strrchr(full, '/');
    const char *leaf = slash ? slash + 1 : full;
    if (slash)
        *slash = '\0';
    pfd = staging_dir(im, slash ? full : "", path, x);
    if (slash)
        *slash = '/';
    if (pfd < 0) {
        /* Name the entry, not the parent. */
        if (x->code == ERR_REJECTED)
            xset(x, ERR_REJECTED, x->err, "entry \"%s\": a parent in this import is not a directory", shown(path, b1));
        goto out;
    }

    /* A new path counts toward max_entries; a directory named again (or made earlier for
     * entries below it) does not. */
    struct stat leaf_st;
    if ((kind != KIND_DIR || (fstatat(pfd, leaf, &leaf_st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)) &&
        count_path(im, strlen(full), path, x) < 0)
        goto out;
    struct timespec ts[2] = { ts_of(mtime), ts_of(mtime) };
    mode &= 0777; /* setuid, setgid and sticky are stripped */
    switch (kind) {
    case KIND_DIR:
        if (mkdirat(pfd, leaf, 0700) < 0) {
            struct stat st;
            if (errno != EEXIST)
                goto io;
            if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
                goto io;
            if (!S_ISDIR(st.st_mode)) {
                xset(x, ERR_REJECTED, EEXIST, "entry \"%s\": duplicate path in the import", shown(path, b1));
                goto out;
            }
            /* A directory made for earlier entries below it: now it gets its own mode. */
        }
        if (add_dirmeta(im, full, (uint32_t)mode, mtime, 0) < 0) {
            errno = ENOMEM;
            goto io;
        }
        break;
    case KIND_FILE: {
        int fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            if (errno == EEXIST) {
                xset(x, ERR_REJECTED, EEXIST, "entry \"%s\": duplicate path in the import", shown(path, b1));
                goto out;
            }
            goto io;
        }
        im->file_fd = fd;
        free(im->file_rel);
        im->file_rel = path; /* messages name the entry as the host sent it */
        path = NULL;
        im->file_left = size;
        im->file_mode = (uint32_t)mode;
        im->file_mtime = mtime;
        im->bytes += size;
        if (size == 0 && finish_file(im, x) < 0)
            goto out;
        break;
    }
    case KIND_SYMLINK:
        if ((rule = check_target(tb->ptr, tb->len, path))) {
            target = dup_bytes(tb);
            xset(x, ERR_REJECTED, EINVAL, "entry \"%s\" -> \"%s\": %s", shown(path, b1),
                 shown(target ? target : "", b2), rule);
            goto out;
        }
        if (!(target = dup_bytes(tb))) {
            errno = ENOMEM;
            goto io;
        }
        if (symlinkat(target, pfd, leaf) < 0) {
            if (errno == EEXIST) {
                xset(x, ERR_REJECTED, EEXIST, "entry \"%s\": duplicate path in the import", shown(path, b1));
                goto out;
            }
            goto io;
        }
        if (utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
            goto io;
        break;
    case KIND_HARDLINK: {
        target = dup_bytes(tb);
        if ((rule = check_rel(tb->ptr, tb->len))) {
            xset(x, ERR_REJECTED, EINVAL, "entry \"%s\" => \"%s\": hardlink target: %s", shown(path, b1),
                 shown(target ? target : "", b2), rule);
            goto out;
        }
        if (!target || !(tfull = path_join(im->prefix, target))) {
            errno = ENOMEM;
            goto io;
        }
        const char *tleaf;
        struct stat st;
        int tpfd = open_parent(im->new_fd, tfull, &tleaf);
        int ok = tpfd >= 0 && fstatat(tpfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
        if (!ok) {
            if (tpfd >= 0)
                close(tpfd);
            xset(x, ERR_REJECTED, ENOENT, "entry \"%s\" => \"%s\": a hardlink must name an earlier file of the import",
                 shown(path, b1), shown(target, b2));
            goto out;
        }
        int lrc = linkat(tpfd, tleaf, pfd, leaf, 0);
        int err = errno;
        close(tpfd);
        errno = err;
        if (lrc < 0) {
            if (errno == EEXIST) {
                xset(x, ERR_REJECTED, EEXIST, "entry \"%s\": duplicate path in the import", shown(path, b1));
                goto out;
            }
            goto io;
        }
        break;
    }
    }
    im->entries++;
    rc = 0;
    goto out;
io:
    xset(x, ERR_IO, errno, "entry \"%s\": %s", shown(path, b1), strerror(errno));
out:
    if (pfd >= 0)
        close(pfd);
    free(path);
    free(full);
    free(target);
    free(tfull);
    return rc;
}

static int import_data(struct import *im, const struct frame *f, struct xerr *x)
{
    char b1[216];
    const struct pbytes *d = &f->f[DATA_DATA].b;
    if (im->file_fd < 0) {
        xset(x, ERR_BAD_FRAME, 0, "IMPORT_DATA without a file entry waiting for data");
        return -1;
    }
    if (d->len == 0) {
        xset(x, ERR_BAD_FRAME, 0, "empty IMPORT_DATA for \"%s\"", shown(im->file_rel, b1));
        return -1;
    }
    if (d->len > im->file_left) {
        xset(x, ERR_BAD_FRAME, 0, "IMPORT_DATA beyond the size of \"%s\"", shown(im->file_rel, b1));
        return -1;
    }
    if (write_all(im->file_fd, d->ptr, d->len) < 0) {
        int err = errno;
        xset(x, ERR_IO, err, "entry \"%s\": %s%s", shown(im->file_rel, b1), strerror(err),
             err == ENOSPC ? " (the workspace disk is full)" : "");
        return -1;
    }
    im->file_left -= d->len;
    return im->file_left == 0 ? finish_file(im, x) : 0;
}

/* ---- applying an import: plan, journal, renames, undo ---- */

struct op {
    /* 'C': create (rename new/p to p); 'R': replace (p to old/<i>, then new/p to p);
     * 'T': no rename; directory p's mtime before the import, restored by a rollback. */
    char kind;
    char *rel;
    uint64_t mtime_ns;
};

struct plan {
    struct op *ops;
    size_t n, cap;
};

static void plan_free(struct plan *pl)
{
    for (size_t i = 0; i < pl->n; i++)
        free(pl->ops[i].rel);
    free(pl->ops);
}

static int plan_add(struct plan *pl, char kind, char *rel, uint64_t mtime_ns)
{
    struct op *o = grow_array(pl->ops, pl->n, &pl->cap, sizeof *o, 64);
    if (!o)
        return -1;
    pl->ops = o;
    pl->ops[pl->n++] = (struct op){ kind, rel, mtime_ns };
    return 0;
}

/*
 * Compare staging directory `rel` with the workspace's and add what to do: a name missing
 * in the workspace is created (a whole subtree in one rename), a non-directory is
 * replaced, directories on both sides are merged (recursively). A directory meeting a
 * non-directory, either way round, is a conflict. Nothing is changed here.
 */
static int plan_dir(struct import *im, const char *rel, struct plan *pl, struct xerr *x)
{
    char b1[216];
    size_t n = 0;
    char **names = list_dir(im->new_fd, rel, &n);
    if (!names) {
        xset(x, ERR_IO, errno, "reading the staging directory: %s", strerror(errno));
        return -1;
    }
    int dn = open_beneath(im->new_fd, rel, O_RDONLY | O_DIRECTORY, 0);
    int dd = open_beneath(im->ws_fd, rel, O_RDONLY | O_DIRECTORY, 0);
    char **merge = calloc(n ? n : 1, sizeof *merge);
    size_t nmerge = 0, first_op = pl->n;
    int rc = -1;
    if (dn < 0 || dd < 0 || !merge) {
        int err = errno;
        if (dd < 0 && (err == ENOTDIR || err == ELOOP))
            xset(x, ERR_CONFLICT, err, WS_NAME "/%s is no longer a directory", shown(rel, b1));
        else
            xset(x, ERR_IO, err, "planning the import: %s", strerror(err));
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct stat sn, sd;
        char *child = path_join(rel, names[i]);
        if (!child || fstatat(dn, names[i], &sn, AT_SYMLINK_NOFOLLOW) < 0) {
            free(child);
            xset(x, ERR_IO, errno, "planning the import: %s", strerror(errno));
            goto out;
        }
        if (fstatat(dd, names[i], &sd, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT) {
                xset(x, ERR_IO, errno, WS_NAME "/%s: %s", shown(child, b1), strerror(errno));
                free(child);
                goto out;
            }
            if (plan_add(pl, 'C', child, 0) < 0)
                goto oom;
        } else if (S_ISDIR(sn.st_mode) && S_ISDIR(sd.st_mode)) {
            merge[nmerge++] = child;
        } else if (S_ISDIR(sn.st_mode) || S_ISDIR(sd.st_mode)) {
            xset(x, ERR_CONFLICT, S_ISDIR(sd.st_mode) ? EISDIR : ENOTDIR,
                 "conflict at " WS_NAME "/%s: the import has %s there, the workspace %s", shown(child, b1),
                 type_word(sn.st_mode), type_word(sd.st_mode));
            free(child);
            goto out;
        } else if (plan_add(pl, 'R', child, 0) < 0) {
            goto oom;
        }
    }
    if (pl->n > first_op) {
        /* Renames in this directory change its mtime; a rollback puts it back. */
        struct stat sd;
        char *r = strdup(rel);
        if (!r || fstat(dd, &sd) < 0 || plan_add(pl, 'T', r, mtime_ns(&sd)) < 0) {
            free(r);
            goto oom;
        }
    }
    close(dn);
    close(dd);
    dn = dd = -1;
    rc = 0;
    for (size_t i = 0; i < nmerge && rc == 0; i++)
        rc = plan_dir(im, merge[i], pl, x);
    goto out;
oom:
    xset(x, ERR_INTERNAL, ENOMEM, "out of memory");
out:
    if (dn >= 0)
        close(dn);
    if (dd >= 0)
        close(dd);
    for (size_t i = 0; i < nmerge; i++)
        free(merge[i]);
    free(merge);
    free_names(names, n);
    return rc;
}

static int cmp_dirmeta(const void *a, const void *b)
{
    const struct dirmeta *x = a, *y = b;
    size_t dx = path_depth(x->rel), dy = path_depth(y->rel);
    if (dx != dy)
        return dx > dy ? -1 : 1; /* deepest first: a parent's mode must not block its children */
    return x->seq < y->seq ? -1 : x->seq > y->seq; /* a later entry for the same path wins */
}

/* Directory modes and times, now that nothing more is created inside them. */
static int apply_dirmeta(struct import *im, struct xerr *x)
{
    char b1[216];
    qsort(im->dirs, im->ndirs, sizeof *im->dirs, cmp_dirmeta);
    for (size_t i = 0; i < im->ndirs; i++) {
        struct dirmeta *d = &im->dirs[i];
        int fd = open_beneath(im->new_fd, d->rel, O_RDONLY | O_DIRECTORY, 0);
        struct timespec ts[2] = { ts_of(d->mtime_ns), ts_of(d->mtime_ns) };
        if (fd < 0 || fchmod(fd, d->mode) < 0 || (!d->implicit && futimens(fd, ts) < 0)) {
            xset(x, ERR_IO, errno, "setting the mode of \"%s\": %s", shown(d->rel, b1), strerror(errno));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        close(fd);
    }
    return 0;
}

/* Write the plan as the undo journal and make it durable (then renames may start). */
static int write_journal(struct import *im, const struct plan *pl, struct xerr *x)
{
    size_t size = strlen(JOURNAL_MAGIC) + 2;
    for (size_t i = 0; i < pl->n; i++)
        size += strlen(pl->ops[i].rel) + 2 + 22;
    char *buf = malloc(size), *p = buf;
    if (!buf) {
        xset(x, ERR_INTERNAL, ENOMEM, "out of memory");
        return -1;
    }
    p += sprintf(p, "%s", JOURNAL_MAGIC);
    for (size_t i = 0; i < pl->n; i++) {
        *p++ = pl->ops[i].kind;
        size_t n = strlen(pl->ops[i].rel);
        memcpy(p, pl->ops[i].rel, n + 1);
        p += n + 1;
        if (pl->ops[i].kind == 'T')
            p += sprintf(p, "%llu", (unsigned long long)pl->ops[i].mtime_ns) + 1;
    }
    *p++ = 'E';
    *p++ = '\0';
    int fd = openat(im->sync_fd, "journal.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    int rc = fd < 0 || write_all(fd, buf, (size_t)(p - buf)) < 0 || fsync(fd) < 0 ? -1 : 0;
    int err = errno;
    if (fd >= 0 && close(fd) < 0 && rc == 0) {
        rc = -1;
        err = errno;
    }
    free(buf);
    if (rc == 0 && (renameat(im->sync_fd, "journal.tmp", im->sync_fd, "journal") < 0 || fsync(im->sync_fd) < 0)) {
        rc = -1;
        err = errno;
    }
    if (rc < 0)
        xset(x, ERR_IO, err, "writing the undo journal: %s%s", strerror(err),
             err == ENOSPC ? " (the workspace disk is full)" : "");
    return rc;
}

/* Test hook: end the agent as a crash would (VM: no sync; the disk keeps what it has). */
static void crash_now(void)
{
    log_msg("test hook: crashing in the middle of an import");
    if (cfg.stdio_mode)
        _exit(99);
    reboot(RB_AUTOBOOT);
    _exit(99);
}

/* rename(2) beneath two roots without replacing anything. */
static int move_noreplace(int from_root, const char *from, int to_root, const char *to)
{
    const char *fl, *tl;
    int fp = open_parent(from_root, from, &fl);
    if (fp < 0)
        return -1;
    int tp = open_parent(to_root, to, &tl);
    if (tp < 0) {
        int err = errno;
        close(fp);
        errno = err;
        return -1;
    }
    int rc = renameat2(fp, fl, tp, tl, RENAME_NOREPLACE);
    int err = errno;
    close(fp);
    close(tp);
    errno = err;
    return rc;
}

/*
 * Undo an interrupted or failed apply from the journal in sync_fd: newest first, each
 * step only if it happened (decided from what exists: a staged path that is gone was
 * renamed into the workspace; a backup that exists was moved out of it). Repeating it
 * is harmless, so a crash during the undo is undone by the next boot. 0 or -1.
 */
static int sync_undo(int ws_fd, int sync_fd, char *why, size_t whycap)
{
    char b1[216];
    int fd = openat(sync_fd, "journal", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) < 0 || !(buf = malloc((size_t)st.st_size + 1))) {
        close(fd);
        snprintf(why, whycap, "cannot read the journal");
        free(buf);
        return -1;
    }
    size_t len = 0;
    while (len < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    size_t ml = strlen(JOURNAL_MAGIC);
    if (len < ml + 2 || memcmp(buf, JOURNAL_MAGIC, ml) != 0 || buf[len - 2] != 'E' || buf[len - 1] != '\0') {
        snprintf(why, whycap, "the journal is damaged");
        free(buf);
        return -1;
    }
    /* Records: kind byte, path, NUL (a 'T' then its mtime in decimal, NUL); last "E". */
    size_t cap = 64, n = 0;
    char **recs = malloc(cap * sizeof *recs);
    for (char *p = buf + ml; recs && *p != 'E';) {
        if (*p != 'C' && *p != 'R' && *p != 'T')
            break;
        if (n == cap) {
            char **r2 = realloc(recs, cap * 2 * sizeof *recs);
            if (!r2) {
                free(recs);
                recs = NULL;
                break;
            }
            recs = r2;
            cap *= 2;
        }
        recs[n++] = p;
        int is_t = *p == 'T';
        p += strlen(p) + 1;
        if (is_t)
            p += strlen(p) + 1;
    }
    if (!recs) {
        snprintf(why, whycap, "out of memory");
        free(buf);
        return -1;
    }
    int new_fd = open_beneath(sync_fd, "new", O_RDONLY | O_DIRECTORY, 0);
    int old_fd = open_beneath(sync_fd, "old", O_RDONLY | O_DIRECTORY, 0);
    int failed = new_fd < 0 || old_fd < 0;
    for (size_t k = n; k-- > 0 && !failed;) {
        char kind = recs[k][0];
        if (kind == 'T')
            continue;
        const char *rel = recs[k] + 1;
        char backup[24];
        snprintf(backup, sizeof backup, "%zu", k);
        struct stat s;
        /* The new version went in: move it back to staging (it is deleted with it). */
        if (stat_beneath(new_fd, rel, &s) < 0 && errno == ENOENT) {
            if (move_noreplace(ws_fd, rel, new_fd, rel) < 0 && errno != ENOENT) {
                snprintf(why, whycap, "moving " WS_NAME "/%s back: %s", shown(rel, b1), strerror(errno));
                failed = 1;
                break;
            }
        }
        /* The old version was moved aside: put it back. */
        if (kind == 'R' && stat_beneath(old_fd, backup, &s) == 0 && move_noreplace(old_fd, backup, ws_fd, rel) < 0) {
            snprintf(why, whycap, "restoring " WS_NAME "/%s: %s", shown(rel, b1), strerror(errno));
            failed = 1;
        }
    }
    /* Directory times last: the renames back changed them. */
    for (size_t k = 0; k < n && !failed; k++) {
        if (recs[k][0] != 'T')
            continue;
        const char *rel = recs[k] + 1;
        uint64_t ns = strtoull(rel + strlen(rel) + 1, NULL, 10);
        struct timespec ts[2] = { { 0, UTIME_OMIT }, ts_of(ns) };
        int dfd = open_beneath(ws_fd, rel, O_RDONLY | O_DIRECTORY, 0);
        if (dfd >= 0) {
            futimens(dfd, ts);
            close(dfd);
        }
    }
    if (new_fd >= 0)
        close(new_fd);
    if (old_fd >= 0)
        close(old_fd);
    free(recs);
    free(buf);
    if (failed)
        return -1;
    /* The restored state is durable before the journal goes. */
    if (syncfs(ws_fd) < 0 || unlinkat(sync_fd, "journal", 0) < 0 || fsync(sync_fd) < 0) {
        snprintf(why, whycap, "finishing the rollback: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * IMPORT_END: make the staged tree the workspace's, all or nothing. 0, or -1 with *x set
 * and the workspace as before (*keep: the rollback itself failed; keep the journal).
 */
static int apply_import(struct import *im, struct xerr *x, int *keep)
{
    char b1[216];
    struct plan pl = { NULL, 0, 0 };
    int old_fd = -1, rc = -1;
    *keep = 0;
    if (apply_dirmeta(im, x) < 0)
        return -1;
    /* The staged data must be on disk before it can replace anything. */
    if (syncfs(im->new_fd) < 0) {
        xset(x, ERR_IO, errno, "flushing the staged files: %s", strerror(errno));
        return -1;
    }
    if (plan_dir(im, "", &pl, x) < 0)
        goto out;
    if ((old_fd = open_beneath(im->sync_fd, "old", O_RDONLY | O_DIRECTORY, 0)) < 0) {
        xset(x, ERR_IO, errno, "opening the backup directory: %s", strerror(errno));
        goto out;
    }
    if (write_journal(im, &pl, x) < 0)
        goto out;
    long step = 0;
    for (size_t i = 0; i < pl.n; i++) {
        const struct op *o = &pl.ops[i];
        char backup[24];
        snprintf(backup, sizeof backup, "%zu", i);
        if (o->kind == 'T')
            continue;
        for (int part = o->kind == 'R' ? 0 : 1; part < 2; part++, step++) {
            if (step == hook_crash)
                crash_now();
            int r;
            if (step == hook_fail) {
                errno = EIO;
                r = -1;
                xset(x, ERR_IO, EIO, "test hook: simulated failure at rename step %ld", step);
            } else if (part == 0) {
                /* The workspace's version goes to old/<i>; it must still not be a dir. */
                struct stat st;
                if (stat_beneath(im->ws_fd, o->rel, &st) == 0 && S_ISDIR(st.st_mode)) {
                    xset(x, ERR_CONFLICT, EISDIR, "conflict at " WS_NAME "/%s: it became a directory during the import",
                         shown(o->rel, b1));
                    goto rollback;
                }
                r = move_noreplace(im->ws_fd, o->rel, old_fd, backup);
            } else {
                r = move_noreplace(im->new_fd, o->rel, im->ws_fd, o->rel);
            }
            if (r < 0) {
                int err = errno;
                if (step != hook_fail) {
                    if (err == EEXIST || err == ENOTDIR || err == ELOOP || err == ENOENT)
                        xset(x, ERR_CONFLICT, err, "conflict at " WS_NAME "/%s: the workspace changed during the import",
                             shown(o->rel, b1));
                    else
                        xset(x, ERR_IO, err, "applying " WS_NAME "/%s: %s", shown(o->rel, b1), strerror(err));
                }
                goto rollback;
            }
        }
    }
    if (hook_crash == step)
        crash_now();
    /* Commit: the renames are durable, then the journal goes (from here on a crash keeps
     * the new state; before, the next boot rolls back). */
    if (syncfs(im->ws_fd) < 0) {
        xset(x, ERR_IO, errno, "flushing the workspace: %s", strerror(errno));
        goto rollback;
    }
    if (unlinkat(im->sync_fd, "journal", 0) < 0 || fsync(im->sync_fd) < 0) {
        xset(x, ERR_IO, errno, "committing the import: %s", strerror(errno));
        goto rollback;
    }
    rc = 0;
    goto out;
rollback: {
    char why[300] = "";
    if (sync_undo(im->ws_fd, im->sync_fd, why, sizeof why) < 0) {
        log_msg("rollback of an import failed: %s; the next boot retries it", why);
        size_t n = strlen(x->msg);
        snprintf(x->msg + n, sizeof x->msg - n, "; the rollback failed too (%s): the next boot retries it", why);
        *keep = 1;
    }
}
out:
    if (old_fd >= 0)
        close(old_fd);
    plan_free(&pl);
    return rc;
}

static void import_end(struct import *im)
{
    char b1[216];
    struct xerr x = { 0, 0, "" };
    int keep = 0;
    if (im->file_fd >= 0) {
        xset(&x, ERR_BAD_FRAME, 0, "IMPORT_END before all data of \"%s\" arrived", shown(im->file_rel, b1));
        import_fail(im, &x, 0);
        return;
    }
    if (apply_import(im, &x, &keep) < 0) {
        import_fail(im, &x, keep);
        return;
    }
    struct frame r;
    frame_init(&r, T_IMPORT_OK, im->channel);
    r.f[IMPORT_OK_ENTRIES].u = im->entries;
    r.f[IMPORT_OK_BYTES].u = im->bytes;
    struct conn *c = im->conn;
    import_free(im, 0); /* the backups of what was replaced go now, before the reply */
    conn_send(c, &r);
}

void import_frame(struct conn *c, const struct frame *f)
{
    struct xerr x = { 0, 0, "" };
    /* Frames for a channel without an import were in flight after an ERROR: ignored. */
    struct import *im = find_import(c, f->channel);
    if (!im)
        return;
    if (f->type == T_IMPORT_END) {
        import_end(im);
        return;
    }
    int rc = f->type == T_IMPORT_ENTRY ? import_entry(im, f, &x) : import_data(im, f, &x);
    if (rc < 0)
        import_fail(im, &x, 0);
}

/* ---- recovery at boot ---- */

void transfer_recover(void)
{
    if (!ws_enabled)
        return;
    struct xerr x;
    struct stat st;
    if (lstat(staging_dir_path, &st) < 0)
        return; /* the usual case: nothing was left */
    int ws_fd = open_ws(&x), root = open_staging(0, &x);
    size_t n = 0;
    char **names = ws_fd >= 0 && root >= 0 ? list_dir(root, "", &n) : NULL;
    if (!names) {
        log_msg("cannot look for interrupted imports in %s: %s", staging_dir_path, x.msg[0] ? x.msg : strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int sfd = open_beneath(root, names[i], O_RDONLY | O_DIRECTORY, 0);
        int keep = 0;
        if (sfd >= 0 && faccessat(sfd, "journal", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
            char why[300] = "";
            log_msg("rolling back import %s (interrupted while it was being applied)", names[i]);
            if (sync_undo(ws_fd, sfd, why, sizeof why) < 0) {
                log_msg("rollback of import %s failed: %s; left in %s", names[i], why, staging_dir_path);
                keep = 1;
            }
        } else {
            log_msg("removing the staging of import %s (interrupted before it was applied)", names[i]);
        }
        if (sfd >= 0)
            close(sfd);
        if (!keep && rm_tree(root, names[i]) < 0)
            log_msg("removing %s/%s: %s", staging_dir_path, names[i], strerror(errno));
    }
    free_names(names, n);
    rmdir(staging_dir_path);
out:
    if (root >= 0)
        close(root);
    if (ws_fd >= 0)
        close(ws_fd);
}
