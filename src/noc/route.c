/* NoC routes on the 2-D torus (DESIGN.md section 1). Pure: no MPI, no state.
 *
 * NoC0 routes x first, going east (+x), then y, going south (+y); NoC1 routes y
 * first, going north (-y), then x, going west (-x); both wrap around. A link is
 * named by the core it leaves and its direction, so per-link byte counts can be
 * kept per core. */
#include "noc.h"

static int mod(int a, int m) {
    return ((a % m) + m) % m;
}

/* Step from (x, y) one link in direction dir. */
static void step(tg_grid g, int dir, int *x, int *y) {
    switch (dir) {
    case TG_LINK_E:
        *x = mod(*x + 1, g.w);
        break;
    case TG_LINK_S:
        *y = mod(*y + 1, g.h);
        break;
    case TG_LINK_N:
        *y = mod(*y - 1, g.h);
        break;
    case TG_LINK_W:
        *x = mod(*x - 1, g.w);
        break;
    }
}

/* Walks `n` links from (*x, *y) in direction dir, handing each to visit. */
static void walk(tg_grid g, int dir, int n, int *x, int *y, tg_link_visit visit, void *ctx,
                 int *k) {
    for (int i = 0; i < n; i++) {
        if (visit) visit(ctx, (tg_link){*x, *y, dir});
        (*k)++;
        step(g, dir, x, y);
    }
}

/* The listing visitor: appends to an array. */
typedef struct link_list {
    tg_link *links;
    int n;
} link_list;

static void append(void *ctx, tg_link l) {
    link_list *a = ctx;
    a->links[a->n++] = l;
}

int tg_route_unicast(tg_grid g, int noc, int sx, int sy, int dx, int dy, tg_link *links) {
    link_list a = {links, 0};
    return tg_route_unicast_visit(g, noc, sx, sy, dx, dy, links ? append : NULL, &a);
}

int tg_route_mcast(tg_grid g, int noc, int sx, int sy, tg_rect r, tg_link *links) {
    link_list a = {links, 0};
    return tg_route_mcast_visit(g, noc, sx, sy, r, links ? append : NULL, &a);
}

int tg_route_unicast_visit(tg_grid g, int noc, int sx, int sy, int dx, int dy, tg_link_visit visit,
                           void *ctx) {
    int k = 0, x = sx, y = sy;
    if (noc == 0) {
        walk(g, TG_LINK_E, mod(dx - sx, g.w), &x, &y, visit, ctx, &k);
        walk(g, TG_LINK_S, mod(dy - sy, g.h), &x, &y, visit, ctx, &k);
    } else {
        walk(g, TG_LINK_N, mod(sy - dy, g.h), &x, &y, visit, ctx, &k);
        walk(g, TG_LINK_W, mod(sx - dx, g.w), &x, &y, visit, ctx, &k);
    }
    return k;
}

int tg_route_mcast_visit(tg_grid g, int noc, int sx, int sy, tg_rect r, tg_link_visit visit,
                         void *ctx) {
    int k = 0;
    if (noc == 0) {
        /* trunk east along row sy to the farthest column, branches south */
        int trunk = 0, branch = 0;
        for (int i = 0; i < r.w; i++)
            if (mod(r.x0 + i - sx, g.w) > trunk) trunk = mod(r.x0 + i - sx, g.w);
        for (int j = 0; j < r.h; j++)
            if (mod(r.y0 + j - sy, g.h) > branch) branch = mod(r.y0 + j - sy, g.h);
        int x = sx, y = sy;
        walk(g, TG_LINK_E, trunk, &x, &y, visit, ctx, &k);
        for (int i = 0; i < r.w; i++) {
            int bx = mod(r.x0 + i, g.w), by = sy;
            walk(g, TG_LINK_S, branch, &bx, &by, visit, ctx, &k);
        }
    } else {
        /* trunk north along column sx to the farthest row, branches west */
        int trunk = 0, branch = 0;
        for (int j = 0; j < r.h; j++)
            if (mod(sy - (r.y0 + j), g.h) > trunk) trunk = mod(sy - (r.y0 + j), g.h);
        for (int i = 0; i < r.w; i++)
            if (mod(sx - (r.x0 + i), g.w) > branch) branch = mod(sx - (r.x0 + i), g.w);
        int x = sx, y = sy;
        walk(g, TG_LINK_N, trunk, &x, &y, visit, ctx, &k);
        for (int j = 0; j < r.h; j++) {
            int bx = sx, by = mod(r.y0 + j, g.h);
            walk(g, TG_LINK_W, branch, &bx, &by, visit, ctx, &k);
        }
    }
    return k;
}

int tg_route_pick_unicast(tg_grid g, int sx, int sy, int dx, int dy) {
    int h0 = tg_route_unicast(g, 0, sx, sy, dx, dy, NULL);
    int h1 = tg_route_unicast(g, 1, sx, sy, dx, dy, NULL);
    return h1 < h0 ? 1 : 0;
}

int tg_route_pick_mcast(tg_grid g, int sx, int sy, tg_rect r) {
    int l0 = tg_route_mcast(g, 0, sx, sy, r, NULL);
    int l1 = tg_route_mcast(g, 1, sx, sy, r, NULL);
    return l1 < l0 ? 1 : 0;
}
