/* Shared by the host-side tests: a real `pyro-agent --stdio` child and frame helpers. */
#ifndef PYRO_TESTLIB_H
#define PYRO_TESTLIB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol.h"

extern int failures;
void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double now_s(void);

struct agent {
    pid_t pid;
    int to, from; /* its stdin, its stdout */
    uint8_t *rbuf;
    size_t rlen;
    uint8_t *frame; /* the frame last returned by agent_next() */
};

/* Start `path --stdio` plus extra arguments (NULL-terminated), with extra environment
 * entries (NAME=value, NULL-terminated, may be NULL) and, if fsize_limit > 0, that
 * RLIMIT_FSIZE. Exits the test on failure. */
void agent_start(struct agent *a, const char *path, const char *const *args, const char *const *env,
                 long fsize_limit);
/* SHUTDOWN, expect SHUTDOWN_OK (frames on other channels are skipped) and exit 0;
 * returns 1 if all that happened. */
int agent_shutdown(struct agent *a);
/* Wait for the agent to exit (up to timeout s; then SIGKILL); its wait status. */
int agent_wait(struct agent *a, double timeout);
void agent_close(struct agent *a);

/* A payload under construction. */
struct out {
    uint8_t *buf;
    size_t len, cap;
};
void o_u8(struct out *o, uint8_t v);
void o_u32(struct out *o, uint32_t v);
void o_u64(struct out *o, uint64_t v);
void o_bytes(struct out *o, const void *p, size_t n);
void o_str(struct out *o, const char *s);
void o_free(struct out *o);

/* Send one frame (payload may be NULL: empty). */
void agent_send(struct agent *a, uint8_t type, uint32_t ch, const struct out *payload);
/* Next frame within timeout seconds: 1 and *f (valid until the next call), or 0. */
int agent_next(struct agent *a, struct frame *f, double timeout);
/* HELLO and its HELLO_OK; the features, or -1. */
long agent_hello(struct agent *a);

#endif
