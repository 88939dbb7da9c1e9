#include "protocol.h"

#include <string.h>

#include "util.h"

#define F(n, k) { n, k }
/* IMPORT_ENTRY and EXPORT_ENTRY share their layout. */
#define ENTRY_FIELDS                                                                               \
    {                                                                                              \
        F("kind", FK_U8), F("path", FK_BYTES), F("mode", FK_U32), F("mtime_ns", FK_U64),           \
            F("size", FK_U64), F("target", FK_BYTES)                                               \
    }

static const struct frame_def frame_defs[] = {
    { T_HELLO, "HELLO", 2, { F("version", FK_U32), F("host_time_ns", FK_U64) } },
    { T_PING, "PING", 1, { F("data", FK_BYTES) } },
    { T_EXEC, "EXEC", 5,
      { F("flags", FK_U32), F("timeout_ms", FK_U32), F("cwd", FK_BYTES), F("argv", FK_LIST),
        F("env", FK_LIST) } },
    { T_STDIN, "STDIN", 1, { F("data", FK_BYTES) } },
    { T_SIGNAL, "SIGNAL", 1, { F("signal", FK_I32) } },
    { T_SHUTDOWN, "SHUTDOWN", 1, { F("mode", FK_U8) } },
    { T_IMPORT, "IMPORT", 4,
      { F("dest", FK_BYTES), F("flags", FK_U32), F("max_entries", FK_U64), F("max_bytes", FK_U64) } },
    { T_IMPORT_ENTRY, "IMPORT_ENTRY", 6, ENTRY_FIELDS },
    { T_IMPORT_DATA, "IMPORT_DATA", 1, { F("data", FK_BYTES) } },
    { T_IMPORT_END, "IMPORT_END", 0, { { 0, 0 } } },
    { T_CANCEL, "CANCEL", 0, { { 0, 0 } } },
    { T_EXPORT, "EXPORT", 2, { F("path", FK_BYTES), F("flags", FK_U32) } },
    { T_STAT, "STAT", 1, { F("path", FK_BYTES) } },
    { T_HELLO_OK, "HELLO_OK", 4,
      { F("version", FK_U32), F("agent_version", FK_BYTES), F("kernel_release", FK_BYTES),
        F("features", FK_U32) } },
    { T_PONG, "PONG", 1, { F("data", FK_BYTES) } },
    { T_STARTED, "STARTED", 1, { F("pid", FK_I32) } },
    { T_STDOUT, "STDOUT", 1, { F("data", FK_BYTES) } },
    { T_STDERR, "STDERR", 1, { F("data", FK_BYTES) } },
    { T_EXIT, "EXIT", 4,
      { F("exit_code", FK_I32), F("timed_out", FK_U8), F("signal", FK_I32),
        F("duration_us", FK_U64) } },
    { T_SHUTDOWN_OK, "SHUTDOWN_OK", 0, { { 0, 0 } } },
    { T_IMPORT_OK, "IMPORT_OK", 2, { F("entries", FK_U64), F("bytes", FK_U64) } },
    { T_EXPORT_ENTRY, "EXPORT_ENTRY", 6, ENTRY_FIELDS },
    { T_EXPORT_DATA, "EXPORT_DATA", 1, { F("data", FK_BYTES) } },
    { T_EXPORT_END, "EXPORT_END", 3, { F("entries", FK_U64), F("bytes", FK_U64), F("skipped", FK_U64) } },
    { T_STAT_OK, "STAT_OK", 5,
      { F("kind", FK_U8), F("mode", FK_U32), F("size", FK_U64), F("mtime_ns", FK_U64), F("target", FK_BYTES) } },
    { T_ERROR, "ERROR", 3, { F("code", FK_U32), F("errno", FK_I32), F("message", FK_BYTES) } },
};

const struct frame_def *frame_def_find(uint8_t type)
{
    for (size_t i = 0; i < sizeof frame_defs / sizeof frame_defs[0]; i++)
        if (frame_defs[i].type == type)
            return &frame_defs[i];
    return NULL;
}

void plist_iter_init(struct plist_iter *it, const struct plist *l)
{
    it->p = l->raw;
    it->end = l->raw + l->raw_len;
    it->left = l->count;
}

int plist_next(struct plist_iter *it, struct pbytes *item)
{
    if (it->left == 0 || (size_t)(it->end - it->p) < 4)
        return 0;
    uint32_t n = get_u32(it->p);
    if ((size_t)(it->end - it->p) - 4 < n)
        return 0;
    item->ptr = it->p + 4;
    item->len = n;
    it->p += 4 + (size_t)n;
    it->left--;
    return 1;
}

/* Cursor over a payload; every take_* checks the bytes left before reading. */
struct cursor {
    const uint8_t *p;
    size_t left;
};

static int take(struct cursor *c, size_t n, const uint8_t **out)
{
    if (c->left < n)
        return -1;
    *out = c->p;
    c->p += n;
    c->left -= n;
    return 0;
}

static int take_bytes(struct cursor *c, struct pbytes *b)
{
    const uint8_t *p;
    if (take(c, 4, &p) < 0)
        return -1;
    uint32_t n = get_u32(p);
    /* Compared as size_t: a size of 2^31 or more is just "too big", never negative. */
    if (take(c, n, &b->ptr) < 0)
        return -1;
    b->len = n;
    return 0;
}

static int take_field(struct cursor *c, enum field_kind kind, struct fvalue *v)
{
    const uint8_t *p;
    switch (kind) {
    case FK_U8:
        if (take(c, 1, &p) < 0)
            return -1;
        v->u = p[0];
        return 0;
    case FK_U32:
        if (take(c, 4, &p) < 0)
            return -1;
        v->u = get_u32(p);
        return 0;
    case FK_I32:
        if (take(c, 4, &p) < 0)
            return -1;
        v->i = (int32_t)get_u32(p);
        return 0;
    case FK_U64:
        if (take(c, 8, &p) < 0)
            return -1;
        v->u = get_u64(p);
        return 0;
    case FK_BYTES:
        return take_bytes(c, &v->b);
    case FK_LIST: {
        if (take(c, 4, &p) < 0)
            return -1;
        v->l.count = get_u32(p);
        v->l.raw = c->p;
        /* Walk the items now so plist_next can trust them; each costs at least 4 bytes,
         * so a count larger than the data fails after a bounded walk. */
        for (uint32_t i = 0; i < v->l.count; i++) {
            struct pbytes item;
            if (take_bytes(c, &item) < 0)
                return -1;
        }
        v->l.raw_len = (uint32_t)(c->p - v->l.raw);
        return 0;
    }
    }
    return -1;
}

enum decode_result frame_decode(const uint8_t *buf, size_t len, struct frame *out, size_t *consumed)
{
    if (len < FRAME_LENGTH_SIZE)
        return DEC_NEED_MORE;
    uint32_t length = get_u32(buf);
    /* Checked before waiting for the rest: a bad length must not make us buffer 4 GiB. */
    if (length < FRAME_MIN_LENGTH || length > FRAME_MAX_LENGTH)
        return DEC_BAD_LENGTH;
    size_t total = FRAME_LENGTH_SIZE + (size_t)length;
    if (len < total)
        return DEC_NEED_MORE;

    memset(out, 0, sizeof *out);
    out->type = buf[4];
    out->channel = get_u32(buf + 5);
    *consumed = total;
    out->def = frame_def_find(out->type);
    if (!out->def)
        return DEC_UNKNOWN_TYPE;

    struct cursor c = { buf + FRAME_HEADER_SIZE, total - FRAME_HEADER_SIZE };
    for (unsigned i = 0; i < out->def->nfields; i++)
        if (take_field(&c, out->def->fields[i].kind, &out->f[i]) < 0)
            return DEC_BAD_PAYLOAD;
    /* Bytes after the known fields are ignored: later minor revisions may append fields. */
    return DEC_OK;
}

void frame_init(struct frame *f, uint8_t type, uint32_t channel)
{
    memset(f, 0, sizeof *f);
    f->type = type;
    f->channel = channel;
    f->def = frame_def_find(type);
}

static size_t field_size(enum field_kind kind, const struct fvalue *v)
{
    switch (kind) {
    case FK_U8:
        return 1;
    case FK_U32:
    case FK_I32:
        return 4;
    case FK_U64:
        return 8;
    case FK_BYTES:
        return 4 + (size_t)v->b.len;
    case FK_LIST:
        return 4 + (size_t)v->l.raw_len;
    }
    return 0;
}

size_t frame_encoded_size(const struct frame *f)
{
    if (!f->def)
        return 0;
    size_t payload = 0;
    for (unsigned i = 0; i < f->def->nfields; i++)
        payload += field_size(f->def->fields[i].kind, &f->f[i]);
    if (payload > FRAME_MAX_PAYLOAD)
        return 0;
    return FRAME_HEADER_SIZE + payload;
}

size_t frame_encode(const struct frame *f, uint8_t *out, size_t cap)
{
    size_t total = frame_encoded_size(f);
    if (total == 0 || total > cap)
        return 0;
    put_u32(out, (uint32_t)(total - FRAME_LENGTH_SIZE));
    out[4] = f->type;
    put_u32(out + 5, f->channel);
    uint8_t *p = out + FRAME_HEADER_SIZE;
    for (unsigned i = 0; i < f->def->nfields; i++) {
        const struct fvalue *v = &f->f[i];
        switch (f->def->fields[i].kind) {
        case FK_U8:
            *p++ = (uint8_t)v->u;
            break;
        case FK_U32:
            put_u32(p, (uint32_t)v->u);
            p += 4;
            break;
        case FK_I32:
            put_u32(p, (uint32_t)v->i);
            p += 4;
            break;
        case FK_U64:
            put_u64(p, v->u);
            p += 8;
            break;
        case FK_BYTES:
            put_u32(p, v->b.len);
            if (v->b.len)
                memcpy(p + 4, v->b.ptr, v->b.len);
            p += 4 + (size_t)v->b.len;
            break;
        case FK_LIST:
            put_u32(p, v->l.count);
            if (v->l.raw_len)
                memcpy(p + 4, v->l.raw, v->l.raw_len);
            p += 4 + (size_t)v->l.raw_len;
            break;
        }
    }
    return total;
}

void data_frame_prefix(uint8_t out[DATA_FRAME_PREFIX], uint8_t type, uint32_t channel, uint32_t data_len)
{
    put_u32(out, FRAME_MIN_LENGTH + 4 + data_len);
    out[4] = type;
    put_u32(out + 5, channel);
    put_u32(out + 9, data_len);
}
