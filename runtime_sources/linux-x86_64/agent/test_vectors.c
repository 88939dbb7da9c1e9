/*
 * Host-side test of the codec against the shared vectors (vectors.txt): decode each hex
 * frame, compare its canonical rendering with the text line, re-encode and compare with
 * the hex; INVALID vectors must be rejected. Also checks that every proper prefix of a
 * valid frame asks for more data (the agent's stream reader relies on that).
 * Usage: test_vectors vectors.txt   (exit status 0 only if every check passed)
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "protocol_text.h"

static int failures;

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        failures++;                                                                                \
    } while (0)

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parse hex digits (whitespace ignored) into a malloc'd buffer; -1 on a bad digit. */
static long parse_hex(const char *s, unsigned char **out)
{
    size_t cap = strlen(s) / 2 + 1, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return -1;
    int hi = -1;
    for (; *s; s++) {
        if (isspace((unsigned char)*s))
            continue;
        int v = hexval((unsigned char)*s);
        if (v < 0) {
            free(buf);
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            buf[n++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    return (long)n;
}

static char *strip(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static void check_vector(const char *name, const char *hex, const char *text)
{
    unsigned char *buf = NULL;
    long n = parse_hex(hex, &buf);
    if (n < 0) {
        FAIL("%s: bad hex", name);
        return;
    }
    struct frame f;
    size_t consumed = 0;
    enum decode_result r = frame_decode(buf, (size_t)n, &f, &consumed);

    if (strcmp(text, "INVALID") == 0) {
        if (r != DEC_BAD_LENGTH && r != DEC_BAD_PAYLOAD)
            FAIL("%s: expected a decode failure, got result %d", name, (int)r);
        free(buf);
        return;
    }
    if (r != DEC_OK) {
        FAIL("%s: decode failed with result %d", name, (int)r);
        free(buf);
        return;
    }
    if (consumed != (size_t)n)
        FAIL("%s: decode consumed %zu of %ld bytes", name, consumed, n);

    char *rendered = frame_render(&f);
    if (!rendered || strcmp(rendered, text) != 0)
        FAIL("%s: rendering differs\n  want: %s\n  got:  %s", name, text, rendered ? rendered : "(null)");
    free(rendered);

    size_t size = frame_encoded_size(&f);
    unsigned char *enc = malloc(size ? size : 1);
    if (!enc || frame_encode(&f, enc, size) != (size_t)n || memcmp(enc, buf, (size_t)n) != 0)
        FAIL("%s: re-encoding differs from the hex", name);
    if (enc && size > 0 && frame_encode(&f, enc, size - 1) != 0)
        FAIL("%s: encode into a too small buffer did not fail", name);
    free(enc);

    for (long k = 0; k < n; k++) {
        struct frame g;
        size_t c2;
        if (frame_decode(buf, (size_t)k, &g, &c2) != DEC_NEED_MORE) {
            FAIL("%s: prefix of %ld bytes did not ask for more data", name, k);
            break;
        }
    }
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s vectors.txt\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    char *line = NULL, *name = NULL, *hex = NULL;
    size_t cap = 0;
    int vectors = 0, invalid = 0, lineno = 0;
    while (getline(&line, &cap, in) >= 0) {
        lineno++;
        char *s = strip(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *value = s;
        while (*value && !isspace((unsigned char)*value))
            value++;
        if (*value)
            *value++ = '\0';
        value = strip(value);
        if (strcmp(s, "vector") == 0) {
            if (name || hex)
                FAIL("line %d: vector %s is incomplete", lineno, name ? name : "?");
            free(name);
            free(hex);
            hex = NULL;
            name = strdup(value);
        } else if (strcmp(s, "hex") == 0 && name && !hex) {
            hex = strdup(value);
        } else if (strcmp(s, "text") == 0 && name && hex) {
            check_vector(name, hex, value);
            vectors++;
            if (strcmp(value, "INVALID") == 0)
                invalid++;
            free(name);
            free(hex);
            name = hex = NULL;
        } else {
            FAIL("line %d: unexpected '%s'", lineno, s);
        }
    }
    if (name || hex)
        FAIL("vector %s is incomplete at end of file", name ? name : "?");
    free(name);
    free(hex);
    free(line);
    fclose(in);
    if (vectors == 0)
        FAIL("no vectors found in %s", argv[1]);
    printf("%d vectors (%d INVALID), %d failures\n", vectors, invalid, failures);
    return failures ? 1 : 0;
}
