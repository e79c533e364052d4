/* Option parsing helpers shared by the commands. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

tg_status tg_cli_size(const char *opt, const char *s, size_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || s[0] == '-')
        return tg_err(TG_ERR_USAGE, "%s: '%s' is not a byte count", opt, s);
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1024ULL, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1024ULL * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1024ULL * 1024 * 1024, end++;
    if (*end != '\0' || v > (unsigned long long)SIZE_MAX / mul)
        return tg_err(TG_ERR_USAGE, "%s: '%s' is not a byte count", opt, s);
    *out = (size_t)(v * mul);
    return TG_OK;
}

tg_status tg_cli_int(const char *opt, const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno)
        return tg_err(TG_ERR_USAGE, "%s: '%s' is not an integer", opt, s);
    if (v < lo || v > hi)
        return tg_err(TG_ERR_USAGE, "%s: %ld is out of range [%ld, %ld]", opt, v, lo, hi);
    *out = v;
    return TG_OK;
}

tg_status tg_cli_list(const char *opt, const char *s, long lo, long hi, int *n, long *out,
                      int max) {
    *n = 0;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno) return tg_err(TG_ERR_USAGE, "%s: cannot parse '%s'", opt, s);
        if (v < lo || v > hi)
            return tg_err(TG_ERR_USAGE, "%s: %ld is out of range [%ld, %ld] in '%s'", opt, v, lo,
                          hi, s);
        if (*n == max) return tg_err(TG_ERR_USAGE, "%s: too many values in '%s'", opt, s);
        out[(*n)++] = v;
        if (*end == '\0') return TG_OK;
        if (*end != ',' && *end != 'x' && *end != 'X')
            return tg_err(TG_ERR_USAGE, "%s: cannot parse '%s'", opt, s);
        p = end + 1;
    }
}

tg_status tg_cli_pair(const char *opt, const char *s, long lo, long hi, long out[2]) {
    int n;
    TG_CHECK(tg_cli_list(opt, s, lo, hi, &n, out, 2));
    if (n == 1) out[1] = out[0];
    return TG_OK;
}

tg_status tg_cli_bad_option(const char *cmd, char **argv, int optind_after) {
    const char *what = argv[optind_after - 1];
    if (optopt && optopt != '?' && optopt < 256 && optopt > ' ')
        return tg_err(TG_ERR_USAGE, "%s: option -%c is unknown or needs a value", cmd, optopt);
    return tg_err(TG_ERR_USAGE, "%s: option '%s' is unknown or needs a value (try %s --help)", cmd,
                  what, cmd);
}

tg_machine tg_cli_machine(const tg_cli *g) {
    tg_machine m = tg_machine_self();
    if (g->grid.w > 0 && g->grid.h > 0) m.grid = g->grid;
    return m;
}
