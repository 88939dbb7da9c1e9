/*
 * Host-side integration test of file transfers: runs `./pyro-agent --stdio --workspace
 * DIR` on a fresh temporary directory and drives IMPORT/EXPORT/STAT with real files:
 * seeding, merging, every safety rule, limits, conflicts, cancel, and atomicity (a
 * failing, crashing or killed import leaves the tree identical: a full listing with
 * modes, sizes, times, link targets and content checksums is compared). Exit status 0
 * only if every check passed. Removes its temporary directory. With PYRO_AGENT_NO_OPENAT2=1
 * in the environment the agent uses its fallback path walk instead of openat2(2).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol.h"
#include "testlib.h"
#include "util.h"

#define CHUNK (FRAME_MAX_PAYLOAD - 4)

static const char *agent_path;
static char root[64], ws[96], outside[96], staging[96];
static struct agent ag;
static uint32_t next_ch = 100;

/* ---- the tree as text: one line per entry, sorted ---- */

struct sb {
    char *p;
    size_t len, cap;
};

static void sb_add(struct sb *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            exit(1);
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static uint64_t fnv_file(const char *path)
{
    uint64_t h = 1469598103934665603ull;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    static unsigned char buf[65536];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < r; i++)
            h = (h ^ buf[i]) * 1099511628211ull;
    close(fd);
    return h;
}

static void walk(struct sb *b, const char *dir, const char *rel)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0)
        return;
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
            free(list[i]);
            continue;
        }
        char path[4096], r[4096], line[8192];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", name);
        struct stat st;
        if (lstat(path, &st) == 0) {
            char extra[4200] = "";
            if (S_ISREG(st.st_mode)) {
                snprintf(extra, sizeof extra, "size=%lld fnv=%016llx nlink=%lu", (long long)st.st_size,
                         (unsigned long long)fnv_file(path), (unsigned long)st.st_nlink);
            } else if (S_ISLNK(st.st_mode)) {
                char t[4096];
                ssize_t k = readlink(path, t, sizeof t - 1);
                t[k < 0 ? 0 : k] = '\0';
                snprintf(extra, sizeof extra, "-> %s", t);
            }
            snprintf(line, sizeof line, "%s mode=%o mtime=%lld.%09ld %s\n", r, (unsigned)st.st_mode,
                     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, extra);
            sb_add(b, line);
            if (S_ISDIR(st.st_mode))
                walk(b, path, r);
        }
        free(list[i]);
    }
    free(list);
}

/* The workspace as text, including the mtime of the workspace directory itself. */
static char *snapshot(void)
{
    struct sb b = { 0 };
    struct stat st;
    char line[128];
    stat(ws, &st);
    snprintf(line, sizeof line, ". mode=%o mtime=%lld.%09ld\n", (unsigned)st.st_mode, (long long)st.st_mtim.tv_sec,
             st.st_mtim.tv_nsec);
    sb_add(&b, line);
    walk(&b, ws, "");
    return b.p;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void write_host_file(const char *path, const char *content)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write_all(fd, content, strlen(content)) < 0) {
        perror(path);
        exit(1);
    }
    close(fd);
}

static char *read_host_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    struct stat st;
    fstat(fd, &st);
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = 0;
    ssize_t r;
    while (buf && (r = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
        n += (size_t)r;
    close(fd);
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* ---- frames ---- */

static void send_import(uint32_t ch, const char *dest, uint64_t max_entries, uint64_t max_bytes)
{
    struct out o = { 0 };
    o_str(&o, dest);
    o_u32(&o, 0);
    o_u64(&o, max_entries);
    o_u64(&o, max_bytes);
    agent_send(&ag, T_IMPORT, ch, &o);
    o_free(&o);
}

static void send_entry_raw(uint32_t ch, unsigned kind, const void *path, size_t plen, uint32_t mode, uint64_t mtime,
                           uint64_t size, const char *target)
{
    struct out o = { 0 };
    o_u8(&o, (uint8_t)kind);
    o_bytes(&o, path, plen);
    o_u32(&o, mode);
    o_u64(&o, mtime);
    o_u64(&o, size);
    o_str(&o, target ? target : "");
    agent_send(&ag, T_IMPORT_ENTRY, ch, &o);
    o_free(&o);
}

static void send_entry(uint32_t ch, unsigned kind, const char *path, uint32_t mode, uint64_t mtime, uint64_t size,
                       const char *target)
{
    send_entry_raw(ch, kind, path, strlen(path), mode, mtime, size, target);
}

static void send_data(uint32_t ch, const void *p, size_t n)
{
    struct out o = { 0 };
    o_bytes(&o, p, n);
    agent_send(&ag, T_IMPORT_DATA, ch, &o);
    o_free(&o);
}

static void send_file(uint32_t ch, const char *path, uint32_t mode, uint64_t mtime, const void *data, size_t n)
{
    send_entry(ch, KIND_FILE, path, mode, mtime, n, NULL);
    for (size_t off = 0; off < n; off += CHUNK)
        send_data(ch, (const char *)data + off, n - off < CHUNK ? n - off : CHUNK);
}

static void send_end(uint32_t ch)
{
    agent_send(&ag, T_IMPORT_END, ch, NULL);
}

/* The reply that ends a request on ch: IMPORT_OK, STAT_OK or ERROR (other frames of ch
 * are skipped). */
struct reply {
    int type;
    uint32_t code;
    int err;
    char msg[600];
    uint64_t a, b;
};

static struct reply wait_reply(uint32_t ch, double timeout)
{
    struct reply r = { 0 };
    struct frame f;
    double end = now_s() + timeout;
    while (now_s() < end && agent_next(&ag, &f, end - now_s())) {
        if (f.channel != ch)
            continue;
        r.type = f.type;
        if (f.type == T_ERROR) {
            r.code = (uint32_t)f.f[ERROR_CODE].u;
            r.err = f.f[ERROR_ERRNO].i;
            size_t n = f.f[ERROR_MESSAGE].b.len < sizeof r.msg - 1 ? f.f[ERROR_MESSAGE].b.len : sizeof r.msg - 1;
            memcpy(r.msg, f.f[ERROR_MESSAGE].b.ptr, n);
            r.msg[n] = '\0';
            return r;
        }
        if (f.type == T_IMPORT_OK) {
            r.a = f.f[IMPORT_OK_ENTRIES].u;
            r.b = f.f[IMPORT_OK_BYTES].u;
            return r;
        }
        if (f.type == T_STAT_OK)
            return r;
    }
    return r;
}

static int is_error(const struct reply *r, uint32_t code)
{
    return r->type == T_ERROR && r->code == code;
}

/* ---- exports ---- */

struct xentry {
    unsigned kind;
    char path[512], target[512];
    uint32_t mode;
    uint64_t mtime, size;
    char *data;
    size_t len;
};

struct xresult {
    struct xentry e[64];
    int n;
    int ended;
    uint64_t entries, bytes, skipped;
    struct reply err;
};

static void export_path(const char *path, struct xresult *x)
{
    uint32_t ch = next_ch++;
    struct out o = { 0 };
    o_str(&o, path);
    o_u32(&o, 0);
    agent_send(&ag, T_EXPORT, ch, &o);
    o_free(&o);
    memset(x, 0, sizeof *x);
    struct frame f;
    while (agent_next(&ag, &f, 30)) {
        if (f.channel != ch)
            continue;
        if (f.type == T_EXPORT_ENTRY && x->n < 64) {
            struct xentry *e = &x->e[x->n++];
            e->kind = (unsigned)f.f[ENTRY_KIND].u;
            snprintf(e->path, sizeof e->path, "%.*s", (int)f.f[ENTRY_PATH].b.len, f.f[ENTRY_PATH].b.ptr);
            snprintf(e->target, sizeof e->target, "%.*s", (int)f.f[ENTRY_TARGET].b.len, f.f[ENTRY_TARGET].b.ptr);
            e->mode = (uint32_t)f.f[ENTRY_MODE].u;
            e->mtime = f.f[ENTRY_MTIME_NS].u;
            e->size = f.f[ENTRY_SIZE].u;
            e->data = malloc(e->size + 1);
        } else if (f.type == T_EXPORT_DATA && x->n > 0) {
            struct xentry *e = &x->e[x->n - 1];
            const struct pbytes *d = &f.f[DATA_DATA].b;
            if (e->len + d->len <= e->size) {
                memcpy(e->data + e->len, d->ptr, d->len);
                e->len += d->len;
            } else {
                e->len = (size_t)-1; /* more data than announced */
            }
        } else if (f.type == T_EXPORT_END) {
            x->ended = 1;
            x->entries = f.f[EXPORT_END_ENTRIES].u;
            x->bytes = f.f[EXPORT_END_BYTES].u;
            x->skipped = f.f[EXPORT_END_SKIPPED].u;
            return;
        } else if (f.type == T_ERROR) {
            x->err.type = T_ERROR;
            x->err.code = (uint32_t)f.f[ERROR_CODE].u;
            x->err.err = f.f[ERROR_ERRNO].i;
            return;
        }
    }
}

static void xfree(struct xresult *x)
{
    for (int i = 0; i < x->n; i++)
        free(x->e[i].data);
}

static struct xentry *xfind(struct xresult *x, const char *path)
{
    for (int i = 0; i < x->n; i++)
        if (strcmp(x->e[i].path, path) == 0)
            return &x->e[i];
    return NULL;
}

static struct reply stat_path(const char *path, struct frame *out_f)
{
    uint32_t ch = next_ch++;
    struct out o = { 0 };
    o_str(&o, path);
    agent_send(&ag, T_STAT, ch, &o);
    o_free(&o);
    struct reply r = { 0 };
    struct frame f;
    while (agent_next(&ag, &f, 10)) {
        if (f.channel != ch)
            continue;
        r.type = f.type;
        if (f.type == T_ERROR) {
            r.code = (uint32_t)f.f[ERROR_CODE].u;
            r.err = f.f[ERROR_ERRNO].i;
        } else if (out_f) {
            *out_f = f;
        }
        break;
    }
    return r;
}

/* ---- helpers for the rule tests ---- */

static const uint64_t T1 = 1700000000123456789ull, T2 = 1600000000000000007ull;

static char *big_data(size_t n, unsigned seed)
{
    char *p = malloc(n);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (char)x;
    }
    return p;
}

static int staging_gone(void)
{
    return !exists(staging);
}

/* Expect the import on ch to end with ERROR(code) and leave the workspace as `before`. */
static void expect_rejected(uint32_t ch, uint32_t code, const char *before, const char *what)
{
    struct reply r = wait_reply(ch, 30);
    char *after = snapshot();
    int same = strcmp(before, after) == 0;
    check(is_error(&r, code) && same && staging_gone(), "%s: ERROR code %u (want %u), tree unchanged: %s [%s]", what,
          r.type == T_ERROR ? r.code : 0, code, same ? "yes" : "NO", r.msg);
    free(after);
}

static void start(const char *const *env, long fsize)
{
    const char *args[] = { "--workspace", ws, NULL };
    agent_start(&ag, agent_path, args, env, fsize);
    long features = agent_hello(&ag);
    if (features < 0 || !(features & FEATURE_TRANSFER)) {
        fprintf(stderr, "agent did not start with FEATURE_TRANSFER (features %ld)\n", features);
        exit(1);
    }
}

static void stop(void)
{
    check(agent_shutdown(&ag), "agent shut down cleanly");
    agent_close(&ag);
}

/* An import that, applied, replaces 12 files and creates 12 files and a tree, in two
 * directories: for the atomicity tests (steps: 12*2 + 12 + 1 = 37 renames). */
static void send_sync_push(uint32_t ch)
{
    send_import(ch, "/workspace/sync", 0, 0);
    char path[64], content[64];
    for (int i = 0; i < 12; i++) {
        snprintf(path, sizeof path, "%s/f%02d", i % 2 ? "a" : "b", i);
        snprintf(content, sizeof content, "new content %d", i);
        send_file(ch, path, 0640, T2, content, strlen(content));
    }
    for (int i = 0; i < 12; i++) {
        snprintf(path, sizeof path, "%s/n%02d", i % 2 ? "a" : "b", i);
        send_file(ch, path, 0600, T2, "created", 7);
    }
    send_file(ch, "newtree/x/y/z", 0644, T2, "deep", 4);
    send_end(ch);
}

static void make_sync_base(void)
{
    char path[256], content[64];
    snprintf(path, sizeof path, "%s/sync", ws);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/sync/a", ws);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/sync/b", ws);
    mkdir(path, 0711);
    for (int i = 0; i < 12; i++) {
        snprintf(path, sizeof path, "%s/sync/%s/f%02d", ws, i % 2 ? "a" : "b", i);
        snprintf(content, sizeof content, "old content %d", i);
        write_host_file(path, content);
    }
    snprintf(path, sizeof path, "%s/sync/keep", ws);
    write_host_file(path, "untouched");
    /* Old, distinct times, so a rollback that forgot one would show. */
    struct timespec ts[2] = { { 1500000000, 5 }, { 1500000000, 5 } };
    const char *dirs[] = { "sync/a", "sync/b", "sync", "" };
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", ws, dirs[i]);
        utimensat(AT_FDCWD, path, ts, 0);
    }
}

/* ---- the tests ---- */

static void test_seed(void)
{
    uint32_t ch = next_ch++;
    size_t big_n = 5u * 1024 * 1024 + 3;
    char *big = big_data(big_n, 1);
    send_import(ch, "/workspace", 0, 0);
    send_entry(ch, KIND_DIR, "src", 0750, T1, 0, NULL);
    send_file(ch, "src/main.c", 0644, T1, "int main(void) { return 0; }\n", 29);
    send_file(ch, "src/run.sh", 04755, T2, "#!/bin/sh\n", 10); /* setuid: stripped */
    send_file(ch, "big.bin", 0600, T1, big, big_n);
    send_file(ch, "empty", 0644, T2, "", 0);
    send_entry(ch, KIND_SYMLINK, "src/link", 0, T2, 0, "main.c");
    send_entry(ch, KIND_SYMLINK, "src/up", 0, T2, 0, "../big.bin");
    send_entry(ch, KIND_SYMLINK, "top", 0, T2, 0, "src/main.c");
    send_entry(ch, KIND_HARDLINK, "src/hard", 0, 0, 0, "src/main.c");
    send_file(ch, "deep/a/b/c/d.txt", 0644, T1, "deep\n", 5); /* parents implicit */
    send_file(ch, "ro/x", 0444, T1, "x", 1);
    send_entry(ch, KIND_DIR, "ro", 0555, T2, 0, NULL); /* after its content */
    send_entry(ch, KIND_DIR, "emptydir", 01777, T1, 0, NULL); /* sticky: stripped */
    send_end(ch);
    struct reply r = wait_reply(ch, 60);
    uint64_t bytes = 29 + 10 + big_n + 5 + 1;
    check(r.type == T_IMPORT_OK && r.a == 13 && r.b == bytes, "seed import: IMPORT_OK entries=%llu bytes=%llu [%s]",
          (unsigned long long)r.a, (unsigned long long)r.b, r.msg);

    char p[256];
    struct stat st, st2;
    size_t n;
    snprintf(p, sizeof p, "%s/big.bin", ws);
    char *got = read_host_file(p, &n);
    check(got && n == big_n && memcmp(got, big, n) == 0 && stat(p, &st) == 0 && (st.st_mode & 07777) == 0600 &&
              st.st_mtim.tv_sec == (time_t)(T1 / 1000000000u) && st.st_mtim.tv_nsec == (long)(T1 % 1000000000u),
          "5 MiB file: content, mode 0600 and mtime (ns) as sent");
    free(got);
    free(big);
    snprintf(p, sizeof p, "%s/src", ws);
    check(stat(p, &st) == 0 && (st.st_mode & 07777) == 0750 && st.st_mtim.tv_sec == (time_t)(T1 / 1000000000u),
          "directory mode 0750 and mtime as sent (set after its content)");
    snprintf(p, sizeof p, "%s/src/run.sh", ws);
    check(stat(p, &st) == 0 && (st.st_mode & 07777) == 0755, "setuid bit stripped (mode %o)", st.st_mode & 07777);
    snprintf(p, sizeof p, "%s/emptydir", ws);
    check(stat(p, &st) == 0 && (st.st_mode & 07777) == 0777, "sticky bit stripped (mode %o)", st.st_mode & 07777);
    char t[256];
    snprintf(p, sizeof p, "%s/src/up", ws);
    ssize_t k = readlink(p, t, sizeof t - 1);
    t[k < 0 ? 0 : k] = '\0';
    check(strcmp(t, "../big.bin") == 0 && lstat(p, &st) == 0 && st.st_mtim.tv_sec == (time_t)(T2 / 1000000000u),
          "symlink target and symlink mtime as sent");
    snprintf(p, sizeof p, "%s/src/hard", ws);
    char p2[256];
    snprintf(p2, sizeof p2, "%s/src/main.c", ws);
    check(stat(p, &st) == 0 && stat(p2, &st2) == 0 && st.st_ino == st2.st_ino && st.st_nlink == 2,
          "hardlink shares the inode of its target");
    snprintf(p, sizeof p, "%s/deep/a/b", ws);
    check(stat(p, &st) == 0 && (st.st_mode & 07777) == 0755, "implicit parent directories are 0755");
    snprintf(p, sizeof p, "%s/ro", ws);
    snprintf(p2, sizeof p2, "%s/ro/x", ws);
    check(stat(p, &st) == 0 && (st.st_mode & 07777) == 0555 && exists(p2),
          "directory entry after its content gets its mode (0555) and keeps the content");
    snprintf(p, sizeof p, "%s/empty", ws);
    check(stat(p, &st) == 0 && st.st_size == 0, "empty file");
    check(staging_gone(), "staging directory removed after the import");
}

static void test_stat(void)
{
    struct frame f;
    struct reply r = stat_path("/workspace/src/main.c", &f);
    check(r.type == T_STAT_OK && f.f[STAT_OK_KIND].u == KIND_FILE && f.f[STAT_OK_SIZE].u == 29 &&
              f.f[STAT_OK_MTIME_NS].u == T1 && f.f[STAT_OK_MODE].u == 0644,
          "STAT of a file: kind, size, mtime, mode");
    r = stat_path("/workspace/src/link", &f);
    check(r.type == T_STAT_OK && f.f[STAT_OK_KIND].u == KIND_SYMLINK && f.f[STAT_OK_TARGET].b.len == 6 &&
              memcmp(f.f[STAT_OK_TARGET].b.ptr, "main.c", 6) == 0,
          "STAT of a symlink: not followed, target given");
    r = stat_path("/workspace", &f);
    check(r.type == T_STAT_OK && f.f[STAT_OK_KIND].u == KIND_DIR, "STAT of /workspace: a directory");
    r = stat_path("/workspace/nope", NULL);
    check(is_error(&r, ERR_NOT_FOUND) && r.err == ENOENT, "STAT of a missing path: ERROR(NOT_FOUND, ENOENT)");
    r = stat_path("/workspace/empty/x", NULL);
    check(is_error(&r, ERR_NOT_FOUND) && r.err == ENOTDIR, "STAT below a file: ERROR(NOT_FOUND, ENOTDIR)");
    r = stat_path("/etc/passwd", NULL);
    check(is_error(&r, ERR_BAD_PATH), "STAT outside /workspace: ERROR(BAD_PATH)");
    r = stat_path("/workspace/../etc", NULL);
    check(is_error(&r, ERR_BAD_PATH), "STAT of /workspace/../etc: ERROR(BAD_PATH)");
    r = stat_path("/workspace/", NULL);
    check(is_error(&r, ERR_BAD_PATH), "STAT of /workspace/ (trailing slash): ERROR(BAD_PATH)");
}

static void test_export(void)
{
    struct xresult x;
    char p[256];
    snprintf(p, sizeof p, "%s/src/fifo", ws);
    mkfifo(p, 0644);
    char src[256];
    struct timespec ts[2] = { { 0, UTIME_OMIT }, { (time_t)(T1 / 1000000000u), (long)(T1 % 1000000000u) } };
    snprintf(src, sizeof src, "%s/src", ws);
    utimensat(AT_FDCWD, src, ts, 0); /* the fifo changed it */
    export_path("/workspace/src", &x);
    struct xentry *root = x.n ? &x.e[0] : NULL, *hard = xfind(&x, "hard"), *mainc = xfind(&x, "main.c"),
                  *link = xfind(&x, "link");
    check(x.ended && root && root->kind == KIND_DIR && root->path[0] == '\0' && root->mode == 0750 &&
              root->mtime == T1,
          "EXPORT of a directory: root entry first (kind directory, path \"\", mode, mtime)");
    check(hard && hard->kind == KIND_FILE && hard->len == 29 && memcmp(hard->data, "int main", 8) == 0 && mainc &&
              mainc->kind == KIND_HARDLINK && strcmp(mainc->target, "hard") == 0,
          "EXPORT: a file with two links is sent once, the second path as a hardlink to the first");
    check(link && link->kind == KIND_SYMLINK && strcmp(link->target, "main.c") == 0, "EXPORT: symlink as a symlink");
    check(x.ended && x.skipped == 1 && !xfind(&x, "fifo") && x.entries == (uint64_t)x.n && x.bytes == 29 + 10,
          "EXPORT_END: entries %llu, bytes %llu, 1 fifo skipped", (unsigned long long)x.entries,
          (unsigned long long)x.bytes);
    int sorted = 1;
    for (int i = 2; i < x.n; i++)
        sorted &= strcmp(x.e[i - 1].path, x.e[i].path) < 0;
    check(sorted, "EXPORT: entries in sorted order");
    xfree(&x);
    unlink(p);

    size_t n;
    snprintf(p, sizeof p, "%s/big.bin", ws);
    char *big = read_host_file(p, &n);
    export_path("/workspace/big.bin", &x);
    check(x.ended && x.n == 1 && x.e[0].kind == KIND_FILE && x.e[0].size == n && x.e[0].len == n &&
              memcmp(x.e[0].data, big, n) == 0 && x.bytes == n,
          "EXPORT of a 5 MiB file: one file entry, content byte-exact");
    free(big);
    xfree(&x);
    export_path("/workspace/top", &x);
    check(x.ended && x.n == 1 && x.e[0].kind == KIND_SYMLINK && strcmp(x.e[0].target, "src/main.c") == 0,
          "EXPORT of a symlink: the symlink itself");
    xfree(&x);
    export_path("/workspace/deep", &x);
    check(x.ended && x.n == 5 && strcmp(x.e[4].path, "a/b/c/d.txt") == 0, "EXPORT of a nested tree: every level");
    xfree(&x);
    export_path("/workspace/missing", &x);
    check(x.err.type == T_ERROR && x.err.code == ERR_NOT_FOUND && x.err.err == ENOENT && x.n == 0,
          "EXPORT of a missing path: ERROR(NOT_FOUND, ENOENT)");
    snprintf(p, sizeof p, "%s/fifo", ws);
    mkfifo(p, 0644);
    export_path("/workspace/fifo", &x);
    check(x.err.type == T_ERROR && x.err.code == ERR_REJECTED, "EXPORT of a fifo: ERROR(REJECTED)");
    unlink(p);
    export_path("/tmp", &x);
    check(x.err.type == T_ERROR && x.err.code == ERR_BAD_PATH, "EXPORT outside /workspace: ERROR(BAD_PATH)");
    /* A symlink on the way that stays in the workspace is followed (openat2); the
     * fallback walk without openat2 refuses every symlink on the way. */
    snprintf(p, sizeof p, "%s/srclink", ws);
    symlink("src", p);
    export_path("/workspace/srclink/main.c", &x);
    if (getenv("PYRO_AGENT_NO_OPENAT2"))
        check(x.err.type == T_ERROR && x.err.code == ERR_BAD_PATH,
              "(no openat2) EXPORT through an in-workspace symlink: refused, ERROR(BAD_PATH)");
    else
        check(x.ended && x.n == 1 && x.e[0].kind == KIND_FILE && x.e[0].len == 29,
              "EXPORT through a symlink that stays in /workspace: followed");
    xfree(&x);
    unlink(p);
    /* A symlink on the way that leaves the workspace. */
    snprintf(p, sizeof p, "%s/escape", ws);
    symlink(outside, p);
    export_path("/workspace/escape/secret", &x);
    check(x.err.type == T_ERROR && x.err.code == ERR_BAD_PATH, "EXPORT through a symlink that leaves /workspace: "
                                                               "ERROR(BAD_PATH)");
    unlink(p);
}

static void test_merge(void)
{
    uint32_t ch = next_ch++;
    send_import(ch, "/workspace/src", 0, 0);
    send_file(ch, "main.c", 0600, T2, "replaced\n", 9);
    send_file(ch, "new.txt", 0644, T2, "new\n", 4);
    send_file(ch, "lib/util.c", 0644, T2, "util\n", 5);
    send_entry(ch, KIND_DIR, "src-sub", 0700, T2, 0, NULL);
    send_end(ch);
    struct reply r = wait_reply(ch, 30);
    check(r.type == T_IMPORT_OK && r.a == 4 && r.b == 18, "sync push into an existing directory: IMPORT_OK [%s]",
          r.msg);
    char p[256];
    size_t n;
    snprintf(p, sizeof p, "%s/src/main.c", ws);
    char *a = read_host_file(p, &n);
    snprintf(p, sizeof p, "%s/src/hard", ws);
    char *b = read_host_file(p, NULL);
    snprintf(p, sizeof p, "%s/src/run.sh", ws);
    check(a && strcmp(a, "replaced\n") == 0 && b && strncmp(b, "int main", 8) == 0 && exists(p),
          "replaced file has the new content; its old hardlink and untouched files remain");
    free(a);
    free(b);
    snprintf(p, sizeof p, "%s/src/lib/util.c", ws);
    check(exists(p), "new subdirectory created");
}

static void test_rules(void)
{
    char *before = snapshot();
    char p[256];
    struct {
        const char *what, *path;
        unsigned kind;
        uint32_t mode;
        const char *target;
        uint64_t size;
    } cases[] = {
        { "'..' component", "../evil", KIND_FILE, 0644, NULL, 0 },
        { "'..' inside", "a/../../evil", KIND_FILE, 0644, NULL, 0 },
        { "absolute path", "/etc/passwd", KIND_FILE, 0644, NULL, 0 },
        { "'.' component", "a/./b", KIND_FILE, 0644, NULL, 0 },
        { "empty component", "a//b", KIND_FILE, 0644, NULL, 0 },
        { "trailing slash", "a/", KIND_DIR, 0755, NULL, 0 },
        { "empty path", "", KIND_FILE, 0644, NULL, 0 },
        { "symlink escaping with ..", "x", KIND_SYMLINK, 0, "../outside", 0 },
        { "symlink escaping from depth 2", "d/x", KIND_SYMLINK, 0, "../../outside", 0 },
        { "absolute symlink target", "d/abs", KIND_SYMLINK, 0, "/etc", 0 },
        { "'..' after a name in a target", "d/y", KIND_SYMLINK, 0, "z/../../..", 0 },
        { "empty symlink target", "d/e", KIND_SYMLINK, 0, "", 0 },
        { "kind 0", "k0", 0, 0644, NULL, 0 },
        { "kind 5 (a device cannot be expressed)", "dev", 5, 0644, NULL, 0 },
        { "kind 200", "k200", 200, 0644, NULL, 0 },
        { "mode with file-type bits (char device)", "chr", KIND_FILE, 020644, NULL, 0 },
        { "hardlink to a missing file", "h", KIND_HARDLINK, 0, "nope", 0 },
        { "hardlink to a workspace file not in the import", "h", KIND_HARDLINK, 0, "big.bin", 0 },
        { "hardlink target with '..'", "h", KIND_HARDLINK, 0, "../big.bin", 0 },
        { "size on a directory", "dd", KIND_DIR, 0755, NULL, 10 },
        { "target on a file", "ff", KIND_FILE, 0644, "x", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t ch = next_ch++;
        send_import(ch, "/workspace", 0, 0);
        send_file(ch, "fine.txt", 0644, T1, "ok", 2); /* a good entry first: it must not land */
        send_entry(ch, cases[i].kind, cases[i].path, cases[i].mode, T1, cases[i].size, cases[i].target);
        send_end(ch);
        snprintf(p, sizeof p, "rejects %s (\"%s\")", cases[i].what, cases[i].path);
        expect_rejected(ch, ERR_REJECTED, before, p);
    }
    uint32_t ch = next_ch++;
    send_import(ch, "/workspace", 0, 0);
    send_entry_raw(ch, KIND_FILE, "a\0b", 3, 0644, T1, 0, NULL);
    send_end(ch);
    expect_rejected(ch, ERR_REJECTED, before, "rejects a NUL byte in a path");

    /* Writing through a symlink the import itself made. */
    ch = next_ch++;
    send_import(ch, "/workspace", 0, 0);
    send_entry(ch, KIND_DIR, "realdir", 0755, T1, 0, NULL);
    send_entry(ch, KIND_SYMLINK, "l", 0, T1, 0, "realdir");
    send_file(ch, "l/pwned", 0644, T1, "x", 1);
    send_end(ch);
    expect_rejected(ch, ERR_REJECTED, before, "rejects writing through a symlink of the import");

    /* Writing through a symlink that exists in the workspace and leads outside. */
    snprintf(p, sizeof p, "%s/evil", ws);
    symlink(outside, p);
    free(before);
    before = snapshot();
    ch = next_ch++;
    send_import(ch, "/workspace", 0, 0);
    send_file(ch, "evil/pwned", 0644, T1, "x", 1);
    send_end(ch);
    expect_rejected(ch, ERR_CONFLICT, before, "an entry below an existing workspace symlink: CONFLICT");
    snprintf(p, sizeof p, "%s/pwned", outside);
    check(!exists(p), "nothing was written through the workspace symlink");
    ch = next_ch++;
    send_import(ch, "/workspace/evil/sub", 0, 0);
    send_file(ch, "pwned", 0644, T1, "x", 1);
    send_end(ch);
    expect_rejected(ch, ERR_CONFLICT, before, "a destination through a workspace symlink: CONFLICT");
    check(!exists(p), "nothing was written through the symlinked destination");
    snprintf(p, sizeof p, "%s/evil", ws);
    unlink(p);
    free(before);
    before = snapshot();

    const char *bad_dest[] = { "/etc", "/workspace/../etc", "/workspacex", "workspace", "/workspace/", "/workspace/a/./b",
                               "" };
    for (size_t i = 0; i < sizeof bad_dest / sizeof bad_dest[0]; i++) {
        ch = next_ch++;
        send_import(ch, bad_dest[i], 0, 0);
        send_file(ch, "x", 0644, T1, "x", 1);
        send_end(ch);
        snprintf(p, sizeof p, "destination \"%s\": BAD_PATH (later frames of the channel ignored)", bad_dest[i]);
        expect_rejected(ch, ERR_BAD_PATH, before, p);
    }

    ch = next_ch++;
    send_import(ch, "/workspace", 0, 0);
    send_file(ch, "dup", 0644, T1, "1", 1);
    send_file(ch, "dup", 0644, T1, "2", 1);
    send_end(ch);
    expect_rejected(ch, ERR_REJECTED, before, "rejects a duplicate path");

    /* Limits. */
    ch = next_ch++;
    send_import(ch, "/workspace", 3, 0);
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "n%d", i);
        send_file(ch, p, 0644, T1, "x", 1);
    }
    send_end(ch);
    expect_rejected(ch, ERR_LIMIT, before, "max_entries 3, 4 entries: LIMIT");
    ch = next_ch++;
    send_import(ch, "/workspace", 0, 100);
    send_entry(ch, KIND_FILE, "big", 0644, T1, 101, NULL); /* refused before any data */
    send_end(ch);
    expect_rejected(ch, ERR_LIMIT, before, "max_bytes 100, a 101-byte file: LIMIT");
    ch = next_ch++;
    send_import(ch, "/workspace", 0, 100);
    send_file(ch, "f1", 0644, T1, "0123456789012345678901234567890123456789012345678901234567890", 61);
    send_file(ch, "f2", 0644, T1, "0123456789012345678901234567890123456789", 40);
    send_end(ch);
    expect_rejected(ch, ERR_LIMIT, before, "max_bytes 100, 61 + 40 bytes: LIMIT");
    /* Directories that paths imply count toward max_entries (as the host counts them). */
    ch = next_ch++;
    send_import(ch, "/workspace", 3, 0);
    send_file(ch, "i1/i2/i3/f", 0644, T1, "x", 1); /* four paths */
    send_end(ch);
    expect_rejected(ch, ERR_LIMIT, before, "max_entries 3, one file three directories deep: LIMIT");
    ch = next_ch++;
    send_import(ch, "/workspace/limits-ok", 3, 0);
    send_file(ch, "d/f", 0644, T1, "x", 1);
    send_entry(ch, KIND_DIR, "d", 0755, T1, 0, NULL); /* named after it was implied: not counted again */
    send_file(ch, "d/g", 0644, T1, "x", 1);
    send_end(ch);
    struct reply ok = wait_reply(ch, 30);
    check(ok.type == T_IMPORT_OK && ok.a == 3, "max_entries 3: d/f, d, d/g are three paths (IMPORT_OK, %llu entries) %s",
          (unsigned long long)ok.a, ok.msg);
    snprintf(p, sizeof p, "%s/limits-ok/d/g", ws);
    check(exists(p), "the import within the limit landed");
    snprintf(p, sizeof p, "rm -rf %s/limits-ok", ws);
    check(system(p) == 0, "removed limits-ok");
    free(before);
    before = snapshot(); /* the workspace directory's time changed */
    /* The paths of one import take at most 64 MiB together: 15 directories of 255 bytes, then
     * thousands of files in the deepest (about 3,850 bytes each). */
    {
        static char longdir[4096];
        size_t n = 0;
        for (int i = 0; i < 15; i++) {
            if (i)
                longdir[n++] = '/';
            memset(longdir + n, 'a' + i, 255);
            n += 255;
        }
        longdir[n] = '\0';
        ch = next_ch++;
        send_import(ch, "/workspace", 0, 0);
        static char entry[4200];
        for (int i = 0; i < 18000; i++) {
            snprintf(entry, sizeof entry, "%s/f%05d", longdir, i);
            send_entry(ch, KIND_FILE, entry, 0644, T1, 0, NULL);
        }
        send_end(ch);
        expect_rejected(ch, ERR_LIMIT, before, "18,000 paths of 3,850 bytes: more than 64 MiB of paths: LIMIT");
    }
    /* More than 256 components. */
    {
        static char deep[1200];
        size_t n = 0;
        for (int i = 0; i < 257; i++)
            n += (size_t)snprintf(deep + n, sizeof deep - n, i ? "/d" : "d");
        ch = next_ch++;
        send_import(ch, "/workspace", 0, 0);
        send_file(ch, deep, 0644, T1, "x", 1);
        send_end(ch);
        expect_rejected(ch, ERR_REJECTED, before, "a path of 257 components: REJECTED");
    }
    /* A file larger than the disk's free space fails at its header (ERROR LIMIT, ENOSPC). */
    {
        struct statvfs vfs;
        check(statvfs(ws, &vfs) == 0, "statvfs of the workspace");
        uint64_t too_big = (uint64_t)vfs.f_bavail * vfs.f_frsize + (1ull << 30);
        ch = next_ch++;
        send_import(ch, "/workspace", 0, 0);
        send_entry(ch, KIND_FILE, "huge", 0644, T1, too_big, NULL);
        send_end(ch); /* never reached: the entry is refused before its data */
        struct reply r = wait_reply(ch, 30);
        char *after = snapshot();
        check(is_error(&r, ERR_LIMIT) && r.err == ENOSPC && strcmp(before, after) == 0 && staging_gone(),
              "a file of %llu bytes, more than the disk has free: LIMIT/ENOSPC at its header [%s]",
              (unsigned long long)too_big, r.msg);
        free(after);
    }

    /* Conflicts (found before anything is renamed). */
    ch = next_ch++;
    send_import(ch, "/workspace", 0, 0);
    for (int i = 0; i < 30; i++) {
        snprintf(p, sizeof p, "many/f%d", i);
        send_file(ch, p, 0644, T1, "x", 1);
    }
    send_file(ch, "big.bin/inner", 0644, T1, "x", 1); /* big.bin is a file */
    send_end(ch);
    expect_rejected(ch, ERR_CONFLICT, before, "a directory where the workspace has a file: CONFLICT, nothing applied");
    ch = next_ch++;
    send_import(ch, "/workspace", 0, 0);
    send_file(ch, "zzz-new", 0644, T1, "x", 1);
    send_file(ch, "src", 0644, T1, "x", 1); /* src is a directory */
    send_end(ch);
    expect_rejected(ch, ERR_CONFLICT, before, "a file where the workspace has a directory: CONFLICT");
    ch = next_ch++;
    send_import(ch, "/workspace/big.bin/sub", 0, 0);
    send_end(ch);
    expect_rejected(ch, ERR_CONFLICT, before, "destination below a file: CONFLICT at IMPORT");

    /* Sequence errors. */
    ch = next_ch++;
    send_import(ch, "/workspace", 0, 0);
    send_entry(ch, KIND_FILE, "short", 0644, T1, 3, NULL);
    send_data(ch, "abcd", 4);
    send_end(ch);
    expect_rejected(ch, ERR_BAD_FRAME, before, "IMPORT_DATA beyond the announced size: BAD_FRAME");
    ch = next_ch++;
    send_import(ch, "/workspace", 0, 0);
    send_entry(ch, KIND_FILE, "short", 0644, T1, 3, NULL);
    send_data(ch, "ab", 2);
    send_end(ch);
    expect_rejected(ch, ERR_BAD_FRAME, before, "IMPORT_END before all data: BAD_FRAME");
    ch = next_ch++;
    send_import(ch, "/workspace", 0, 0);
    send_entry(ch, KIND_FILE, "short", 0644, T1, 3, NULL);
    send_entry(ch, KIND_FILE, "other", 0644, T1, 0, NULL);
    send_end(ch);
    expect_rejected(ch, ERR_BAD_FRAME, before, "IMPORT_ENTRY before all data of the previous file: BAD_FRAME");

    /* Cancel in the middle of a file. */
    ch = next_ch++;
    send_import(ch, "/workspace", 0, 0);
    send_file(ch, "c1", 0644, T1, "x", 1);
    send_entry(ch, KIND_FILE, "c2", 0644, T1, 1000, NULL);
    send_data(ch, "abc", 3);
    agent_send(&ag, T_CANCEL, ch, NULL);
    struct reply r = wait_reply(ch, 10);
    char *after = snapshot();
    check(is_error(&r, ERR_CANCELLED) && r.err == ECANCELED && strcmp(before, after) == 0 && staging_gone(),
          "CANCEL: ERROR(CANCELLED, ECANCELED), tree unchanged, staging removed");
    free(after);
    /* Frames still in flight for the ended import are ignored; the session goes on. */
    send_data(ch, "def", 3);
    send_end(ch);
    struct out o = { 0 };
    o_str(&o, "after");
    agent_send(&ag, T_PING, 0, &o);
    o_free(&o);
    struct frame f;
    check(agent_next(&ag, &f, 10) && f.type == T_PONG, "frames of an ended import are ignored (next frame is PONG)");
    free(before);
}

static void test_concurrent(void)
{
    /* Two imports interleaved on two channels, and a command in between. */
    uint32_t a = next_ch++, b = next_ch++, e = next_ch++;
    send_import(a, "/workspace/cc/one", 0, 0);
    send_import(b, "/workspace/cc/two", 0, 0);
    char *d1 = big_data(3 * CHUNK, 7), *d2 = big_data(2 * CHUNK + 5, 8);
    send_entry(a, KIND_FILE, "f", 0644, T1, 3 * CHUNK, NULL);
    send_entry(b, KIND_FILE, "g", 0644, T1, 2 * CHUNK + 5, NULL);
    struct out o = { 0 };
    o_u32(&o, 0);
    o_u32(&o, 0);
    o_str(&o, "");
    o_u32(&o, 2);
    o_str(&o, "echo");
    o_str(&o, "hi");
    o_u32(&o, 0);
    agent_send(&ag, T_EXEC, e, &o);
    o_free(&o);
    for (int i = 0; i < 3; i++) {
        send_data(a, d1 + (size_t)i * CHUNK, CHUNK);
        if (i < 2)
            send_data(b, d2 + (size_t)i * CHUNK, CHUNK);
    }
    send_data(b, d2 + 2 * CHUNK, 5);
    send_end(b);
    send_end(a);
    struct reply rb = wait_reply(b, 30), ra = wait_reply(a, 30);
    char p[256];
    size_t n1 = 0, n2 = 0;
    snprintf(p, sizeof p, "%s/cc/one/f", ws);
    char *g1 = read_host_file(p, &n1);
    snprintf(p, sizeof p, "%s/cc/two/g", ws);
    char *g2 = read_host_file(p, &n2);
    check(ra.type == T_IMPORT_OK && rb.type == T_IMPORT_OK && g1 && n1 == 3 * CHUNK && memcmp(g1, d1, n1) == 0 && g2 &&
              n2 == 2 * CHUNK + 5 && memcmp(g2, d2, n2) == 0,
          "two interleaved imports on two channels (with an EXEC in between) both land intact");
    free(g1);
    free(g2);
    free(d1);
    free(d2);
    /* The EXEC's frames were skipped by wait_reply; its channel is free again later. */
}

/* More directories, renames, levels and hardlinks than the agent's lists hold at first
 * (they grow): an import of 70 directories into an existing directory, an export 20
 * levels deep and one of 20 files with a hardlink each. */
static void test_many(void)
{
    char chain[128] = "", p[256], name[16];
    uint32_t ch = next_ch++;
    send_import(ch, "/workspace/many", 0, 0);
    for (int i = 1; i <= 20; i++)
        snprintf(chain + strlen(chain), sizeof chain - strlen(chain), "%s%d", i > 1 ? "/" : "", i);
    snprintf(p, sizeof p, "deep/%s/leaf", chain);
    send_file(ch, p, 0644, T1, "leaf\n", 5);
    for (int i = 0; i < 20; i++) {
        snprintf(p, sizeof p, "links/f%02d", i);
        send_file(ch, p, 0644, T1, p, strlen(p));
    }
    for (int i = 0; i < 20; i++) {
        snprintf(p, sizeof p, "links/h%02d", i);
        snprintf(name, sizeof name, "links/f%02d", i);
        send_entry(ch, KIND_HARDLINK, p, 0, 0, 0, name);
    }
    send_end(ch);
    struct reply r = wait_reply(ch, 30);
    check(r.type == T_IMPORT_OK && r.a == 41, "import of a chain 20 deep and 20 hardlinked files: IMPORT_OK [%s]", r.msg);

    ch = next_ch++;
    send_import(ch, "/workspace/many", 0, 0);
    for (int i = 0; i < 70; i++) {
        snprintf(name, sizeof name, "d%02d", i);
        send_entry(ch, KIND_DIR, name, 0750, T2, 0, NULL);
    }
    send_end(ch);
    r = wait_reply(ch, 30);
    int dirs = 0;
    for (int i = 0; i < 70; i++) {
        struct stat st;
        snprintf(p, sizeof p, "%s/many/d%02d", ws, i);
        dirs += lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750 &&
                st.st_mtim.tv_sec == (time_t)(T2 / 1000000000u);
    }
    check(r.type == T_IMPORT_OK && r.a == 70 && dirs == 70,
          "70 directories merged into an existing one: IMPORT_OK, all 70 with their mode and time [%s]", r.msg);

    struct xresult x;
    export_path("/workspace/many/deep", &x);
    snprintf(p, sizeof p, "%s/leaf", chain);
    struct xentry *leaf = xfind(&x, p);
    check(x.ended && x.entries == 22 && leaf && leaf->kind == KIND_FILE && leaf->len == 5 &&
              memcmp(leaf->data, "leaf\n", 5) == 0,
          "EXPORT of a tree 21 levels deep: every level and the leaf");
    xfree(&x);
    export_path("/workspace/many/links", &x);
    int links = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(p, sizeof p, "h%02d", i);
        snprintf(name, sizeof name, "f%02d", i);
        struct xentry *h = xfind(&x, p), *f = xfind(&x, name);
        links += h && h->kind == KIND_HARDLINK && strcmp(h->target, name) == 0 && f && f->kind == KIND_FILE;
    }
    check(x.ended && x.entries == 41 && links == 20, "EXPORT of 20 files with a hardlink each: 20 HARDLINK entries");
    xfree(&x);
}

/* IMPORT, EXPORT or STAT of `path` on ch (flags: IMPORT and EXPORT only), for requests
 * that are answered at once; the reply. */
static struct reply request(uint8_t type, uint32_t ch, const char *path, uint32_t flags)
{
    struct out o = { 0 };
    o_str(&o, path);
    if (type != T_STAT)
        o_u32(&o, flags);
    if (type == T_IMPORT) {
        o_u64(&o, 0);
        o_u64(&o, 0);
    }
    agent_send(&ag, type, ch, &o);
    o_free(&o);
    return wait_reply(ch, 10);
}

static void expect_refused(const struct reply *r, uint32_t code, const char *msg, const char *what)
{
    check(is_error(r, code) && strcmp(r->msg, msg) == 0, "%s: ERROR code %u (want %u) \"%s\"", what,
          r->type == T_ERROR ? r->code : 0, code, r->msg);
}

/* IMPORT, EXPORT and STAT on a channel `holder` holds: each refused, BUSY. */
static void expect_channel_busy(uint32_t ch, const char *holder)
{
    static const uint8_t types[] = { T_IMPORT, T_EXPORT, T_STAT };
    char busy[64], what[96];
    snprintf(busy, sizeof busy, "channel %u is in use", ch);
    for (size_t i = 0; i < sizeof types; i++) {
        struct reply r = request(types[i], ch, "/workspace", 0);
        snprintf(what, sizeof what, "%s on a channel %s holds", frame_def_find(types[i])->name, holder);
        expect_refused(&r, ERR_BUSY, busy, what);
    }
}

/* What every request is checked for before it starts: its channel, its flags. */
static void test_request_checks(void)
{
    char *before = snapshot();
    struct reply r = request(T_IMPORT, 0, "/workspace", 0);
    expect_refused(&r, ERR_BAD_FRAME, "IMPORT on the control channel 0", "IMPORT on channel 0");
    r = request(T_EXPORT, 0, "/workspace", 0);
    expect_refused(&r, ERR_BAD_FRAME, "EXPORT on the control channel 0", "EXPORT on channel 0");
    r = request(T_STAT, 0, "/workspace", 0);
    check(r.type == T_STAT_OK, "STAT on channel 0 is answered");
    r = request(T_IMPORT, next_ch++, "/workspace", 1);
    expect_refused(&r, ERR_UNSUPPORTED, "unknown IMPORT flags 0x1", "IMPORT with an unknown flag");
    r = request(T_EXPORT, next_ch++, "/workspace", 0x80);
    expect_refused(&r, ERR_UNSUPPORTED, "unknown EXPORT flags 0x80", "EXPORT with an unknown flag");

    /* A channel an import holds takes no other request, and the import goes on. */
    uint32_t ch = next_ch++;
    send_import(ch, "/workspace", 0, 0);
    expect_channel_busy(ch, "an import");
    send_end(ch);
    r = wait_reply(ch, 30);
    char *after = snapshot();
    check(r.type == T_IMPORT_OK && r.a == 0 && strcmp(before, after) == 0,
          "the (empty) import on that channel still applies, changing nothing");
    free(after);

    /* A channel a command holds takes no transfer. */
    ch = next_ch++;
    struct out o = { 0 };
    o_u32(&o, EXEC_FLAG_STDIN);
    o_u32(&o, 0);
    o_str(&o, "");
    o_u32(&o, 1);
    o_str(&o, "cat");
    o_u32(&o, 0);
    agent_send(&ag, T_EXEC, ch, &o);
    expect_channel_busy(ch, "a command");
    o.len = 0;
    o_bytes(&o, "", 0);
    agent_send(&ag, T_STDIN, ch, &o); /* EOF: cat exits */
    o_free(&o);
    struct frame f;
    int exited = 0;
    while (!exited && agent_next(&ag, &f, 10))
        exited = f.channel == ch && f.type == T_EXIT;
    check(exited, "the command on that channel still runs to its end");
    free(before);
}

/* An agent without a workspace refuses transfers (after the channel checks). */
static void test_no_workspace(void)
{
    agent_start(&ag, agent_path, NULL, NULL, 0);
    long features = agent_hello(&ag);
    check(features >= 0 && !(features & FEATURE_TRANSFER), "without --workspace: no FEATURE_TRANSFER");
    const char *no = "no workspace: file transfers are unavailable";
    struct reply r = request(T_IMPORT, next_ch++, "/workspace", 0);
    expect_refused(&r, ERR_UNSUPPORTED, no, "IMPORT without a workspace");
    r = request(T_EXPORT, next_ch++, "/workspace", 0);
    expect_refused(&r, ERR_UNSUPPORTED, no, "EXPORT without a workspace");
    r = request(T_STAT, 0, "/workspace", 0);
    expect_refused(&r, ERR_UNSUPPORTED, no, "STAT without a workspace");
    r = request(T_IMPORT, 0, "/workspace", 1);
    expect_refused(&r, ERR_BAD_FRAME, "IMPORT on the control channel 0", "IMPORT on channel 0 without a workspace");
    stop();
}

static void test_fail_hook(void)
{
    /* A failure at rename step k (of 37) rolls back everything done before it. */
    long steps[] = { 0, 1, 2, 5, 24, 25, 36 };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char env[64];
        snprintf(env, sizeof env, "PYRO_AGENT_TEST_FAIL_APPLY=%ld", steps[i]);
        const char *envv[] = { env, NULL };
        start(envv, 0);
        char *before = snapshot();
        uint32_t ch = next_ch++;
        send_sync_push(ch);
        struct reply r = wait_reply(ch, 30);
        char *after = snapshot();
        int same = strcmp(before, after) == 0;
        check(is_error(&r, ERR_IO) && r.err == EIO && same && staging_gone(),
              "apply fails at rename step %ld: ERROR(IO), tree identical (modes, times, content)%s", steps[i],
              same ? "" : " -- DIFFERS");
        if (!same)
            fprintf(stderr, "--- before\n%s--- after\n%s", before, after);
        free(before);
        free(after);
        stop();
    }
    /* Without the hook the same import applies. */
    start(NULL, 0);
    uint32_t ch = next_ch++;
    send_sync_push(ch);
    struct reply r = wait_reply(ch, 30);
    char p[256];
    snprintf(p, sizeof p, "%s/sync/a/f01", ws);
    char *got = read_host_file(p, NULL);
    check(r.type == T_IMPORT_OK && r.a == 25 && got && strcmp(got, "new content 1") == 0,
          "the same import without the hook: IMPORT_OK, files replaced");
    free(got);
    stop();
    /* Restore the base for the crash tests: the same tree as before. */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/sync'", ws);
    if (system(cmd) != 0)
        exit(1);
    make_sync_base();
}

static void test_crash_hook(void)
{
    /* The agent dies at rename step k; the next start rolls back. */
    long steps[] = { 1, 13, 24, 37 };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char env[64];
        snprintf(env, sizeof env, "PYRO_AGENT_TEST_CRASH_APPLY=%ld", steps[i]);
        const char *envv[] = { env, NULL };
        start(envv, 0);
        char *before = snapshot();
        uint32_t ch = next_ch++;
        send_sync_push(ch);
        int status = agent_wait(&ag, 30);
        agent_close(&ag);
        char *mid = snapshot();
        check(WIFEXITED(status) && WEXITSTATUS(status) == 99 && exists(staging) &&
                  (steps[i] == 0 || strcmp(before, mid) != 0),
              "crash at rename step %ld: agent gone, workspace half-applied, staging and journal left", steps[i]);
        start(NULL, 0); /* recovery runs before HELLO is answered */
        char *after = snapshot();
        int same = strcmp(before, after) == 0;
        check(same && staging_gone(), "next start rolled back: tree identical, staging removed%s",
              same ? "" : " -- DIFFERS");
        if (!same)
            fprintf(stderr, "--- before\n%s--- after\n%s", before, after);
        free(before);
        free(mid);
        free(after);
        stop();
    }
}

static void test_killed_while_staging(void)
{
    start(NULL, 0);
    char *before = snapshot();
    uint32_t ch = next_ch++;
    send_import(ch, "/workspace/sync", 0, 0);
    send_file(ch, "a/f01", 0644, T1, "staged but never applied", 24);
    send_entry(ch, KIND_FILE, "a/half", 0644, T1, 10 * CHUNK, NULL);
    send_data(ch, before, 100);
    /* Let the agent write it (a PING answered means the frames before it were handled). */
    struct out o = { 0 };
    o_str(&o, "sync");
    agent_send(&ag, T_PING, 0, &o);
    o_free(&o);
    struct frame f;
    int ponged = agent_next(&ag, &f, 10) && f.type == T_PONG;
    kill(ag.pid, SIGKILL);
    agent_wait(&ag, 10);
    agent_close(&ag);
    check(ponged && exists(staging), "agent killed while staging: staging left behind");
    start(NULL, 0);
    char *after = snapshot();
    check(strcmp(before, after) == 0 && staging_gone(), "next start removed the staging; tree identical");
    free(before);
    free(after);
    stop();
}

static void test_write_failure(void)
{
    /* RLIMIT_FSIZE makes writes fail (EFBIG) like a full disk (ENOSPC) would. */
    start(NULL, 1024 * 1024);
    char *before = snapshot();
    uint32_t ch = next_ch++;
    char *d = big_data(2 * 1024 * 1024, 3);
    send_import(ch, "/workspace/sync", 0, 0);
    send_file(ch, "a/small", 0644, T1, "x", 1);
    send_file(ch, "a/toolarge", 0644, T1, d, 2 * 1024 * 1024);
    send_end(ch);
    struct reply r = wait_reply(ch, 30);
    char *after = snapshot();
    check(is_error(&r, ERR_IO) && r.err == EFBIG && strcmp(before, after) == 0 && staging_gone(),
          "a write that fails while staging: ERROR(IO, EFBIG), tree identical, staging removed [%s]", r.msg);
    free(before);
    free(after);
    free(d);
    stop();
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    agent_path = argc > 1 ? argv[1] : "./pyro-agent";
    snprintf(root, sizeof root, "/tmp/pyro-transfer-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(ws, sizeof ws, "%s/ws", root);
    snprintf(outside, sizeof outside, "%s/outside", root);
    snprintf(staging, sizeof staging, "%s/ws.pyro-sync", root);
    mkdir(ws, 0755);
    mkdir(outside, 0755);
    char p[256];
    snprintf(p, sizeof p, "%s/secret", outside);
    write_host_file(p, "secret");

    start(NULL, 0);
    test_seed();
    test_stat();
    test_export();
    test_merge();
    test_rules();
    test_concurrent();
    test_request_checks();
    test_many();
    stop();
    test_no_workspace();
    make_sync_base();
    test_fail_hook();
    test_crash_hook();
    test_killed_while_staging();
    test_write_failure();

    char *secret = read_host_file(p, NULL);
    struct dirent **list;
    int n = scandir(outside, &list, NULL, alphasort);
    check(secret && strcmp(secret, "secret") == 0 && n == 3, "the directory outside the workspace is untouched");
    for (int i = 0; i < n; i++)
        free(list[i]);
    if (n >= 0)
        free(list);
    free(secret);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
