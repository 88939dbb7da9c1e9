/*
 * What the transfer units share: the workspace and staging directories, path rules and
 * errors (transfer_internal.h), and the dispatch of transfer frames to the IMPORT, EXPORT
 * and STAT units.
 */
#include "transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "fsutil.h"
#include "transfer_internal.h"
#include "util.h"

static char ws_dir[512];
char staging_dir_path[520];
int ws_enabled;

void xset(struct xerr *x, uint32_t code, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg, sizeof x->msg, fmt, ap);
    va_end(ap);
    x->code = code;
    x->err = err;
}

const char *shown(const char *p, char buf[216])
{
    size_t n = 0;
    for (; *p && n < 200; p++)
        buf[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
    if (*p) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

uint32_t transfer_init(const char *workspace_dir, const char *staging_dir)
{
    if (!workspace_dir || !staging_dir || strlen(workspace_dir) >= sizeof ws_dir ||
        strlen(staging_dir) >= sizeof staging_dir_path)
        return 0;
    snprintf(ws_dir, sizeof ws_dir, "%s", workspace_dir);
    snprintf(staging_dir_path, sizeof staging_dir_path, "%s", staging_dir);
    struct stat st;
    if (lstat(ws_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        log_msg("%s is not a directory: file transfers are unavailable", ws_dir);
        return 0;
    }
    ws_enabled = 1;
    return FEATURE_TRANSFER;
}

int open_ws(struct xerr *x)
{
    int fd = open(ws_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        xset(x, ERR_IO, errno, WS_NAME " cannot be opened: %s", strerror(errno));
    return fd;
}

int open_staging(int create, struct xerr *x)
{
    if (create && mkdir(staging_dir_path, 0700) < 0 && errno != EEXIST) {
        xset(x, ERR_IO, errno, "creating the staging directory %s: %s", staging_dir_path, strerror(errno));
        return -1;
    }
    int fd = open(staging_dir_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        xset(x, ERR_IO, errno, "opening the staging directory %s: %s", staging_dir_path, strerror(errno));
    return fd;
}

/* ---- path rules ---- */

const char *check_rel(const uint8_t *p, size_t len)
{
    if (len == 0)
        return "empty path";
    if (len > MAX_REL)
        return "path longer than 4000 bytes";
    if (memchr(p, 0, len))
        return "NUL byte in the path";
    if (p[0] == '/')
        return "absolute path";
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && p[i] != '/')
            continue;
        size_t n = i - start;
        if (n == 0)
            return "empty path component ('//' or a trailing '/')";
        if (n == 1 && p[start] == '.')
            return "'.' component";
        if (n == 2 && p[start] == '.' && p[start + 1] == '.')
            return "'..' component";
        if (n > MAX_COMPONENT)
            return "path component longer than 255 bytes";
        start = i + 1;
    }
    return NULL;
}

char *dup_bytes(const struct pbytes *b)
{
    char *s = malloc((size_t)b->len + 1);
    if (s) {
        memcpy(s, b->ptr, b->len);
        s[b->len] = '\0';
    }
    return s;
}

char *request_rel(const struct pbytes *b, const char **why)
{
    size_t n = strlen(WS_NAME);
    *why = NULL;
    if (b->len < n || memcmp(b->ptr, WS_NAME, n) != 0 || (b->len > n && b->ptr[n] != '/')) {
        *why = "the path must be " WS_NAME " or a path under it";
        return NULL;
    }
    if (b->len == n)
        return strdup("");
    const char *rule = check_rel(b->ptr + n + 1, b->len - n - 1);
    if (rule) {
        *why = rule;
        return NULL;
    }
    return dup_bytes(&(struct pbytes){ b->ptr + n + 1, b->len - n - 1 });
}

/*
 * The directory holding a request path (symlinks on the way are followed while they stay
 * in the workspace) and the last component (not followed). *pfd is -1 for the workspace
 * itself. 0, or -1 with *x set.
 */
static int resolve_request(const struct pbytes *path, int ws_fd, int *pfd, char **relp, const char **leafp,
                           struct xerr *x)
{
    const char *why;
    char b1[216];
    char *rel = request_rel(path, &why);
    *pfd = -1;
    if (!rel) {
        xset(x, why ? ERR_BAD_PATH : ERR_INTERNAL, why ? EINVAL : ENOMEM, "%s", why ? why : "out of memory");
        return -1;
    }
    *relp = rel;
    if (!*rel)
        return 0;
    char *slash = strrchr(rel, '/');
    if (slash)
        *slash = '\0';
    int fd = open_beneath_follow(ws_fd, slash ? rel : "", O_RDONLY | O_DIRECTORY, 0);
    int err = errno;
    if (slash)
        *slash = '/';
    if (fd < 0) {
        if (err == ENOENT || err == ENOTDIR)
            xset(x, ERR_NOT_FOUND, err, WS_NAME "/%s: %s", shown(rel, b1), strerror(err));
        else if (err == EXDEV || err == ELOOP)
            xset(x, ERR_BAD_PATH, err, WS_NAME "/%s: a symlink on the way leads out of " WS_NAME, shown(rel, b1));
        else
            xset(x, ERR_IO, err, WS_NAME "/%s: %s", shown(rel, b1), strerror(err));
        return -1;
    }
    *pfd = fd;
    *leafp = slash ? slash + 1 : rel;
    return 0;
}

int open_request_path(const struct pbytes *path, struct request_path *p, struct xerr *x)
{
    char b1[216];
    p->ws_fd = p->pfd = -1;
    p->rel = NULL;
    p->leaf = NULL;
    p->target_len = 0;
    if ((p->ws_fd = open_ws(x)) < 0 || resolve_request(path, p->ws_fd, &p->pfd, &p->rel, &p->leaf, x) < 0)
        return -1;
    if ((p->pfd >= 0 ? fstatat(p->pfd, p->leaf, &p->st, AT_SYMLINK_NOFOLLOW) : fstat(p->ws_fd, &p->st)) < 0) {
        xset(x, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO, errno, WS_NAME "%s%s: %s", *p->rel ? "/" : "",
             shown(p->rel, b1), strerror(errno));
        return -1;
    }
    if (S_ISLNK(p->st.st_mode)) {
        ssize_t n = readlinkat(p->pfd, p->leaf, p->target, sizeof p->target);
        if (n < 0) {
            xset(x, ERR_IO, errno, WS_NAME "/%s: %s", shown(p->rel, b1), strerror(errno));
            return -1;
        }
        p->target_len = (size_t)n;
    }
    return 0;
}

void close_request_path(struct request_path *p)
{
    close_fd(&p->pfd);
    close_fd(&p->ws_fd);
    free(p->rel);
    p->rel = NULL;
}

void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

uint64_t mtime_ns(const struct stat *st)
{
    if (st->st_mtim.tv_sec < 0)
        return 0;
    return (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
}

const char *type_word(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISLNK(m) ? "a symlink" : S_ISREG(m) ? "a file" : "a special file";
}



/* ---- dispatch ---- */

int transfer_channel_busy(const struct conn *c, uint32_t ch)
{
    return import_busy(c, ch) || export_busy(c, ch);
}

void transfer_handle(struct conn *c, const struct frame *f)
{
    uint32_t ch = f->channel;
    switch (f->type) {
    case T_IMPORT:
    case T_EXPORT:
    case T_STAT: {
        const char *what = frame_def_find(f->type)->name;
        uint64_t flags = f->type == T_IMPORT ? f->f[IMPORT_FLAGS].u : f->type == T_EXPORT ? f->f[EXPORT_FLAGS].u : 0;
        if (ch != 0 && (transfer_channel_busy(c, ch) || exec_channel_busy(c, ch))) {
            conn_send_error(c, ch, ERR_BUSY, 0, "channel %u is in use", ch);
            return;
        }
        /* An import or export streams on its own channel; STAT is answered on any. */
        if (ch == 0 && f->type != T_STAT) {
            conn_send_error(c, ch, ERR_BAD_FRAME, 0, "%s on the control channel 0", what);
            return;
        }
        if (!ws_enabled) {
            conn_send_error(c, ch, ERR_UNSUPPORTED, 0, "no workspace: file transfers are unavailable");
            return;
        }
        if (flags) {
            conn_send_error(c, ch, ERR_UNSUPPORTED, 0, "unknown %s flags 0x%x", what, (unsigned)flags);
            return;
        }
        if (f->type == T_IMPORT)
            handle_import(c, f);
        else if (f->type == T_EXPORT)
            handle_export(c, f);
        else
            handle_stat(c, f);
        return;
    }
    case T_IMPORT_ENTRY:
    case T_IMPORT_DATA:
    case T_IMPORT_END:
        import_frame(c, f);
        return;
    case T_CANCEL: {
        struct xerr x;
        xset(&x, ERR_CANCELLED, ECANCELED, "cancelled by the host");
        import_cancel(c, ch, &x);
        export_cancel(c, ch, &x);
        return;
    }
    }
}

void transfer_conn_lost(struct conn *c)
{
    import_drop(c);
    export_drop(c);
}

void transfer_abort_all(void)
{
    import_drop(NULL);
    export_drop(NULL);
}
