/* MPI tests of io/: HDF5 round trips of sharded tensors, bitwise, at any rank count.
 *
 * Each case writes a random tensor with plain HDF5 calls (NHWC, or NCHW with the
 * layout attribute), loads it through io's one road for tensors (tg_io_load_tensor:
 * the host's rows into DRAM, then resharded into L1 shards of every layout), checks
 * each core's shard, stores it back (tg_io_store_tensor) and compares what the file
 * then holds with the values the test made. A failure on some ranks only must end
 * as the same error on every rank, without a hang. */
#include <dirent.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "noc_mpi.h"
#include "tg_test.h"

static char path_in[256], path_out[256];

static void make_paths(void) {
    tg_core *c = tg_core_self();
    snprintf(path_in, sizeof path_in, "io_in_np%d.h5", c->nranks);
    snprintf(path_out, sizeof path_out, "io_out_np%d.h5", c->nranks);
}

/* Writes data [N, H, W, C] to path_in:/x as NHWC, or as NCHW with the attribute. */
static void write_input(const int64_t s[4], const float *data, bool nchw) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, tg_noc_comm(), MPI_INFO_NULL);
    hid_t f = H5Fcreate(path_in, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    hsize_t d[4];
    int64_t total = s[0] * s[1] * s[2] * s[3];
    float *buf = malloc((size_t)total * sizeof *buf);
    if (nchw) {
        d[0] = (hsize_t)s[0], d[1] = (hsize_t)s[3], d[2] = (hsize_t)s[1], d[3] = (hsize_t)s[2];
        for (int64_t n = 0; n < s[0]; n++)
            for (int64_t h = 0; h < s[1]; h++)
                for (int64_t w = 0; w < s[2]; w++)
                    for (int64_t c = 0; c < s[3]; c++)
                        buf[((n * s[3] + c) * s[1] + h) * s[2] + w] =
                            data[((n * s[1] + h) * s[2] + w) * s[3] + c];
    } else {
        for (int i = 0; i < 4; i++) d[i] = (hsize_t)s[i];
        memcpy(buf, data, (size_t)total * sizeof *buf);
    }
    hid_t sp = H5Screate_simple(4, d, NULL);
    hid_t ds = H5Dcreate2(f, "/x", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (nchw) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 5);
        hid_t as = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(ds, "layout", t, as, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, t, "NCHW");
        H5Aclose(a), H5Sclose(as), H5Tclose(t);
    }
    if (tg_core_self()->rank != 0) H5Sselect_none(sp);
    hid_t ms = H5Scopy(sp);
    H5Dwrite(ds, H5T_NATIVE_FLOAT, ms, sp, H5P_DEFAULT, buf);
    H5Sclose(ms), H5Sclose(sp), H5Dclose(ds), H5Fclose(f);
    free(buf);
}

/* Reads path_out:/y whole on every rank. */
static float *read_output(int64_t total) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, tg_noc_comm(), MPI_INFO_NULL);
    hid_t f = H5Fopen(path_out, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    float *buf = calloc((size_t)total, sizeof *buf);
    hid_t ds = H5Dopen2(f, "/y", H5P_DEFAULT);
    CU_ASSERT(ds >= 0);
    if (ds >= 0) {
        hid_t sp = H5Dget_space(ds);
        CU_ASSERT_EQUAL(H5Sget_simple_extent_npoints(sp), total);
        H5Sclose(sp);
        H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        H5Dclose(ds);
    }
    H5Fclose(f);
    return buf;
}

/* Files in the working folder whose names start with prefix (rank 0 looks; every rank
 * gets its count). */
static int files_starting(const char *prefix) {
    int n = 0;
    if (tg_core_self()->rank == 0) {
        DIR *d = opendir(".");
        struct dirent *e;
        while (d && (e = readdir(d))) n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
        if (d) closedir(d);
    }
    MPI_Bcast(&n, 1, MPI_INT, 0, tg_noc_comm());
    return n;
}

/* Every file, dataset, group, named datatype and attribute io opened is closed,
 * on the error paths too. */
static void assert_nothing_open(void) {
    CU_ASSERT_EQUAL(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

/* Checks this core's part of t against data [N, H, W, C] (bitwise after rounding to
 * t's format, as `expect` holds it); returns the number of values that differ. */
static int64_t check_shard(const tg_tensor *t, const float *expect) {
    tg_shard_range r = tg_tensor_my_range(t);
    if (tg_shard_range_empty(r)) return 0;
    float *row = malloc((size_t)t->spec.shard_w * sizeof *row);
    int64_t bad = 0;
    for (int64_t i = 0; i < r.r1 - r.r0; i++) {
        tg_fmt_unpack(t->fmt, tg_tensor_row(t, i), t->spec.shard_w, row);
        for (int64_t c = r.c0; c < r.c1; c++)
            bad += memcmp(&row[c - r.c0], &expect[(r.r0 + i) * t->c + c], sizeof *row) != 0;
    }
    free(row);
    return bad;
}

/* One round trip through the road: the dataset is loaded into t (L1 shards of the
 * given layout, or DRAM when dram), each core's shard is checked, and t is stored
 * back. Returns the number of values that differ from `expect`. */
static int64_t round_trip(const int64_t s[4], bool nchw, bool dram, tg_shard_layout layout,
                          tg_grid cores, bool transpose, bool snap, tg_fmt fmt, const float *data,
                          const float *expect) {
    write_input(s, data, nchw);
    tg_io_file *in = NULL, *out = NULL;
    tg_tensor t;
    int64_t shape[4], bad = 0;
    CU_ASSERT_EQUAL_FATAL(tg_io_open(path_in, &in), TG_OK);
    CU_ASSERT_EQUAL(tg_io_tensor_shape(in, "/x", shape), TG_OK);
    CU_ASSERT(memcmp(shape, s, sizeof shape) == 0);
    tg_status st = dram ? tg_tensor_alloc_dram(&t, "test:dram", s, fmt)
                        : tg_tensor_alloc(&t, "test:shard", s, fmt, layout, cores, transpose, snap);
    CU_ASSERT_EQUAL_FATAL(st, TG_OK);
    CU_ASSERT_EQUAL(tg_io_load_tensor(in, "/x", &t), TG_OK);
    if (!dram) bad += check_shard(&t, expect);
    tg_io_close(in);
    CU_ASSERT_EQUAL_FATAL(tg_io_create(path_out, &out), TG_OK);
    CU_ASSERT_EQUAL(tg_io_store_tensor(&t, out, "/y", "test"), TG_OK);
    CU_ASSERT_EQUAL(tg_io_commit(out), TG_OK);
    tg_tensor_free(&t);
    int64_t total = s[0] * s[1] * s[2] * s[3];
    float *got = read_output(total);
    for (int64_t i = 0; i < total; i++) bad += memcmp(&got[i], &expect[i], sizeof *got) != 0;
    free(got);
    return bad;
}

static float *random_tensor(const int64_t s[4], unsigned long long seed) {
    int64_t total = s[0] * s[1] * s[2] * s[3];
    float *v = malloc((size_t)total * sizeof *v);
    tg_rng rng;
    tg_rng_seed(&rng, seed);
    for (int64_t i = 0; i < total; i++) v[i] = tg_rng_float(&rng) * 100.0f;
    return v;
}

static void io_round_trip_is_bitwise_for_all_layouts(void) {
    make_paths();
    tg_core *c = tg_core_self();
    /* Shapes with uneven rows and channels; small ones leave cores empty. */
    static const int64_t shapes[][4] = {
        {2, 7, 9, 40}, {1, 5, 3, 3}, {3, 4, 4, 70}, {1, 1, 1, 1}, {2, 3, 33, 17}};
    int nshapes = (int)(sizeof shapes / sizeof shapes[0]);
    for (int si = 0; si < nshapes; si++) {
        float *data = random_tensor(shapes[si], 100 + (unsigned long long)si);
        /* layouts 0-2: L1 height, width, block; 3: interleaved DRAM */
        for (int layout = 0; layout < 4; layout++)
            for (int variant = 0; variant < 4; variant++) {
                bool nchw = variant & 1, alt = variant & 2, dram = layout == 3;
                if (dram && alt) continue;
                /* alt: transposed block shards, unsnapped rows, a sub-grid of cores */
                tg_grid cores = c->grid;
                if (alt && cores.w > 1) cores.w--;
                int64_t bad = round_trip(shapes[si], nchw, dram,
                                         dram ? TG_SHARD_HEIGHT : (tg_shard_layout)layout, cores,
                                         alt, !alt, TG_FLOAT32, data, data);
                CU_ASSERT_EQUAL(bad, 0);
                if (bad)
                    fprintf(stderr, "shape %d layout %d variant %d: %lld values differ\n", si,
                            layout, variant, (long long)bad);
            }
        free(data);
    }
    assert_nothing_open();
}

/* bfloat16 in L1 and in DRAM, through both NoC mechanisms. */
static void bfloat16_round_trips(void) {
    const int64_t s[4] = {2, 6, 5, 48};
    float *data = random_tensor(s, 5);
    int64_t total = s[0] * s[1] * s[2] * s[3];
    float *expect = malloc((size_t)total * sizeof *expect);
    for (int64_t i = 0; i < total; i++) expect[i] = tg_bf16_round(data[i]);
    for (int dram = 0; dram < 2; dram++)
        CU_ASSERT_EQUAL(round_trip(s, false, dram, TG_SHARD_BLOCK, tg_core_self()->grid, false,
                                   true, TG_BFLOAT16, data, expect),
                        0);
    free(expect);
    free(data);
}

static void io_bfloat16_shards_hold_rounded_values(void) {
    make_paths();
    tg_test_each_noc_mode(bfloat16_round_trips);
    assert_nothing_open();
}

static void io_errors_name_file_and_dataset(void) {
    make_paths();
    const int64_t s[4] = {1, 2, 2, 4};
    float *data = random_tensor(s, 9);
    write_input(s, data, false);
    free(data);
    tg_io_file *f = NULL;
    CU_ASSERT_EQUAL(tg_io_open("no_such_file.h5", &f), TG_ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "no_such_file.h5"));
    CU_ASSERT_EQUAL_FATAL(tg_io_open(path_in, &f), TG_OK);
    int64_t shape[4];
    CU_ASSERT_EQUAL(tg_io_tensor_shape(f, "/missing/deeper", shape), TG_ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "/missing/deeper"));
    tg_tensor t;
    const int64_t wrong[4] = {1, 2, 4, 2};
    CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc(&t, "t", wrong, TG_FLOAT32, TG_SHARD_HEIGHT,
                                          tg_core_self()->grid, false, true),
                          TG_OK);
    CU_ASSERT_EQUAL(tg_io_load_tensor(f, "/x", &t), TG_ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "[1, 2, 2, 4]"));
    tg_tensor_free(&t);
    tg_io_close(f);
    /* An aborted output leaves neither the final nor the temporary name. */
    remove("io_aborted.h5");
    tg_io_file *o = NULL;
    CU_ASSERT_EQUAL_FATAL(tg_io_create("io_aborted.h5", &o), TG_OK);
    tg_io_abort(o);
    MPI_Barrier(tg_noc_comm());
    FILE *probe = fopen("io_aborted.h5", "r");
    CU_ASSERT_PTR_NULL(probe);
    if (probe) fclose(probe);
    CU_ASSERT_EQUAL(files_starting(".io_aborted.h5."), 0); /* temporary file, lock */
    assert_nothing_open();
}

/* TTGRID_IO_FAULT at every rank-local step, on the last rank and on rank 0: every
 * rank returns the same failure, with the one line naming the step's errno, no rank
 * waits, nothing is left (no output, no temporary file, no lock), an existing output
 * keeps its datasets, and io works again afterwards (issue 12, items 1, 2 and 7). */
static void io_fault_at_every_step_is_everyones(void) {
    make_paths();
    tg_core *c = tg_core_self();
    const int64_t s[4] = {1, 6, 5, 24};
    float *data = random_tensor(s, 13);
    write_input(s, data, false);
    free(data);
    const char *out = "io_fault_out.h5";
    remove(out);
    /* a first output, so that the copy step runs */
    tg_io_file *f = NULL, *o = NULL;
    tg_tensor t;
    CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_dram(&t, "test:dram", s, TG_FLOAT32), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_io_open(path_in, &f), TG_OK);
    CU_ASSERT_EQUAL(tg_io_load_tensor(f, "/x", &t), TG_OK);
    tg_io_close(f);
    CU_ASSERT_EQUAL_FATAL(tg_io_create(out, &o), TG_OK);
    CU_ASSERT_EQUAL(tg_io_store_tensor(&t, o, "/first", "test"), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_io_commit(o), TG_OK);
    static const struct {
        const char *step, *err;
        tg_status st;
        bool root_only;
    } steps[] = {
        {"stat", "No such file", TG_ERR_USAGE, false},
        {"open", "Permission denied", TG_ERR_USAGE, false},
        {"create", "No space left", TG_ERR_RUNTIME, true},
        {"alloc", "out of host memory", TG_ERR_RUNTIME, false},
        {"write", "No space left", TG_ERR_RUNTIME, false},
        {"close", "No space left", TG_ERR_RUNTIME, false},
        {"copy", "No space left", TG_ERR_RUNTIME, true},
        {"rename", "Permission denied", TG_ERR_RUNTIME, true},
    };
    for (int i = 0; i < (int)(sizeof steps / sizeof steps[0]); i++)
        for (int who = 0; who < 2; who++) {
            int rank = who ? c->nranks - 1 : 0;
            if (steps[i].root_only && rank != 0) continue;
            char spec[64];
            snprintf(spec, sizeof spec, "%d:%s", rank, steps[i].step);
            CU_ASSERT_EQUAL_FATAL(tg_io_fault_setup(spec), TG_OK);
            /* the whole road of a command: open, load, create (copy), store, commit */
            tg_status st = tg_io_open(path_in, &f);
            if (st == TG_OK) {
                st = tg_io_load_tensor(f, "/x", &t);
                tg_io_close(f);
            }
            if (st == TG_OK) st = tg_io_create(out, &o);
            if (st == TG_OK) {
                st = tg_io_store_tensor(&t, o, "/second", "test");
                if (st == TG_OK)
                    st = tg_io_commit(o);
                else
                    tg_io_abort(o);
            }
            CU_ASSERT_EQUAL(st, steps[i].st);
            CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), steps[i].err));
            CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "TTGRID_IO_FAULT"));
            if (st != steps[i].st || !strstr(tg_err_msg(), steps[i].err))
                fprintf(stderr, "step %s on rank %d: status %d, '%s'\n", steps[i].step, rank,
                        (int)st, tg_err_msg());
            CU_ASSERT_EQUAL(files_starting(".io_fault_out.h5."), 0);
            tg_io_file *chk = NULL;
            CU_ASSERT_EQUAL_FATAL(tg_io_fault_setup(NULL), TG_OK);
            CU_ASSERT_EQUAL_FATAL(tg_io_open(out, &chk), TG_OK);
            CU_ASSERT(tg_io_exists(chk, "/first") && !tg_io_exists(chk, "/second"));
            tg_io_close(chk);
        }
    CU_ASSERT_EQUAL(tg_io_fault_setup("0:nowhere"), TG_ERR_USAGE);
    CU_ASSERT_EQUAL(tg_io_fault_setup(NULL), TG_OK);
    tg_tensor_free(&t);
    remove(out);
    assert_nothing_open();
}

/* Failures on some ranks only: every rank returns the same status with the message
 * of the lowest failing rank, and none is left waiting in a collective call. */
static void io_failure_on_some_ranks_is_everyones(void) {
    make_paths();
    tg_core *c = tg_core_self();
    const int64_t s[4] = {1, 4, 4, 8};
    float *data = random_tensor(s, 11);
    write_input(s, data, false);
    free(data);
    /* a file that only rank 0 can see */
    tg_io_file *f = NULL;
    tg_status st = tg_io_open(c->rank == 0 ? path_in : "io_only_on_rank0.h5", &f);
    CU_ASSERT_EQUAL(st, c->nranks == 1 ? TG_OK : TG_ERR_USAGE);
    if (st == TG_OK) {
        tg_io_close(f);
    } else {
        CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "io_only_on_rank0.h5"));
    }
    /* a dataset missing for the last rank only, found before the collective read */
    CU_ASSERT_EQUAL_FATAL(tg_io_open(path_in, &f), TG_OK);
    tg_tensor t;
    CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_dram(&t, "test:dram", s, TG_FLOAT32), TG_OK);
    CU_ASSERT_EQUAL(tg_io_load_tensor(f, c->rank == c->nranks - 1 ? "/missing" : "/x", &t),
                    TG_ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "/missing"));
    /* the file and the grid work afterwards */
    CU_ASSERT_EQUAL(tg_io_load_tensor(f, "/x", &t), TG_OK);
    tg_tensor_free(&t);
    tg_io_close(f);
    assert_nothing_open();
}

static void register_io(void) {
    tg_test_suite("io", "io_round_trip_is_bitwise_for_all_layouts",
                  io_round_trip_is_bitwise_for_all_layouts,
                  "io_bfloat16_shards_hold_rounded_values", io_bfloat16_shards_hold_rounded_values,
                  "io_errors_name_file_and_dataset", io_errors_name_file_and_dataset,
                  "io_failure_on_some_ranks_is_everyones", io_failure_on_some_ranks_is_everyones,
                  "io_fault_at_every_step_is_everyones", io_fault_at_every_step_is_everyones, NULL);
}

int main(int argc, char **argv) {
    return tg_test_main(argc, argv, register_io, true);
}
