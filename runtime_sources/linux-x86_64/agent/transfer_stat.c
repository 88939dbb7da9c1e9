/* STAT: what is at a path of the workspace (the last component is not followed). */
#include "transfer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned kind_of(mode_t m)
{
    return S_ISDIR(m) ? KIND_DIR : S_ISREG(m) ? KIND_FILE : S_ISLNK(m) ? KIND_SYMLINK : KIND_OTHER;
}

void handle_stat(struct conn *c, const struct frame *f)
{
    struct xerr x = { 0, 0, "" };
    char b1[216];
    int pfd = -1, ws_fd = open_ws(&x);
    char *rel = NULL;
    const char *leaf = NULL;
    struct stat st;
    char target[4096];
    ssize_t tlen = 0;
    if (ws_fd < 0 || resolve_request(&f->f[STAT_PATH].b, ws_fd, &pfd, &rel, &leaf, &x) < 0)
        goto fail;
    if ((pfd >= 0 ? fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) : fstat(ws_fd, &st)) < 0) {
        xset(&x, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO, errno, WS_NAME "%s%s: %s", *rel ? "/" : "", shown(rel, b1),
             strerror(errno));
        goto fail;
    }
    if (S_ISLNK(st.st_mode) && (tlen = readlinkat(pfd, leaf, target, sizeof target)) < 0) {
        xset(&x, ERR_IO, errno, WS_NAME "/%s: %s", shown(rel, b1), strerror(errno));
        goto fail;
    }
    struct frame r;
    frame_init(&r, T_STAT_OK, f->channel);
    r.f[STAT_OK_KIND].u = kind_of(st.st_mode);
    r.f[STAT_OK_MODE].u = st.st_mode & 07777;
    r.f[STAT_OK_SIZE].u = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    r.f[STAT_OK_MTIME_NS].u = mtime_ns(&st);
    r.f[STAT_OK_TARGET].b = (struct pbytes){ (const uint8_t *)target, (uint32_t)tlen };
    conn_send(c, &r);
    goto out;
fail:
    conn_send_error(c, f->channel, x.code, x.err, "%s", x.msg);
out:
    if (pfd >= 0)
        close(pfd);
    if (ws_fd >= 0)
        close(ws_fd);
    free(rel);
}
