/* Grid identity: which core this rank is. Pure. */
#include "rank.h"

#include <stdio.h>
#include <stdlib.h>

tg_status tg_grid_parse(const char *s, tg_grid *out) {
    char *end;
    long w = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X' && *end != ',') || w <= 0 || w > 4096)
        return tg_err(TG_ERR_USAGE, "bad grid '%s': expected WxH, for example 8x8", s);
    const char *hs = end + 1;
    long h = strtol(hs, &end, 10);
    if (end == hs || *end != '\0' || h <= 0 || h > 4096)
        return tg_err(TG_ERR_USAGE, "bad grid '%s': expected WxH, for example 8x8", s);
    out->w = (int)w;
    out->h = (int)h;
    return TG_OK;
}

tg_status tg_grid_choose(const tg_arch *arch, int ranks, tg_grid req, tg_grid *out) {
    if (ranks <= 0) return tg_err(TG_ERR_USAGE, "grid: %d ranks", ranks);
    if (req.w > 0 && req.h > 0) {
        if ((long)req.w * req.h != ranks)
            return tg_err(TG_ERR_USAGE,
                          "grid %dx%d has %ld cores but %d ranks were started; start %ld ranks "
                          "(mpirun -np %ld) or give --grid with W*H = %d",
                          req.w, req.h, (long)req.w * req.h, ranks, (long)req.w * req.h,
                          (long)req.w * req.h, ranks);
        *out = req;
        return TG_OK;
    }
    if (arch && arch->grid_w * arch->grid_h == ranks) {
        out->w = arch->grid_w;
        out->h = arch->grid_h;
        return TG_OK;
    }
    /* Most square factorisation, wider than tall, as the device grids are. */
    int h = 1;
    for (int d = 1; (long)d * d <= ranks; d++)
        if (ranks % d == 0) h = d;
    out->w = ranks / h;
    out->h = h;
    return TG_OK;
}
