/* MPI tests of the ops besides conv2d, and of io, on explicit shard specs
 * (tg_shard_spec_make_shape: TTNN's parallel configs): height on the first cores of
 * the grid only (3 of 4, 7 of 9, a row left part-way), on a box smaller than the
 * machine, with exact shard heights (not multiples of 32) and snapped ones; width with
 * fewer channel slices than cores and the rows kept whole; block in a box bigger than
 * its parts, straight and transposed; channels aligned to 8 (3, 5, 8 and 20 of them),
 * 16 and 32, beside DRAM tensors that pad to 16 or 32.
 *
 * Every result is checked against a reference computed here on the host, element by
 * element and bitwise (float32, bfloat16, and bfloat8_b where the shards are whole
 * blocks), and where it lives: each core's L1 shard is read directly (rows and channels
 * beyond its part must be 0), DRAM pages are read raw (padding channels must be 0).
 * Each op's run must move exactly the traffic its plan tallied (per core, per link,
 * per DRAM bank) and reach the L1 high-water mark its plan replayed. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "add.h"
#include "avgpool.h"
#include "io.h"
#include "maxpool2d.h"
#include "noc_mpi.h"
#include "reshard.h"
#include "stats.h"
#include "tg_test.h"

/* The input of every case: [5, 5, 6, C], 150 rows; pooled 3x3 / 2 with padding 1 to
 * [5, 3, 3, C]. Five images so that two, three and seven row parts all end inside
 * an image: each part's windows then need rows of another part (a remote halo). */
static const int64_t N = 5, H = 5, W = 6;
#define ROWS (N * H * W)

typedef struct chan_case {
    int64_t c;
    int align;
} chan_case;
static const chan_case chans[] = {{3, 8},   {5, 8},   {8, 8},   {20, 8},
                                  {20, 16}, {48, 16}, {20, 32}, {5, 32}};
#define NCHANS ((int)(sizeof chans / sizeof chans[0]))

static const tg_fmt fmts[] = {TG_FLOAT32, TG_BFLOAT16, TG_BFLOAT8_B};

/* ---- the specs ---- */

typedef struct spec_case {
    char name[64];
    tg_shard_spec spec;
} spec_case;

static int64_t cdiv(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

static int64_t rup(int64_t a, int64_t b) {
    return cdiv(a, b) * b;
}

static int imin(int a, int b) {
    return a < b ? a : b;
}

static int imax(int a, int b) {
    return a > b ? a : b;
}

/* Adds a spec of [ROWS, c]; shard_w 0 is the least that covers the channels. */
static void push_spec(spec_case *cs, int *n, const char *name, tg_shard_layout l, tg_grid box,
                      int row_parts, int col_parts, int64_t shard_h, int64_t shard_w, int64_t c,
                      int align, bool transpose) {
    int64_t cp = rup(c, align);
    if (!shard_w) shard_w = rup(cdiv(cp, col_parts), align);
    tg_shard_shape sh = {box, row_parts, col_parts, shard_h, shard_w, align};
    spec_case *k = &cs[*n];
    snprintf(k->name, sizeof k->name, "%s C=%lld align %d", name, (long long)c, align);
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make_shape(l, ROWS, c, &sh, transpose, &k->spec), TG_OK);
    (*n)++;
}

/* The explicit specs of [ROWS, c] on this machine's grid (at most MAX_CASES). */
#define MAX_CASES 8
static int make_cases(int64_t c, int align, spec_case *cs) {
    tg_grid g = tg_core_self()->grid;
    int P = g.w * g.h, n = 0;
    int parts = imax(1, P - (P >= 9 ? 2 : P > 1 ? 1 : 0)); /* 3 of 4, 7 of 9 */
    int slices = (int)(rup(c, align) / align);
    push_spec(cs, &n, "height, first cores, exact rows", TG_SHARD_HEIGHT, g, parts, 1,
              cdiv(ROWS, parts), 0, c, align, false);
    push_spec(cs, &n, "height, first cores, rows in tiles", TG_SHARD_HEIGHT, g, parts, 1,
              rup(cdiv(ROWS, parts), 32), 0, c, align, false);
    /* a shard wider than the channels need (a tile's width) */
    push_spec(cs, &n, "height, first cores, 32-wide shard", TG_SHARD_HEIGHT, g, parts, 1,
              cdiv(ROWS, parts), rup(c, 32), c, align, false);
    tg_grid low = {g.w, imax(1, g.h - 1)};
    int lp = imax(1, low.w * low.h - 1);
    push_spec(cs, &n, "height, smaller box", TG_SHARD_HEIGHT, low, lp, 1, cdiv(ROWS, lp), 0, c,
              align, false);
    push_spec(cs, &n, "width, fewer slices than cores", TG_SHARD_WIDTH, g, 1,
              imin(imax(1, P - 1), slices), ROWS, 0, c, align, false);
    int brows = imax(1, g.h - 1);
    push_spec(cs, &n, "block, box bigger than parts", TG_SHARD_BLOCK, g, brows,
              imin(imax(1, g.w - 1), slices), cdiv(ROWS, brows), 0, c, align, false);
    int trows = imax(1, g.w - 1);
    push_spec(cs, &n, "block transposed, box bigger than parts", TG_SHARD_BLOCK, g, trows,
              imin(imax(1, g.h - 1), slices), cdiv(ROWS, trows), 0, c, align, true);
    return n;
}

/* Whether a spec can hold a format (bfloat8_b: whole blocks of 16 per shard row). */
static bool holds_fmt(const tg_shard_spec *s, tg_fmt f) {
    return f != TG_BFLOAT8_B || s->shard_w % 16 == 0;
}

/* ---- the references ---- */

/* The same seeded values on every rank: element i of a tensor. */
static float value(unsigned long long seed, int64_t i) {
    tg_rng r;
    tg_rng_seed(&r, seed * 1000003ULL + (unsigned long long)i);
    return tg_rng_float(&r) * 4.0f;
}

/* Rounds each row of m [rows, c] to the format as a device row holds it: padded with
 * zeros to whole blocks of 16 (bfloat8_b's, aligned to channel 0; every shard of a
 * bfloat8_b tensor starts on a block). */
static void round_rows(tg_fmt f, float *m, int64_t rows, int64_t c) {
    int64_t w = rup(c, 16);
    float *row = calloc((size_t)w, sizeof *row);
    for (int64_t r = 0; r < rows; r++) {
        memset(row, 0, (size_t)w * sizeof *row);
        memcpy(row, m + r * c, (size_t)c * sizeof *row);
        tg_fmt_round(f, row, w);
        memcpy(m + r * c, row, (size_t)c * sizeof *row);
    }
    free(row);
}

/* The input matrix [rows, c] of seed, as format f holds it. */
static float *reference(unsigned long long seed, int64_t rows, int64_t c, tg_fmt f) {
    float *m = malloc((size_t)(rows * c) * sizeof *m);
    for (int64_t i = 0; i < rows * c; i++) m[i] = value(seed, i);
    round_rows(f, m, rows, c);
    return m;
}

/* ---- tensors ---- */

static void fill_dram(tg_tensor *d, unsigned long long seed) {
    int64_t r0, r1;
    tg_tensor_host_rows(d, &r0, &r1);
    float *rows = malloc((size_t)((r1 - r0) * d->c + 1) * sizeof *rows);
    for (int64_t i = r0 * d->c; i < r1 * d->c; i++) rows[i - r0 * d->c] = value(seed, i);
    CU_ASSERT_EQUAL(tg_noc_sync(tg_tensor_write_host_rows(d, r0, r1, rows)), TG_OK);
    free(rows);
}

/* Every byte of this rank's host rows of a DRAM tensor set to 0xff (NaN in float32
 * and bfloat16), so that padding a reshard fails to write shows. */
static void spoil_dram(tg_tensor *d) {
    int64_t r0, r1;
    tg_tensor_host_rows(d, &r0, &r1);
    size_t bytes = (size_t)(r1 - r0) * d->row_bytes;
    uint8_t *pages = malloc(bytes + 1);
    memset(pages, 0xff, bytes + 1);
    tg_status st = r1 > r0 ? tg_dram_write_host(&d->dram, r0, r1 - r0, pages, d->row_bytes) : TG_OK;
    CU_ASSERT_EQUAL(tg_noc_sync(st), TG_OK);
    free(pages);
}

/* This core's whole shard set to 0xff, so that rows or channels a reshard fails to
 * write or zero show. */
static void spoil_l1(tg_tensor *t) {
    memset(tg_l1_ptr(t->l1_off), 0xff, tg_tensor_shard_bytes(t));
}

static void alloc_spec(tg_tensor *t, const int64_t shape[4], tg_fmt f, const tg_shard_spec *s) {
    CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_spec(t, "test:shaped", shape, f, s), TG_OK);
}

/* An L1 tensor on spec s holding value(seed, .), through DRAM. */
static void make_l1(tg_tensor *t, const int64_t shape[4], tg_fmt f, const tg_shard_spec *s,
                    unsigned long long seed) {
    tg_tensor d;
    CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_dram(&d, "test:host", shape, f), TG_OK);
    fill_dram(&d, seed);
    alloc_spec(t, shape, f, s);
    CU_ASSERT_EQUAL(tg_tensor_reshard(&d, t), TG_OK);
    tg_tensor_free(&d);
}

/* Values of this core's L1 shard of t that differ from want [rows, C]: inside its part
 * the value, everywhere else in the allocation 0. A core whose part is empty (beyond
 * the spec's parts, or past the matrix's end) is written by no op and read by none. */
static int64_t check_l1(const tg_tensor *t, const float *want) {
    tg_shard_range r = tg_tensor_my_range(t);
    if (tg_shard_range_empty(r)) return 0;
    int64_t w = t->spec.shard_w, bad = 0;
    float *row = malloc((size_t)w * sizeof *row);
    for (int64_t i = 0; i < t->spec.shard_h; i++) {
        tg_fmt_unpack(t->fmt, tg_tensor_row(t, i), w, row);
        for (int64_t j = 0; j < w; j++) {
            int64_t gr = r.r0 + i, gc = r.c0 + j;
            bool in = gr < r.r1 && gc < r.c1;
            float e = in ? want[gr * t->c + gc] : 0.0f;
            bad += memcmp(&row[j], &e, sizeof e) != 0;
        }
    }
    free(row);
    return bad;
}

/* Values of this rank's host rows of DRAM tensor t that differ from want [rows, C],
 * padding channels (which must be 0) included. Collective. */
static int64_t check_dram(const tg_tensor *t, const float *want) {
    int64_t r0, r1, bad = 0, w = t->cols_padded;
    tg_tensor_host_rows(t, &r0, &r1);
    uint8_t *pages = malloc((size_t)(r1 - r0) * t->row_bytes + 1);
    float *row = malloc((size_t)w * sizeof *row);
    tg_status st = r1 > r0 ? tg_dram_read_host(&t->dram, r0, r1 - r0, pages, t->row_bytes) : TG_OK;
    CU_ASSERT_EQUAL(tg_noc_sync(st), TG_OK);
    for (int64_t r = r0; r < r1; r++) {
        tg_fmt_unpack(t->fmt, pages + (size_t)(r - r0) * t->row_bytes, w, row);
        for (int64_t c = 0; c < w; c++) {
            float e = c < t->c ? want[r * t->c + c] : 0.0f;
            bad += memcmp(&row[c], &e, sizeof e) != 0;
        }
    }
    free(row), free(pages);
    return bad;
}

/* ---- the traffic ---- */

/* Mismatches (summed over ranks) between the scope closed last and the plan's traffic
 * and L1 high-water mark; the first few are printed. Collective. */
static int traffic_mismatches(const char *what, const tg_traffic *t, size_t l1_high_water) {
    tg_core *c = tg_core_self();
    int n = tg_stats_close(), bad = 0;
    tg_stats_record rec = tg_stats_record_at(n - 1);
    const tg_counters *k = rec.k, *want = &t->core[c->rank];
#define FIELD(f)                                                                                   \
    if (k->f != want->f && bad++ < 3)                                                              \
        fprintf(stderr, "rank %d: %s: " #f " counted %llu, planned %llu\n", c->rank, what,         \
                (unsigned long long)k->f, (unsigned long long)want->f);
    FIELD(noc_read_bytes)
    FIELD(noc_write_bytes)
    FIELD(noc_mcast_bytes)
    FIELD(noc_transactions)
    FIELD(hops)
    FIELD(dram_read_bytes)
    FIELD(dram_write_bytes)
#undef FIELD
    if (k->l1_high_water != l1_high_water && bad++ < 3)
        fprintf(stderr, "rank %d: %s: L1 high water %zu, planned %zu\n", c->rank, what,
                k->l1_high_water, l1_high_water);
    int nl = t->ncores * TG_LINK_DIRS, nv = nl + t->nbanks;
    uint64_t *mine = calloc((size_t)nv, sizeof *mine), *sum = calloc((size_t)nv, sizeof *sum);
    if (rec.links) memcpy(mine, rec.links, (size_t)nl * sizeof *mine);
    if (rec.banks) memcpy(mine + nl, rec.banks, (size_t)t->nbanks * sizeof *mine);
    MPI_Allreduce(mine, sum, nv, MPI_UINT64_T, MPI_SUM, tg_noc_comm());
    for (int i = 0; c->rank == 0 && i < nv; i++) {
        uint64_t planned = i < nl ? t->links[i] : t->banks[i - nl];
        if (sum[i] != planned && bad++ < 3)
            fprintf(stderr, "%s: %s %d counted %llu B, planned %llu B\n", what,
                    i < nl ? "link" : "DRAM bank", i < nl ? i : i - nl, (unsigned long long)sum[i],
                    (unsigned long long)planned);
    }
    free(mine), free(sum);
    int total = 0;
    MPI_Allreduce(&bad, &total, 1, MPI_INT, MPI_SUM, tg_noc_comm());
    return total;
}

/* Reshards src into dst (both allocated) in a statistics scope and checks its traffic
 * against the plan's (a reshard allocates nothing). */
static void reshard_checked(const char *what, const tg_tensor *src, tg_tensor *dst) {
    tg_machine m = tg_machine_self();
    tg_reshard_plan rp;
    tg_traffic tr;
    CU_ASSERT_EQUAL_FATAL(tg_reshard_plan_make(src, dst, &rp), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_traffic_init(&tr, &m), TG_OK);
    tg_reshard_traffic(&rp, &m, &tr);
    size_t in_use = tg_core_l1()->in_use;
    tg_stats_begin("test:reshard");
    CU_ASSERT_EQUAL(tg_reshard_run(&rp, src, dst), TG_OK);
    tg_stats_end();
    CU_ASSERT_EQUAL(traffic_mismatches(what, &tr, in_use), 0);
    tg_traffic_destroy(&tr);
}

/* Runs body(c, align, spec, fmt, name) for every channel case, spec and format. */
typedef void (*case_fn)(const chan_case *cc, const spec_case *sc, tg_fmt f, int index);
static void each_case(case_fn fn) {
    spec_case cs[MAX_CASES];
    for (int k = 0; k < NCHANS; k++) {
        int n = make_cases(chans[k].c, chans[k].align, cs);
        for (int i = 0; i < n; i++)
            for (int fi = 0; fi < 3; fi++)
                if (holds_fmt(&cs[i].spec, fmts[fi])) fn(&chans[k], &cs[i], fmts[fi], i);
    }
}

static void report(int64_t bad, const char *what, const spec_case *sc, tg_fmt f) {
    if (bad)
        fprintf(stderr, "rank %d: %s, %s, %s: %lld values differ\n", tg_core_self()->rank, what,
                sc->name, tg_fmt_name(f), (long long)bad);
    CU_ASSERT_EQUAL(bad, 0);
}

/* ---- io ---- */

static char path_in[64], path_out[64];

/* Writes value(seed, .) [N, H, W, C] to path_in:/x with plain HDF5 (rank 0 writes). */
static void write_input(int64_t c, unsigned long long seed) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, tg_noc_comm(), MPI_INFO_NULL);
    hid_t f = H5Fcreate(path_in, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    hsize_t d[4] = {(hsize_t)N, (hsize_t)H, (hsize_t)W, (hsize_t)c};
    float *buf = malloc((size_t)(ROWS * c) * sizeof *buf);
    for (int64_t i = 0; i < ROWS * c; i++) buf[i] = value(seed, i);
    hid_t sp = H5Screate_simple(4, d, NULL);
    hid_t ds = H5Dcreate2(f, "/x", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (tg_core_self()->rank != 0) H5Sselect_none(sp);
    hid_t ms = H5Scopy(sp);
    H5Dwrite(ds, H5T_NATIVE_FLOAT, ms, sp, H5P_DEFAULT, buf);
    H5Sclose(ms), H5Sclose(sp), H5Dclose(ds), H5Fclose(f);
    free(buf);
}

/* Reads path_out:/y [ROWS * c] whole with plain HDF5. */
static float *read_output(int64_t c) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, tg_noc_comm(), MPI_INFO_NULL);
    hid_t f = H5Fopen(path_out, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    float *buf = calloc((size_t)(ROWS * c), sizeof *buf);
    hid_t ds = f >= 0 ? H5Dopen2(f, "/y", H5P_DEFAULT) : -1;
    CU_ASSERT(ds >= 0);
    if (ds >= 0) {
        hid_t sp = H5Dget_space(ds);
        hssize_t n = H5Sget_simple_extent_npoints(sp);
        CU_ASSERT_EQUAL(n, ROWS * c);
        if (n == ROWS * c) H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        H5Sclose(sp), H5Dclose(ds);
    }
    if (f >= 0) H5Fclose(f);
    return buf;
}

static int64_t io_chan = -1;

static void io_case(const chan_case *cc, const spec_case *sc, tg_fmt f, int index) {
    (void)index;
    int64_t shape[4] = {N, H, W, cc->c};
    if (io_chan != cc->c) {
        write_input(cc->c, 70);
        io_chan = cc->c;
    }
    float *want = reference(70, ROWS, cc->c, f);
    tg_io_file *in = NULL, *out = NULL;
    tg_tensor t;
    alloc_spec(&t, shape, f, &sc->spec);
    spoil_l1(&t);
    CU_ASSERT_EQUAL_FATAL(tg_io_open(path_in, &in), TG_OK);
    CU_ASSERT_EQUAL(tg_io_load_tensor(in, "/x", &t), TG_OK);
    tg_io_close(in);
    report(check_l1(&t, want), "io load", sc, f);
    if (tg_core_self()->rank == 0) remove(path_out); /* no dataset of an earlier case */
    CU_ASSERT_EQUAL_FATAL(tg_io_create(path_out, &out), TG_OK);
    CU_ASSERT_EQUAL(tg_io_store_tensor(&t, out, "/y", "test"), TG_OK);
    CU_ASSERT_EQUAL(tg_io_commit(out), TG_OK);
    tg_tensor_free(&t);
    float *got = read_output(cc->c);
    int64_t bad = 0;
    for (int64_t i = 0; i < ROWS * cc->c; i++) bad += memcmp(&got[i], &want[i], sizeof *got) != 0;
    report(bad, "io store", sc, f);
    free(got), free(want);
}

static void shapes_io_round_trip(void) {
    tg_core *c = tg_core_self();
    snprintf(path_in, sizeof path_in, "shapes_in_np%d.h5", c->nranks);
    snprintf(path_out, sizeof path_out, "shapes_out_np%d.h5", c->nranks);
    io_chan = -1;
    each_case(io_case);
    if (c->rank == 0) remove(path_in), remove(path_out);
}

/* ---- reshard ---- */

static void reshard_case(const chan_case *cc, const spec_case *sc, tg_fmt f, int index) {
    int64_t shape[4] = {N, H, W, cc->c};
    float *want = reference(71, ROWS, cc->c, f);
    tg_tensor a, d, rect, back, other;
    char what[160];
    /* DRAM -> spec over a spoiled shard */
    CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_dram(&d, "test:dram", shape, f), TG_OK);
    fill_dram(&d, 71);
    alloc_spec(&a, shape, f, &sc->spec);
    spoil_l1(&a);
    snprintf(what, sizeof what, "DRAM -> %s", sc->name);
    reshard_checked(what, &d, &a);
    report(check_l1(&a, want), what, sc, f);
    /* spec -> spoiled DRAM pages: padding written as zeros */
    spoil_dram(&d);
    snprintf(what, sizeof what, "%s -> DRAM", sc->name);
    reshard_checked(what, &a, &d);
    report(check_dram(&d, want), what, sc, f);
    /* spec -> a rectangle of another layout (TTNN-free tg_shard_spec_make) -> spec */
    tg_shard_layout other_l = sc->spec.layout == TG_SHARD_HEIGHT ? TG_SHARD_BLOCK : TG_SHARD_HEIGHT;
    CU_ASSERT_EQUAL_FATAL(
        tg_tensor_alloc(&rect, "test:rect", shape, f, other_l, tg_core_self()->grid, false, true),
        TG_OK);
    spoil_l1(&rect);
    snprintf(what, sizeof what, "%s -> %s rectangle", sc->name, tg_shard_name(other_l));
    reshard_checked(what, &a, &rect);
    report(check_l1(&rect, want), what, sc, f);
    alloc_spec(&back, shape, f, &sc->spec);
    spoil_l1(&back);
    snprintf(what, sizeof what, "%s rectangle -> %s", tg_shard_name(other_l), sc->name);
    reshard_checked(what, &rect, &back);
    report(check_l1(&back, want), what, sc, f);
    /* spec -> the next explicit spec of the list */
    spec_case cs[MAX_CASES];
    int n = make_cases(cc->c, cc->align, cs);
    const spec_case *next = &cs[(index + 1) % n];
    if (holds_fmt(&next->spec, f)) {
        alloc_spec(&other, shape, f, &next->spec);
        spoil_l1(&other);
        snprintf(what, sizeof what, "%s -> %s", sc->name, next->name);
        reshard_checked(what, &a, &other);
        report(check_l1(&other, want), what, sc, f);
        tg_tensor_free(&other);
    }
    tg_tensor_free(&back), tg_tensor_free(&rect), tg_tensor_free(&a), tg_tensor_free(&d);
    free(want);
}

static void shapes_reshard_between_specs_and_dram(void) {
    each_case(reshard_case);
}

/* ---- max pool ---- */

/* The naive max pool 3x3 / 2, padding 1, of in [ROWS, c] into [N*3*3, c], rounded as
 * the format holds a row. */
static float *naive_max(const float *in, int64_t c, tg_fmt f, int64_t *out_rows) {
    int64_t ho = (H - 1) / 2 + 1, wo = (W - 1) / 2 + 1;
    *out_rows = N * ho * wo;
    float *out = malloc((size_t)(*out_rows * c) * sizeof *out);
    for (int64_t o = 0; o < *out_rows; o++)
        for (int64_t ch = 0; ch < c; ch++) {
            int64_t n = o / (ho * wo), oy = o / wo % ho, ox = o % wo;
            float m = -INFINITY;
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++) {
                    int64_t y = oy * 2 + ky - 1, x = ox * 2 + kx - 1;
                    if (y < 0 || y >= H || x < 0 || x >= W) continue;
                    float v = in[((n * H + y) * W + x) * c + ch];
                    if (v > m) m = v;
                }
            out[o * c + ch] = m;
        }
    round_rows(f, out, *out_rows, c);
    return out;
}

static bool same_shards(const tg_shard_spec *a, const tg_shard_spec *b) {
    return a->layout == b->layout && a->grid.w == b->grid.w && a->grid.h == b->grid.h &&
           a->transpose == b->transpose && a->row_parts == b->row_parts &&
           a->col_parts == b->col_parts && a->align == b->align && a->shard_h == b->shard_h &&
           a->shard_w == b->shard_w && a->rows == b->rows && a->cols == b->cols;
}

/* Pools an L1 input on spec sc in `layout` (the input's own: kept; another: staged). */
static void maxpool_once(const chan_case *cc, const spec_case *sc, tg_fmt f,
                         tg_shard_layout layout) {
    tg_machine m = tg_machine_self();
    int64_t shape[4] = {N, H, W, cc->c};
    tg_maxpool2d_params p = {.n = N,
                             .h = H,
                             .w = W,
                             .c = cc->c,
                             .kh = 3,
                             .kw = 3,
                             .sh = 2,
                             .sw = 2,
                             .dh = 1,
                             .dw = 1,
                             .pad_t = 1,
                             .pad_b = 1,
                             .pad_l = 1,
                             .pad_r = 1,
                             .layout = layout,
                             .snap = true,
                             .fmt = f};
    tg_tensor in, out;
    make_l1(&in, shape, f, &sc->spec, 72);
    float *x = reference(72, ROWS, cc->c, f);
    int64_t out_rows;
    float *want = naive_max(x, cc->c, f, &out_rows);
    tg_maxpool2d_plan pl;
    CU_ASSERT_EQUAL_FATAL(tg_maxpool2d_plan_fit(&p, &m, tg_core_l1(), &in, false, &pl), TG_OK);
    bool kept = layout == sc->spec.layout;
    CU_ASSERT_EQUAL(pl.kept, kept);
    CU_ASSERT_EQUAL(pl.staged, !kept);
    if (kept) {
        tg_shard_spec like;
        CU_ASSERT_EQUAL_FATAL(tg_shard_spec_like(&sc->spec, out_rows, cc->c, &like), TG_OK);
        CU_ASSERT(same_shards(&pl.out.spec, &like));
    }
    tg_stats_begin("test:maxpool2d");
    CU_ASSERT_EQUAL(tg_maxpool2d_run(&pl, &in, &out), TG_OK);
    tg_stats_end();
    char what[160];
    snprintf(what, sizeof what, "maxpool2d %s on %s", tg_shard_name(layout), sc->name);
    CU_ASSERT_EQUAL(traffic_mismatches(what, &pl.traffic, pl.l1.high_water), 0);
    CU_ASSERT(same_shards(&out.spec, &pl.out.spec));
    report(check_l1(&out, want), what, sc, f);
    /* the cores of the box beyond the input's parts build no halo and pool nothing */
    for (int core = 0; kept && core < tg_machine_cores(&m); core++) {
        int i = tg_shard_rank_core(&sc->spec, m.grid, core);
        if (i >= 0 && tg_shard_core_holds(&sc->spec, i)) continue;
        const tg_counters *k = &pl.traffic.core[core];
        CU_ASSERT_EQUAL(k->noc_read_bytes + k->noc_write_bytes + k->noc_transactions, 0);
    }
    tg_tensor_free(&out), tg_tensor_free(&in);
    tg_maxpool2d_plan_free(&pl);
    free(x), free(want);
}

static void maxpool_case(const chan_case *cc, const spec_case *sc, tg_fmt f, int index) {
    (void)index;
    maxpool_once(cc, sc, f, sc->spec.layout);
    if (f == TG_BFLOAT16)
        maxpool_once(cc, sc, f,
                     sc->spec.layout == TG_SHARD_HEIGHT ? TG_SHARD_BLOCK : TG_SHARD_HEIGHT);
}

static void shapes_maxpool2d_matches_naive_max(void) {
    each_case(maxpool_case);
}

/* ---- add ---- */

static void add_case(const chan_case *cc, const spec_case *sc, tg_fmt f, int index) {
    (void)index;
    tg_machine m = tg_machine_self();
    int64_t shape[4] = {N, H, W, cc->c}, c = cc->c;
    float *xa = reference(73, ROWS, c, f), *xb = reference(74, ROWS, c, f);
    float *want = malloc((size_t)(ROWS * c) * sizeof *want);
    for (int64_t i = 0; i < ROWS * c; i++) {
        float s = xa[i] + xb[i];
        want[i] = s < 0 ? 0.0f : s;
    }
    round_rows(f, want, ROWS, c);
    /* b on the same spec, on a height rectangle of the grid, in DRAM */
    for (int bk = 0; bk < 3; bk++) {
        tg_tensor a, b;
        make_l1(&a, shape, f, &sc->spec, 73);
        if (bk == 0) {
            make_l1(&b, shape, f, &sc->spec, 74);
        } else if (bk == 1) {
            tg_shard_spec rect;
            CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make(TG_SHARD_HEIGHT, ROWS, c, tg_core_self()->grid,
                                                     false, true, &rect),
                                  TG_OK);
            make_l1(&b, shape, f, &rect, 74);
        } else {
            CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_dram(&b, "test:b", shape, f), TG_OK);
            fill_dram(&b, 74);
        }
        tg_add_plan pl;
        CU_ASSERT_EQUAL_FATAL(tg_add_plan_fit(&a, &b, true, &m, tg_core_l1(), false, &pl), TG_OK);
        /* a rectangle may place the rows and channels as the spec does */
        CU_ASSERT_EQUAL(pl.moved, bk == 2 || !tg_tensor_same_spec(&b, &a.spec));
        tg_stats_begin("test:add");
        CU_ASSERT_EQUAL(tg_add_run(&pl, &a, &b), TG_OK);
        tg_stats_end();
        char what[160];
        snprintf(what, sizeof what, "add, b %s, on %s",
                 bk == 0   ? "alike"
                 : bk == 1 ? "on a rectangle"
                           : "in DRAM",
                 sc->name);
        CU_ASSERT_EQUAL(traffic_mismatches(what, &pl.traffic, pl.l1.high_water), 0);
        report(check_l1(&a, want), what, sc, f);
        tg_add_plan_free(&pl);
        tg_tensor_free(&b), tg_tensor_free(&a);
    }
    free(xa), free(xb), free(want);
}

static void shapes_add_matches_naive_sum(void) {
    each_case(add_case);
}

/* ---- average pool ---- */

static void avgpool_case(const chan_case *cc, const spec_case *sc, tg_fmt f, int index) {
    (void)index;
    tg_machine m = tg_machine_self();
    int64_t shape[4] = {N, H, W, cc->c}, c = cc->c;
    float *x = reference(75, ROWS, c, f);
    float *want = malloc((size_t)(N * c) * sizeof *want);
    for (int64_t n = 0; n < N; n++)
        for (int64_t ch = 0; ch < c; ch++) {
            double s = 0;
            for (int64_t i = 0; i < H * W; i++) s += (double)x[(n * H * W + i) * c + ch];
            want[n * c + ch] = (float)(s / (double)(H * W));
        }
    round_rows(f, want, N, c);
    tg_tensor in, out, junk;
    make_l1(&in, shape, f, &sc->spec, 75);
    /* leave spoiled pages where the pool's interleaved copy of the input will be made */
    CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_dram(&junk, "test:junk", shape, f), TG_OK);
    spoil_dram(&junk);
    tg_tensor_free(&junk);
    tg_avgpool_plan pl;
    CU_ASSERT_EQUAL_FATAL(tg_avgpool_plan_fit(&in, &m, tg_core_l1(), &pl), TG_OK);
    CU_ASSERT(pl.staged);
    tg_stats_begin("test:avgpool");
    CU_ASSERT_EQUAL(tg_avgpool_run(&pl, &in, &out), TG_OK);
    tg_stats_end();
    char what[160];
    snprintf(what, sizeof what, "avgpool from %s", sc->name);
    CU_ASSERT_EQUAL(traffic_mismatches(what, &pl.traffic, pl.l1.high_water), 0);
    report(check_dram(&out, want), what, sc, f);
    tg_avgpool_plan_free(&pl);
    tg_tensor_free(&out), tg_tensor_free(&in);
    free(x), free(want);
}

static void shapes_avgpool_matches_naive_mean(void) {
    each_case(avgpool_case);
}

static void register_shapes(void) {
    tg_test_suite("shapes", "shapes_io_round_trip", shapes_io_round_trip,
                  "shapes_reshard_between_specs_and_dram", shapes_reshard_between_specs_and_dram,
                  "shapes_maxpool2d_matches_naive_max", shapes_maxpool2d_matches_naive_max,
                  "shapes_add_matches_naive_sum", shapes_add_matches_naive_sum,
                  "shapes_avgpool_matches_naive_mean", shapes_avgpool_matches_naive_mean, NULL);
}

int main(int argc, char **argv) {
    return tg_test_main(argc, argv, register_shapes, true);
}
