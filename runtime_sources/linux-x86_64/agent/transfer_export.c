/* EXPORT: a file, symlink or directory tree of the workspace streamed back as entries, a
 * bounded part per turn of the event loop (transfer_step). */
#include "transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "transfer_internal.h"
#include "util.h"

#define MAX_EXPORTS 8
/* EXPORT_DATA chunk, and how much one export sends per turn of the loop. */
#define XCHUNK (256u * 1024u)
#define XSTEP_BUDGET (2u * 1024u * 1024u)

struct level {
    char *rel; /* relative to the export root */
    char **names;
    size_t n, i;
};

struct linkseen {
    dev_t dev;
    ino_t ino;
    char *rel;
};

struct export {
    int used;
    struct conn *conn;
    uint32_t channel;
    int root_fd; /* directory export: the directory */
    struct level *stack;
    size_t depth, stackcap;
    int file_fd; /* file whose data is being sent */
    char *file_rel;
    uint64_t file_left;
    uint64_t entries, bytes, skipped;
    struct linkseen *links;
    size_t nlinks, linkcap;
};

static struct export exports[MAX_EXPORTS];

/* An EXPORT_DATA frame is built here: 13 header bytes, then the data read. */
static uint8_t xbuf[DATA_FRAME_PREFIX + XCHUNK];

static struct export *find_export(const struct conn *c, uint32_t ch)
{
    for (int i = 0; i < MAX_EXPORTS; i++)
        if (exports[i].used && exports[i].conn == c && exports[i].channel == ch)
            return &exports[i];
    return NULL;
}

static void export_free(struct export *e)
{
    close_fd(&e->file_fd);
    close_fd(&e->root_fd);
    for (size_t i = 0; i < e->depth; i++) {
        free(e->stack[i].rel);
        free_names(e->stack[i].names, e->stack[i].n);
    }
    free(e->stack);
    free(e->file_rel);
    for (size_t i = 0; i < e->nlinks; i++)
        free(e->links[i].rel);
    free(e->links);
    memset(e, 0, sizeof *e);
    e->root_fd = e->file_fd = -1;
}

static void export_fail(struct export *e, const struct xerr *x)
{
    if (e->conn)
        conn_send_error(e->conn, e->channel, x->code, x->err, "%s", x->msg);
    export_free(e);
}

int export_busy(const struct conn *c, uint32_t ch)
{
    return find_export(c, ch) != NULL;
}

void export_cancel(struct conn *c, uint32_t ch, const struct xerr *x)
{
    struct export *e = find_export(c, ch);
    if (e)
        export_fail(e, x);
}

void export_drop(const struct conn *c)
{
    for (int i = 0; i < MAX_EXPORTS; i++)
        if (exports[i].used && (!c || exports[i].conn == c))
            export_free(&exports[i]);
}

static int send_entry(struct export *e, unsigned kind, const char *rel, const struct stat *st, uint64_t size,
                      const char *target, size_t tlen)
{
    struct frame f;
    frame_init(&f, T_EXPORT_ENTRY, e->channel);
    f.f[ENTRY_KIND].u = kind;
    f.f[ENTRY_PATH].b = (struct pbytes){ (const uint8_t *)rel, (uint32_t)strlen(rel) };
    f.f[ENTRY_MODE].u = kind == KIND_SYMLINK || kind == KIND_HARDLINK ? 0 : (st->st_mode & 0777);
    f.f[ENTRY_MTIME_NS].u = kind == KIND_HARDLINK ? 0 : mtime_ns(st);
    f.f[ENTRY_SIZE].u = size;
    f.f[ENTRY_TARGET].b = (struct pbytes){ (const uint8_t *)target, (uint32_t)tlen };
    e->entries++;
    return conn_send(e->conn, &f);
}

static int push_level(struct export *e, char *rel, struct xerr *x)
{
    char b1[216];
    size_t n = 0;
    char **names = list_dir(e->root_fd, rel, &n);
    if (!names) {
        xset(x, ERR_IO, errno, "reading \"%s\": %s", shown(*rel ? rel : ".", b1), strerror(errno));
        free(rel);
        return -1;
    }
    struct level *s = grow_array(e->stack, e->depth, &e->stackcap, sizeof *s, 16);
    if (!s) {
        free_names(names, n);
        free(rel);
        xset(x, ERR_INTERNAL, ENOMEM, "out of memory");
        return -1;
    }
    e->stack = s;
    e->stack[e->depth++] = (struct level){ rel, names, n, 0 };
    return 0;
}

/* A file with more than one link seen before in this export: its first path, else NULL
 * (and it is remembered). */
static const char *link_seen(struct export *e, const struct stat *st, const char *rel)
{
    for (size_t i = 0; i < e->nlinks; i++)
        if (e->links[i].dev == st->st_dev && e->links[i].ino == st->st_ino)
            return e->links[i].rel;
    struct linkseen *l = grow_array(e->links, e->nlinks, &e->linkcap, sizeof *l, 16);
    if (!l)
        return NULL; /* sent as a copy then: still correct content */
    e->links = l;
    char *r = strdup(rel);
    if (r)
        e->links[e->nlinks++] = (struct linkseen){ st->st_dev, st->st_ino, r };
    return NULL;
}

/* Open a regular file of the export for reading; its fstat in *st. */
static int open_export_file(int root_fd, const char *rel, struct stat *st)
{
    int fd = open_beneath(root_fd, rel, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        errno = S_ISREG(st->st_mode) ? errno : EAGAIN; /* it changed under us */
        return -1;
    }
    return fd;
}

/* Send one entry of a directory export (child `rel`); -1 with *x set on failure. */
static int export_child(struct export *e, char *rel, struct xerr *x)
{
    char b1[216];
    struct stat st;
    if (stat_beneath(e->root_fd, rel, &st) < 0) {
        if (errno == ENOENT) { /* deleted since the listing: not part of the export */
            free(rel);
            return 0;
        }
        xset(x, ERR_IO, errno, "\"%s\": %s", shown(rel, b1), strerror(errno));
        free(rel);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        if (send_entry(e, KIND_DIR, rel, &st, 0, "", 0) < 0) {
            free(rel);
            return 0; /* the session is lost; the loop ends the export */
        }
        return push_level(e, rel, x);
    }
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        const char *leaf;
        int pfd = open_parent(e->root_fd, rel, &leaf);
        ssize_t n = pfd >= 0 ? readlinkat(pfd, leaf, target, sizeof target) : -1;
        int err = errno;
        if (pfd >= 0)
            close(pfd);
        if (n < 0) {
            xset(x, ERR_IO, err, "\"%s\": %s", shown(rel, b1), strerror(err));
            free(rel);
            return -1;
        }
        send_entry(e, KIND_SYMLINK, rel, &st, 0, target, (size_t)n);
        free(rel);
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        e->skipped++; /* fifo, socket, device: no entry kind can carry it */
        free(rel);
        return 0;
    }
    if (st.st_nlink > 1) {
        const char *first = link_seen(e, &st, rel);
        if (first) {
            send_entry(e, KIND_HARDLINK, rel, &st, 0, first, strlen(first));
            free(rel);
            return 0;
        }
    }
    int fd = open_export_file(e->root_fd, rel, &st);
    if (fd < 0) {
        xset(x, ERR_IO, errno, "\"%s\": %s", shown(rel, b1), errno == EAGAIN ? "changed during the export" : strerror(errno));
        free(rel);
        return -1;
    }
    send_entry(e, KIND_FILE, rel, &st, (uint64_t)st.st_size, "", 0);
    if (st.st_size == 0) {
        close(fd);
        free(rel);
        return 0;
    }
    e->file_fd = fd;
    e->file_left = (uint64_t)st.st_size;
    free(e->file_rel);
    e->file_rel = rel;
    return 0;
}

/* Up to `budget` bytes of file data or entries. 1: finished (END sent), 0: more to do,
 * -1: failed (*x set). */
static int export_work(struct export *e, size_t budget, struct xerr *x)
{
    char b1[216];
    while (budget > 0 && !e->conn->lost && !conn_congested(e->conn)) {
        if (e->file_fd >= 0) {
            size_t want = e->file_left < XCHUNK ? (size_t)e->file_left : XCHUNK;
            ssize_t r = read(e->file_fd, xbuf + DATA_FRAME_PREFIX, want);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                xset(x, ERR_IO, r < 0 ? errno : ESTALE, "\"%s\": %s", shown(e->file_rel, b1),
                     r < 0 ? strerror(errno) : "the file shrank during the export");
                return -1;
            }
            data_frame_prefix(xbuf, T_EXPORT_DATA, e->channel, (uint32_t)r);
            conn_send_raw(e->conn, xbuf, DATA_FRAME_PREFIX + (size_t)r);
            e->file_left -= (uint64_t)r;
            e->bytes += (uint64_t)r;
            budget = budget > (size_t)r ? budget - (size_t)r : 0;
            if (e->file_left == 0)
                close_fd(&e->file_fd);
            continue;
        }
        if (e->depth == 0) {
            struct frame f;
            frame_init(&f, T_EXPORT_END, e->channel);
            f.f[EXPORT_END_ENTRIES].u = e->entries;
            f.f[EXPORT_END_BYTES].u = e->bytes;
            f.f[EXPORT_END_SKIPPED].u = e->skipped;
            conn_send(e->conn, &f);
            return 1;
        }
        struct level *l = &e->stack[e->depth - 1];
        if (l->i == l->n) {
            free(l->rel);
            free_names(l->names, l->n);
            e->depth--;
            continue;
        }
        const char *name = l->names[l->i++];
        char *rel = path_join(l->rel, name);
        if (!rel) {
            xset(x, ERR_INTERNAL, ENOMEM, "out of memory");
            return -1;
        }
        if (export_child(e, rel, x) < 0)
            return -1;
        budget = budget > 4096 ? budget - 4096 : 0; /* entries cost too */
    }
    return 0;
}

void handle_export(struct conn *c, const struct frame *f)
{
    uint32_t ch = f->channel;
    struct xerr x = { 0, 0, "" };
    char b1[216];
    struct export *e = NULL;
    for (int i = 0; i < MAX_EXPORTS && !e; i++)
        if (!exports[i].used)
            e = &exports[i];
    if (!e) {
        conn_send_error(c, ch, ERR_BUSY, 0, "%d exports are running already", MAX_EXPORTS);
        return;
    }
    memset(e, 0, sizeof *e);
    e->used = 1;
    e->conn = c;
    e->channel = ch;
    e->root_fd = e->file_fd = -1;

    struct request_path p;
    struct stat st;
    if (open_request_path(&f->f[EXPORT_PATH].b, &p, &x) < 0)
        goto fail;
    st = p.st;
    if (S_ISDIR(st.st_mode)) {
        e->root_fd = p.pfd >= 0 ? open_beneath(p.pfd, p.leaf, O_RDONLY | O_DIRECTORY, 0) : dup(p.ws_fd);
        if (e->root_fd < 0 || fstat(e->root_fd, &st) < 0) {
            xset(&x, ERR_IO, errno, WS_NAME "/%s: %s", shown(p.rel, b1), strerror(errno));
            goto fail;
        }
        send_entry(e, KIND_DIR, "", &st, 0, "", 0);
        char *root = strdup("");
        if (!root || push_level(e, root, &x) < 0)
            goto fail;
    } else if (S_ISLNK(st.st_mode)) {
        send_entry(e, KIND_SYMLINK, "", &st, 0, p.target, p.target_len);
    } else if (S_ISREG(st.st_mode)) {
        int fd = open_export_file(p.pfd, p.leaf, &st);
        if (fd < 0) {
            xset(&x, ERR_IO, errno, WS_NAME "/%s: %s", shown(p.rel, b1), strerror(errno));
            goto fail;
        }
        send_entry(e, KIND_FILE, "", &st, (uint64_t)st.st_size, "", 0);
        if (st.st_size > 0) {
            e->file_fd = fd;
            e->file_left = (uint64_t)st.st_size;
            e->file_rel = strdup("");
        } else {
            close(fd);
        }
    } else {
        xset(&x, ERR_REJECTED, EINVAL, WS_NAME "/%s is %s, which cannot be exported", shown(p.rel, b1),
             type_word(st.st_mode));
        goto fail;
    }
    close_request_path(&p);
    return; /* the loop sends the rest (transfer_step) */
fail:
    close_request_path(&p);
    export_fail(e, &x);
}

int transfer_pending(void)
{
    for (int i = 0; i < MAX_EXPORTS; i++)
        if (exports[i].used && !exports[i].conn->lost && !conn_congested(exports[i].conn))
            return 1;
    return 0;
}

void transfer_step(void)
{
    for (int i = 0; i < MAX_EXPORTS; i++) {
        struct export *e = &exports[i];
        if (!e->used || e->conn->lost || conn_congested(e->conn))
            continue;
        struct xerr x = { 0, 0, "" };
        int r = export_work(e, XSTEP_BUDGET, &x);
        if (r < 0)
            export_fail(e, &x);
        else if (r > 0)
            export_free(e);
    }
}
