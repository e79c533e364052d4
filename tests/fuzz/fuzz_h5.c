/* libFuzzer target: io's checks of the HDF5 files users give (issue 12, "What to build"
 * 7): the shape, type and layout attribute of a dataset, whole-array reads, the tensor
 * road into DRAM and back, and the copy of a dataset's attributes to an output.
 *
 * The input describes a small HDF5 file rather than being one: the dataset's rank
 * (0 to 9) and dimensions (zero, small, or large enough to overflow a product), its
 * type (float32 in either byte order, float64, a 16-bit float, integers, strings,
 * a compound), its "layout" attribute (absent, fixed or variable-length strings with
 * any bytes, an integer, a string array), more attributes of odd types, where it
 * sits (the root, a group, or a group where a dataset is expected) and its values.
 * The harness writes that file with serial HDF5 and runs io on it through one MPI
 * rank, as ttgrid does: every outcome must be TG_OK or an error with a message, and
 * io must leave no HDF5 object open. So the fuzzing is of ttgrid's checks, not of the
 * HDF5 library's parser of damaged files. */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "noc.h"
#include "tensor.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char in_path[64], out_path[64];

/* At exit (libFuzzer's -max_total_time ends with exit): the scratch files go too, so
 * that a run leaves nothing in /dev/shm. */
static void finish(void) {
    if (in_path[0]) unlink(in_path);
    if (out_path[0]) unlink(out_path);
    tg_noc_finalize();
    tg_noc_stop();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    /* one MPI rank without mpirun (a singleton), with the settings of scripts/env.sh */
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    setenv("OMPI_MCA_io", "romio321", 0);
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    tg_noc_start(argc, argv);
    tg_core_opts o = {.dram_bank_size = 1 << 20};
    if (tg_noc_init(&o, TG_NOC_ONE_SIDED) != TG_OK) abort();
    atexit(finish);
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : ".";
    snprintf(in_path, sizeof in_path, "%s/fuzz_h5_%d.h5", dir, (int)getpid());
    snprintf(out_path, sizeof out_path, "%s/fuzz_h5_out_%d.h5", dir, (int)getpid());
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return 0;
}

typedef struct reader {
    const uint8_t *d;
    size_t n, at;
} reader;

static uint32_t take(reader *r, int bytes) {
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++) v = v << 8 | (r->at < r->n ? r->d[r->at++] : 0);
    return v;
}

/* The dataset's file type, by selector. */
static hid_t file_type(uint32_t sel) {
    hid_t t;
    switch (sel % 8) {
    case 0:
        return H5Tcopy(H5T_IEEE_F32LE);
    case 1:
        return H5Tcopy(H5T_IEEE_F64LE);
    case 2:
        return H5Tcopy(H5T_IEEE_F32BE);
    case 3:
        t = H5Tcopy(H5T_IEEE_F32LE); /* a 16-bit float, as IEEE half */
        H5Tset_fields(t, 15, 10, 5, 0, 10);
        H5Tset_size(t, 2);
        H5Tset_ebias(t, 15);
        return t;
    case 4:
        return H5Tcopy(H5T_STD_I32LE);
    case 5:
        return H5Tcopy(H5T_STD_U8LE);
    case 6:
        t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 4);
        return t;
    default:
        t = H5Tcreate(H5T_COMPOUND, 8);
        H5Tinsert(t, "re", 0, H5T_IEEE_F32LE);
        H5Tinsert(t, "im", 4, H5T_IEEE_F32LE);
        return t;
    }
}

/* A string attribute name=value (fixed length with the given padding and character
 * set, or variable length). */
static void string_attr(hid_t obj, const char *name, const char *value, bool var, int pad,
                        bool utf8) {
    hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR);
    H5Tset_size(t, var ? H5T_VARIABLE : (strlen(value) ? strlen(value) : 1));
    H5Tset_strpad(t, pad == 0 ? H5T_STR_NULLTERM : pad == 1 ? H5T_STR_NULLPAD : H5T_STR_SPACEPAD);
    H5Tset_cset(t, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        if (var)
            H5Awrite(a, t, &value);
        else
            H5Awrite(a, t, value);
        H5Aclose(a);
    }
    H5Sclose(s), H5Tclose(t);
}

/* An attribute of another type: an int array, a double, a pair of strings, a vlen
 * sequence of ints. */
static void odd_attr(hid_t obj, const char *name, uint32_t sel) {
    hsize_t two = 2;
    hid_t s = sel % 4 == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &two, NULL);
    hid_t t = -1;
    int ints[2] = {7, -3};
    double d = 0.25;
    const char *strs[2] = {"NCHW", "NHWC"};
    hvl_t vl[2] = {{2, ints}, {1, ints}};
    const void *buf = ints;
    switch (sel % 4) {
    case 0:
        t = H5Tcopy(H5T_NATIVE_INT);
        break;
    case 1:
        t = H5Tcopy(H5T_NATIVE_DOUBLE), buf = &d;
        break;
    case 2:
        t = H5Tcopy(H5T_C_S1), buf = strs;
        H5Tset_size(t, H5T_VARIABLE);
        break;
    default:
        t = H5Tvlen_create(H5T_NATIVE_INT), buf = vl;
        break;
    }
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        H5Awrite(a, t, buf);
        H5Aclose(a);
    }
    H5Tclose(t), H5Sclose(s);
}

/* Writes the file the input describes; false when HDF5 refuses it (nothing to test). */
static bool write_file(reader *r, const char **dset) {
    int nd = (int)(take(r, 1) % 10);
    hsize_t dims[9];
    uint64_t total = 1;
    for (int i = 0; i < nd; i++) {
        uint32_t v = take(r, 1);
        dims[i] = v < 200 ? v % 9 : v < 250 ? take(r, 2) : (hsize_t)1 << (take(r, 1) % 48);
        total = dims[i] && total > UINT64_MAX / dims[i] ? UINT64_MAX : total * dims[i];
    }
    uint32_t type_sel = take(r, 1), layout_sel = take(r, 1), where = take(r, 1) % 4;
    hid_t f = H5Fcreate(in_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return false;
    hid_t g = H5Gcreate2(f, "/g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    *dset = where == 1 ? "/g/x" : where == 2 ? "/g" : where == 3 ? "/missing/x" : "/x";
    hid_t s = nd ? H5Screate_simple(nd, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t t = file_type(type_sel);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_LATE); /* a huge dataset costs no disk */
    hid_t d = s >= 0
                  ? H5Dcreate2(f, where == 1 ? "/g/x" : "/x", t, s, H5P_DEFAULT, dcpl, H5P_DEFAULT)
                  : -1;
    if (d >= 0) {
        /* values: the input's next bytes, when the dataset is small */
        size_t bytes = H5Tget_size(t);
        if (total <= 4096 && total > 0 && nd > 0 && type_sel % 8 != 6) {
            uint8_t *buf = calloc(total, bytes);
            for (size_t i = 0; i < total * bytes && r->at < r->n; i++) buf[i] = (uint8_t)take(r, 1);
            H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
            free(buf);
        }
        char value[9] = {0};
        size_t len = take(r, 1) % 9;
        if (layout_sel & 16) {
            memcpy(value, layout_sel & 32 ? "NCHW" : "NHWC", 4);
        } else {
            for (size_t i = 0; i < len; i++) value[i] = (char)take(r, 1);
        }
        switch (layout_sel % 6) {
        case 1:
            string_attr(d, "layout", value, false, (layout_sel >> 6) % 3, layout_sel & 8);
            break;
        case 2:
            string_attr(d, "layout", value, true, 0, layout_sel & 8);
            break;
        case 3:
            odd_attr(d, "layout", 0);
            break;
        case 4:
            odd_attr(d, "layout", 2);
            break;
        case 5:
            string_attr(d, "layout", value, false, 2, true);
            odd_attr(d, "scale", 1);
            odd_attr(d, "ragged", 3);
            break;
        default:
            break;
        }
        H5Dclose(d);
    }
    H5Pclose(dcpl);
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    H5Gclose(g);
    return H5Fclose(f) >= 0;
}

static void check(tg_status st) {
    if (st != TG_OK && !*tg_err_msg()) abort(); /* a failure always says why */
    tg_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size, 0};
    const char *dset = "/x";
    if (!write_file(&r, &dset)) return 0;
    tg_io_file *f = NULL;
    tg_status st = tg_io_open(in_path, &f);
    check(st);
    if (st != TG_OK) return 0;
    tg_io_info info;
    st = tg_io_info_get(f, dset, &info);
    check(st);
    int64_t total = 1;
    for (int i = 0; st == TG_OK && i < info.ndims; i++)
        total = info.dims[i] && total > 4096 / info.dims[i] ? 4097 : total * info.dims[i];
    if (st == TG_OK && total <= 4096) {
        float *buf = malloc((size_t)(total ? total : 1) * sizeof *buf);
        check(tg_io_read_all(f, dset, buf, total));
        free(buf);
    }
    int64_t shape[4];
    st = tg_io_tensor_shape(f, dset, shape);
    check(st);
    if (st == TG_OK && shape[0] * shape[1] * shape[2] * shape[3] <= 4096) {
        tg_tensor t;
        st = tg_tensor_alloc_dram(&t, "fuzz:tensor", shape, TG_BFLOAT16);
        check(st);
        if (st == TG_OK) {
            st = tg_io_load_tensor(f, dset, &t);
            check(st);
            tg_io_file *o = NULL;
            if (st == TG_OK && (st = tg_io_create(out_path, &o)) == TG_OK) {
                st = tg_io_store_tensor(&t, o, "/y", NULL);
                if (st == TG_OK) st = tg_io_copy_attrs(f, dset, o, "/y");
                check(st);
                if (st == TG_OK && (size & 1))
                    check(tg_io_commit(o));
                else
                    tg_io_abort(o);
            }
            check(st);
            tg_tensor_free(&t);
        }
    }
    tg_io_close(f);
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) abort(); /* io closed everything */
    return 0;
}
