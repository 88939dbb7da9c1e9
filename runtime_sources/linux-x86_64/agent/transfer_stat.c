/* STAT: what is at a path of the workspace (the last component is not followed). */
#include "transfer_internal.h"

#include <sys/stat.h>

static unsigned kind_of(mode_t m)
{
    return S_ISDIR(m) ? KIND_DIR : S_ISREG(m) ? KIND_FILE : S_ISLNK(m) ? KIND_SYMLINK : KIND_OTHER;
}

void handle_stat(struct conn *c, const struct frame *f)
{
    struct xerr x = { 0, 0, "" };
    struct request_path p;
    if (open_request_path(&f->f[STAT_PATH].b, &p, &x) < 0) {
        conn_send_error(c, f->channel, x.code, x.err, "%s", x.msg);
    } else {
        struct frame r;
        frame_init(&r, T_STAT_OK, f->channel);
        r.f[STAT_OK_KIND].u = kind_of(p.st.st_mode);
        r.f[STAT_OK_MODE].u = p.st.st_mode & 07777;
        r.f[STAT_OK_SIZE].u = S_ISREG(p.st.st_mode) ? (uint64_t)p.st.st_size : 0;
        r.f[STAT_OK_MTIME_NS].u = mtime_ns(&p.st);
        r.f[STAT_OK_TARGET].b = (struct pbytes){ (const uint8_t *)p.target, (uint32_t)p.target_len };
        conn_send(c, &r);
    }
    close_request_path(&p);
}
