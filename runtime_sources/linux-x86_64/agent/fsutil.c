#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

/* openat2(2) exists since Linux 5.6; 0 once it answered ENOSYS (or fsutil_no_openat2). */
static int have_openat2 = 1;

void fsutil_no_openat2(void)
{
    have_openat2 = 0;
}

/* O_DIRECTORY | O_NOFOLLOW on a symlink fails with ENOTDIR; openat2 says ELOOP. */
static void symlink_is_eloop(int dirfd, const char *name)
{
    int err = errno;
    struct stat st;
    if (err == ENOTDIR && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        err = ELOOP;
    errno = err;
}

/*
 * Without openat2: walk the path one component at a time from dirfd, each opened with
 * O_NOFOLLOW (a symlink fails with ELOOP, a non-directory with ENOTDIR), "." skipped,
 * ".." and absolute paths refused (EXDEV). This is RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
 * the "follow" variant gets the same strict walk (symlinks on the way are refused).
 */
static int walk_open(int dirfd, const char *path, int flags, mode_t mode)
{
    if (path[0] == '/') {
        errno = EXDEV;
        return -1;
    }
    int cur = -1; /* -1: still dirfd */
    const char *p = path;
    for (;;) {
        while (*p == '/')
            p++;
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        while (slash && slash[1] == '/')
            slash++;
        int last = !slash || slash[1] == '\0';
        char comp[256];
        if (n >= sizeof comp) {
            errno = ENAMETOOLONG;
            goto fail;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (n == 2 && comp[0] == '.' && comp[1] == '.') {
            errno = EXDEV;
            goto fail;
        }
        int base = cur >= 0 ? cur : dirfd;
        int fd;
        if (last) {
            fd = openat(base, n == 0 ? "." : comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
            if (fd < 0)
                symlink_is_eloop(base, comp);
            int err = errno;
            if (cur >= 0)
                close(cur);
            errno = err;
            return fd;
        }
        if (n == 0 || (n == 1 && comp[0] == '.')) {
            p = slash + 1;
            continue;
        }
        fd = openat(base, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            symlink_is_eloop(base, comp);
            goto fail;
        }
        if (cur >= 0)
            close(cur);
        cur = fd;
        p = slash + 1;
    }
fail: {
    int err = errno;
    if (cur >= 0)
        close(cur);
    errno = err;
    return -1;
}
}

static int do_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
    if (!have_openat2)
        return walk_open(dirfd, *path ? path : ".", flags, mode);
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    /* The kernel rejects a mode without O_CREAT/O_TMPFILE. */
    how.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0;
    how.resolve = resolve;
    long fd;
    do
        fd = syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof how);
    while (fd < 0 && (errno == EINTR || errno == EAGAIN));
    if (fd < 0 && errno == ENOSYS) {
        have_openat2 = 0;
        return walk_open(dirfd, *path ? path : ".", flags, mode);
    }
    return (int)fd;
}

int open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
    return do_openat2(dirfd, path, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

int open_beneath_follow(int dirfd, const char *path, int flags, mode_t mode)
{
    return do_openat2(dirfd, path, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
}

int open_parent(int rootfd, const char *rel, const char **leaf)
{
    const char *slash = strrchr(rel, '/');
    if (!slash) {
        *leaf = rel;
        return open_beneath(rootfd, "", O_RDONLY | O_DIRECTORY, 0);
    }
    size_t n = (size_t)(slash - rel);
    char *parent = malloc(n + 1);
    if (!parent)
        return -1;
    memcpy(parent, rel, n);
    parent[n] = '\0';
    int fd = open_beneath(rootfd, parent, O_RDONLY | O_DIRECTORY, 0);
    int saved = errno;
    free(parent);
    errno = saved;
    *leaf = slash + 1;
    return fd;
}

int stat_beneath(int rootfd, const char *rel, struct stat *st)
{
    if (!*rel)
        return fstat(rootfd, st);
    const char *leaf;
    int pfd = open_parent(rootfd, rel, &leaf);
    if (pfd < 0)
        return -1;
    int rc = fstatat(pfd, leaf, st, AT_SYMLINK_NOFOLLOW);
    int saved = errno;
    close(pfd);
    errno = saved;
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void free_names(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

char **list_dir(int rootfd, const char *rel, size_t *n)
{
    int fd = open_beneath(rootfd, rel, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (!d) {
        int saved = errno;
        close(fd);
        errno = saved;
        return NULL;
    }
    size_t cap = 16, len = 0;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    errno = 0;
    while (names && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (len == cap) {
            char **p = realloc(names, cap * 2 * sizeof *names);
            if (!p)
                break;
            names = p;
            cap *= 2;
        }
        if (!(names[len] = strdup(e->d_name)))
            break;
        len++;
        errno = 0;
    }
    int saved = errno;
    closedir(d);
    if (!names || saved) {
        free_names(names, len);
        errno = saved ? saved : ENOMEM;
        return NULL;
    }
    qsort(names, len, sizeof *names, cmp_names);
    *n = len;
    return names;
}

char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p)
        return NULL;
    if (la) {
        memcpy(p, a, la);
        p[la++] = '/';
    }
    memcpy(p + la, b, lb + 1);
    return p;
}

size_t path_depth(const char *rel)
{
    if (!*rel)
        return 0;
    size_t n = 1;
    for (const char *p = rel; *p; p++)
        n += *p == '/';
    return n;
}

/* Empty the directory rel (which exists and is a directory), depth first. */
static int empty_dir(int rootfd, const char *rel)
{
    size_t n = 0;
    char **names = list_dir(rootfd, rel, &n);
    if (!names && errno == EACCES) {
        /* A directory the import or a command made unreadable; it is ours to remove. */
        const char *leaf;
        int pfd = open_parent(rootfd, rel, &leaf);
        if (pfd >= 0) {
            fchmodat(pfd, leaf, 0700, 0);
            close(pfd);
        }
        names = list_dir(rootfd, rel, &n);
    }
    if (!names)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *child = path_join(rel, names[i]);
        if (!child) {
            errno = ENOMEM;
            rc = -1;
            break;
        }
        rc = rm_tree(rootfd, child);
        free(child);
    }
    int saved = errno;
    free_names(names, n);
    errno = saved;
    return rc;
}

int rm_tree(int rootfd, const char *rel)
{
    struct stat st;
    if (stat_beneath(rootfd, rel, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode) && empty_dir(rootfd, rel) < 0)
        return -1;
    const char *leaf;
    int pfd = open_parent(rootfd, rel, &leaf);
    if (pfd < 0)
        return -1;
    int rc = unlinkat(pfd, leaf, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
    int saved = errno;
    close(pfd);
    errno = saved;
    return rc < 0 && errno != ENOENT ? -1 : 0;
}
