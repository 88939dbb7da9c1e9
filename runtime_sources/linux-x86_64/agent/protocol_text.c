#include "protocol_text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct strbuf {
    char *p;
    size_t len, cap;
    int failed;
};

static void sb_add(struct strbuf *sb, const char *s, size_t n)
{
    if (sb->failed)
        return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *p = realloc(sb->p, cap);
        if (!p) {
            sb->failed = 1;
            return;
        }
        sb->p = p;
        sb->cap = cap;
    }
    memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

static void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        sb->failed = 1;
        return;
    }
    sb_add(sb, tmp, (size_t)n);
}

static void sb_bytes(struct strbuf *sb, const struct pbytes *b)
{
    sb_add(sb, "\"", 1);
    for (uint32_t i = 0; i < b->len; i++) {
        uint8_t c = b->ptr[i];
        if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
            char ch = (char)c;
            sb_add(sb, &ch, 1);
        } else {
            sb_printf(sb, "\\x%02x", c);
        }
    }
    sb_add(sb, "\"", 1);
}

char *frame_render(const struct frame *f)
{
    struct strbuf sb = { 0 };
    sb_add(&sb, f->def->name, strlen(f->def->name));
    sb_printf(&sb, " ch=%" PRIu32, f->channel);
    for (unsigned i = 0; i < f->def->nfields; i++) {
        const struct field_def *fd = &f->def->fields[i];
        const struct fvalue *v = &f->f[i];
        sb_printf(&sb, " %s=", fd->name);
        switch (fd->kind) {
        case FK_U8:
        case FK_U32:
        case FK_U64:
            sb_printf(&sb, "%" PRIu64, v->u);
            break;
        case FK_I32:
            sb_printf(&sb, "%" PRId32, v->i);
            break;
        case FK_BYTES:
            sb_bytes(&sb, &v->b);
            break;
        case FK_LIST: {
            sb_add(&sb, "[", 1);
            struct plist_iter it;
            struct pbytes item;
            plist_iter_init(&it, &v->l);
            for (int first = 1; plist_next(&it, &item); first = 0) {
                if (!first)
                    sb_add(&sb, ",", 1);
                sb_bytes(&sb, &item);
            }
            sb_add(&sb, "]", 1);
            break;
        }
        }
    }
    if (sb.failed) {
        free(sb.p);
        return NULL;
    }
    return sb.p;
}
