/*
 * Filesystem helpers for transfers: every path here is relative to a directory fd and is
 * resolved with openat2(2) so that it cannot leave that directory or pass through a
 * symlink (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS). Only O(1)
 * file descriptors are open at a time, whatever the depth of a tree.
 */
#ifndef PYRO_FSUTIL_H
#define PYRO_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* openat2(dirfd, path, flags | O_CLOEXEC, mode) beneath dirfd, no symlink anywhere
 * (a final symlink fails with ELOOP too). "" means dirfd itself. fd or -1/errno.
 * Where openat2 is missing (ENOSYS) the same is done by a component-by-component walk
 * with O_NOFOLLOW. */
int open_beneath(int dirfd, const char *path, int flags, mode_t mode);
/* The same, but symlinks are followed as long as they stay beneath dirfd (without
 * openat2: not followed at all, ELOOP). */
int open_beneath_follow(int dirfd, const char *path, int flags, mode_t mode);
/* Use the component walk even if openat2 exists (tests: PYRO_AGENT_NO_OPENAT2=1). */
void fsutil_no_openat2(void);

/*
 * The directory that holds the last component of rel (no symlinks on the way), opened
 * O_RDONLY|O_DIRECTORY, and that last component in *leaf (a pointer into rel).
 * fd or -1/errno.
 */
int open_parent(int rootfd, const char *rel, const char **leaf);
/* fstatat of rel beneath rootfd without following any symlink. 0 or -1/errno. */
int stat_beneath(int rootfd, const char *rel, struct stat *st);

/* The names in directory rel beneath rootfd ("" = rootfd), sorted bytewise, without "."
 * and "..". NULL/errno on failure (an empty directory gives a non-NULL array, *n = 0). */
char **list_dir(int rootfd, const char *rel, size_t *n);
void free_names(char **names, size_t n);

/* Remove rel beneath rootfd and everything under it, never following symlinks.
 * 0 (also when it did not exist) or -1/errno. */
int rm_tree(int rootfd, const char *rel);

/* "a" + "/" + "b" (or "b" when a is empty), malloc'd; NULL when out of memory. */
char *path_join(const char *a, const char *b);

/* Number of '/'-separated components of a normalized relative path ("" has 0). */
size_t path_depth(const char *rel);

#endif
