/* Small helpers shared by the agent's modules: logging, clocks, whole-buffer I/O. */
#ifndef PYRO_UTIL_H
#define PYRO_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where diagnostics go: /dev/console as PID 1, stderr in --stdio mode. */
void log_set_fd(int fd);
/* One line, prefixed "pyro-agent: ". Keep it rare: the console is slow under emulation. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CLOCK_MONOTONIC in microseconds (unaffected by the HELLO clock setting). */
uint64_t mono_us(void);

/* write() until everything is written or a real error (EINTR retried). 0 or -1/errno. */
int write_all(int fd, const void *buf, size_t len);
/* Write a short string to an existing file (sysfs, cgroupfs, procfs). 0 or -1/errno. */
int write_file(const char *path, const char *text);
/* Read a small file into buf (NUL-terminated). Returns bytes read or -1/errno. */
ssize_t read_file(const char *path, char *buf, size_t cap);

/* Room for element n of a growing array that holds *cap elements of `size` bytes: the
 * array itself while n < *cap, else the array realloc'd to `first` elements (an empty
 * one) or twice *cap, with *cap updated. NULL when out of memory (the array is unchanged). */
void *grow_array(void *array, size_t n, size_t *cap, size_t size, size_t first);

/* Big-endian integer access. */
static inline uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}
static inline void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void put_u64(uint8_t *p, uint64_t v)
{
    put_u32(p, (uint32_t)(v >> 32));
    put_u32(p + 4, (uint32_t)v);
}

#endif
