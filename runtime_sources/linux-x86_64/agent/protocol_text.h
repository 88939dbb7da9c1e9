/* Canonical text rendering of a decoded frame (docs/guest-protocol.md, "Test vectors").
 * Used by the tests only; the agent itself never renders frames. */
#ifndef PYRO_PROTOCOL_TEXT_H
#define PYRO_PROTOCOL_TEXT_H

#include "protocol.h"

/* Returns a malloc'd NUL-terminated string (free it), or NULL when out of memory. */
char *frame_render(const struct frame *f);

#endif
