/*
 * Codec for the framed host<->guest protocol (docs/guest-protocol.md).
 *
 * Every frame type is described by a table of its payload fields, and decode, encode and
 * the canonical text rendering (tests only, protocol_text.c) are all driven by that one
 * table, so they cannot disagree about a field's order or encoding.
 *
 * Decoding never allocates: `bytes` values point into the caller's buffer and a `list`
 * keeps a pointer to its encoded items (walk them with plist_next), so a hostile count
 * costs nothing and a decoded frame needs no freeing. It is valid as long as the buffer.
 */
#ifndef PYRO_PROTOCOL_H
#define PYRO_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1u

#define FRAME_LENGTH_SIZE 4u
#define FRAME_HEADER_SIZE 9u       /* length u32, type u8, channel u32 */
#define FRAME_MIN_LENGTH 5u        /* type and channel, empty payload */
#define FRAME_MAX_PAYLOAD 1048576u /* 1 MiB */
#define FRAME_MAX_LENGTH (FRAME_MAX_PAYLOAD + FRAME_MIN_LENGTH)

enum frame_type {
    T_HELLO = 0x01,
    T_PING = 0x02,
    T_EXEC = 0x03,
    T_STDIN = 0x04,
    T_SIGNAL = 0x05,
    T_SHUTDOWN = 0x06,
    T_IMPORT = 0x07,
    T_IMPORT_ENTRY = 0x08,
    T_IMPORT_DATA = 0x09,
    T_IMPORT_END = 0x0A,
    T_CANCEL = 0x0B,
    T_EXPORT = 0x0C,
    T_STAT = 0x0D,
    T_HELLO_OK = 0x41,
    T_PONG = 0x42,
    T_STARTED = 0x43,
    T_STDOUT = 0x44,
    T_STDERR = 0x45,
    T_EXIT = 0x46,
    T_SHUTDOWN_OK = 0x47,
    T_IMPORT_OK = 0x48,
    T_EXPORT_ENTRY = 0x49,
    T_EXPORT_DATA = 0x4A,
    T_EXPORT_END = 0x4B,
    T_STAT_OK = 0x4C,
    T_ERROR = 0x4F,
};

/* Field indexes per frame type, in wire order. */
enum { HELLO_VERSION, HELLO_HOST_TIME_NS };
enum { DATA_DATA }; /* PING, STDIN, PONG, STDOUT, STDERR, IMPORT_DATA, EXPORT_DATA */
enum { EXEC_FLAGS, EXEC_TIMEOUT_MS, EXEC_CWD, EXEC_ARGV, EXEC_ENV };
enum { SIGNAL_SIGNAL };
enum { SHUTDOWN_MODE };
enum { HELLO_OK_VERSION, HELLO_OK_AGENT_VERSION, HELLO_OK_KERNEL_RELEASE, HELLO_OK_FEATURES };
enum { STARTED_PID };
enum { EXIT_EXIT_CODE, EXIT_TIMED_OUT, EXIT_SIGNAL, EXIT_DURATION_US };
enum { ERROR_CODE, ERROR_ERRNO, ERROR_MESSAGE };
enum { IMPORT_DEST, IMPORT_FLAGS, IMPORT_MAX_ENTRIES, IMPORT_MAX_BYTES };
/* IMPORT_ENTRY and EXPORT_ENTRY */
enum { ENTRY_KIND, ENTRY_PATH, ENTRY_MODE, ENTRY_MTIME_NS, ENTRY_SIZE, ENTRY_TARGET };
enum { EXPORT_PATH, EXPORT_FLAGS };
enum { STAT_PATH };
enum { IMPORT_OK_ENTRIES, IMPORT_OK_BYTES };
enum { EXPORT_END_ENTRIES, EXPORT_END_BYTES, EXPORT_END_SKIPPED };
enum { STAT_OK_KIND, STAT_OK_MODE, STAT_OK_SIZE, STAT_OK_MTIME_NS, STAT_OK_TARGET };

/* Entry kinds of IMPORT_ENTRY/EXPORT_ENTRY (STAT_OK also uses KIND_OTHER). */
enum entry_kind { KIND_DIR = 1, KIND_FILE = 2, KIND_SYMLINK = 3, KIND_HARDLINK = 4, KIND_OTHER = 5 };

#define EXEC_FLAG_STDIN 0x1u
#define EXEC_FLAGS_KNOWN EXEC_FLAG_STDIN

#define FEATURE_CGROUP_KILL 0x1u
#define FEATURE_VSOCK 0x2u
#define FEATURE_UPPER_DISK 0x4u
#define FEATURE_TRANSFER 0x8u
#define FEATURE_NET 0x10u

enum error_code {
    ERR_BAD_FRAME = 1,
    ERR_UNSUPPORTED = 2,
    ERR_EXEC_FAILED = 3,
    ERR_BUSY = 4,
    ERR_INTERNAL = 5,
    ERR_BAD_PATH = 6,
    ERR_NOT_FOUND = 7,
    ERR_REJECTED = 8,
    ERR_CONFLICT = 9,
    ERR_LIMIT = 10,
    ERR_IO = 11,
    ERR_CANCELLED = 12,
};

enum field_kind { FK_U8, FK_U32, FK_I32, FK_U64, FK_BYTES, FK_LIST };

#define PROTO_MAX_FIELDS 6

struct field_def {
    const char *name;
    enum field_kind kind;
};

struct frame_def {
    uint8_t type;
    const char *name;
    unsigned nfields;
    struct field_def fields[PROTO_MAX_FIELDS];
};

/* NULL for a type this protocol version does not define. */
const struct frame_def *frame_def_find(uint8_t type);

struct pbytes {
    const uint8_t *ptr;
    uint32_t len;
};

/* A decoded list: `count` items, encoded back to back (u32 size + bytes) in raw. */
struct plist {
    uint32_t count;
    const uint8_t *raw;
    uint32_t raw_len;
};

struct plist_iter {
    const uint8_t *p;
    const uint8_t *end;
    uint32_t left;
};

void plist_iter_init(struct plist_iter *it, const struct plist *l);
/* 1 and the next item, or 0 at the end (items were validated by the decoder). */
int plist_next(struct plist_iter *it, struct pbytes *item);

/* One field's value; which member is meaningful depends on the field's kind. */
struct fvalue {
    uint64_t u;      /* FK_U8, FK_U32, FK_U64 */
    int32_t i;       /* FK_I32 */
    struct pbytes b; /* FK_BYTES */
    struct plist l;  /* FK_LIST */
};

struct frame {
    uint8_t type;
    uint32_t channel;
    const struct frame_def *def; /* set by frame_decode and frame_init */
    struct fvalue f[PROTO_MAX_FIELDS];
};

enum decode_result {
    DEC_OK,           /* *frame filled, *consumed = whole frame */
    DEC_NEED_MORE,    /* the buffer holds only the start of a frame */
    DEC_BAD_LENGTH,   /* length field < 5 or > limit: framing is lost */
    DEC_UNKNOWN_TYPE, /* framing fine; type/channel set, *consumed = whole frame */
    DEC_BAD_PAYLOAD,  /* framing fine; type/channel set, *consumed = whole frame */
};

/* Decode the frame at the start of buf[0..len). */
enum decode_result frame_decode(const uint8_t *buf, size_t len, struct frame *out, size_t *consumed);

/* Zero a frame and set its type (which must be known) and channel, for encoding. */
void frame_init(struct frame *f, uint8_t type, uint32_t channel);

/* Size of the whole encoded frame (length field included); 0 if the payload is too big. */
size_t frame_encoded_size(const struct frame *f);
/* Encode into out[0..cap). Returns the size written, 0 if it does not fit or is too big. */
size_t frame_encode(const struct frame *f, uint8_t *out, size_t cap);

/* Header of a frame whose payload is `bytes data` (STDOUT, EXPORT_DATA etc.): the 13 bytes
 * before the data. */
#define DATA_FRAME_PREFIX (FRAME_HEADER_SIZE + 4u)
void data_frame_prefix(uint8_t out[DATA_FRAME_PREFIX], uint8_t type, uint32_t channel, uint32_t data_len);

#endif
