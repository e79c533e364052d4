/* Outputs: checked before any computation, written under a temporary name unique to
 * the run, committed together by renaming, or aborted leaving nothing (issue 12,
 * "Nothing lost, nothing half-written").
 *
 * The temporary file of output NAME is ".NAME.PID-XXXXXX.partial" in NAME's folder
 * (PID: rank 0's process; XXXXXX: six random letters or digits; created with O_EXCL,
 * so two runs never share one), so that the final rename stays on one file system.
 * Every rank registers the name for removal on a kill before rank 0 creates it. An
 * existing HDF5 file at NAME is copied there first so that its other datasets
 * survive; two runs adding datasets to one file therefore take turns: rank 0 holds a
 * lock on NAME (flock on ".NAME.lock", removed when released, and on a kill) from
 * before the copy until the rename, so the second run copies the file the first one
 * published and both datasets survive.
 * Rank 0 does the file system work alone (temporary file, copy, rename), every rank
 * checks that it sees what rank 0 made, and every step that can fail on one rank is
 * agreed before the next collective step. */
#define _GNU_SOURCE /* fallocate */
#include "io_private.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long rank 0 waits for another run's lock on an output before giving up. */
#define IO_LOCK_WAIT_S 600

/* The folder and the base name of path. */
static void io_split(const char *path, char *dir, char *base) {
    char a[TG_IO_PATH_MAX], b[TG_IO_PATH_MAX];
    snprintf(a, sizeof a, "%s", path);
    snprintf(b, sizeof b, "%s", path);
    snprintf(dir, TG_IO_PATH_MAX, "%s", dirname(a));
    snprintf(base, TG_IO_PATH_MAX, "%s", basename(b));
}

static bool root(void) {
    return tg_core_self()->rank == 0;
}

/* " on rank R" for ranks other than 0, whose view of the file system is the one a
 * user expects. */
static const char *on_rank(void) {
    static char buf[32];
    int r = tg_core_self()->rank;
    if (r == 0) return "";
    snprintf(buf, sizeof buf, " on rank %d", r);
    return buf;
}

/* ---- checks before any computation ---- */

tg_status tg_io_check_output(const char *what, const char *path, tg_io_kind kind) {
    char dir[TG_IO_PATH_MAX], base[TG_IO_PATH_MAX];
    size_t len = strlen(path);
    tg_status st = TG_OK;
    struct stat sb;
    if (len == 0 || path[len - 1] == '/')
        st = tg_err(TG_ERR_USAGE, "%s '%s' names no file", what, path);
    if (st == TG_OK && len + 32 >= TG_IO_PATH_MAX)
        st = tg_err(TG_ERR_USAGE, "%s '%.64s...' is too long", what, path);
    if (st == TG_OK) io_split(path, dir, base);
    /* Every rank opens the temporary file, so every rank must see the folder. */
    if (st == TG_OK && (io_fault(IO_STEP_STAT) || stat(dir, &sb) != 0))
        st = tg_err(TG_ERR_USAGE, "%s '%s': cannot use folder '%s'%s: %s", what, path, dir,
                    on_rank(), io_strerror(errno));
    if (st == TG_OK && !S_ISDIR(sb.st_mode))
        st = tg_err(TG_ERR_USAGE, "%s '%s': '%s' is not a folder", what, path, dir);
    if (st == TG_OK && root() && access(dir, W_OK | X_OK) != 0)
        st = tg_err(TG_ERR_USAGE, "%s '%s': cannot write in folder '%s': %s", what, path, dir,
                    strerror(errno));
    if (st == TG_OK && root()) {
        int fd;
        if (stat(path, &sb) != 0) {
            if (errno != ENOENT)
                st = tg_err(TG_ERR_USAGE, "%s '%s': %s", what, path, strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            st = tg_err(TG_ERR_USAGE, "%s '%s' is a folder", what, path);
        } else if (!S_ISREG(sb.st_mode)) {
            st = tg_err(TG_ERR_USAGE, "%s '%s' exists and is not a regular file", what, path);
        } else if (kind == TG_IO_HDF5 && (fd = open(path, O_RDONLY)) < 0) {
            st = tg_err(TG_ERR_USAGE,
                        "%s '%s' exists and cannot be read (its datasets are kept): %s", what, path,
                        strerror(errno));
        } else if (kind == TG_IO_HDF5) {
            close(fd);
            if (H5Fis_hdf5(path) <= 0)
                st = tg_err(TG_ERR_USAGE,
                            "%s '%s' exists and is not an HDF5 file; ttgrid does not replace it "
                            "(remove it or name another file)",
                            what, path);
        }
    }
    return tg_noc_agree(st);
}

tg_status tg_io_check_output_dset(const char *what, const tg_io_ref *ref) {
    /* HDF5 reads "//stats/" as "/stats" */
    char norm[TG_IO_DSET_MAX];
    size_t k = 0;
    for (const char *p = ref->dset; *p && k + 1 < sizeof norm; p++)
        if (!(*p == '/' && k > 0 && norm[k - 1] == '/')) norm[k++] = *p;
    norm[k] = '\0';
    if (k > 1 && norm[k - 1] == '/')
        return tg_err(TG_ERR_USAGE, "%s '%s:%s' names a group, not a dataset", what, ref->file,
                      ref->dset);
    if (!strcmp(norm, "/stats") || !strncmp(norm, "/stats/", 7))
        return tg_err(TG_ERR_USAGE,
                      "%s '%s:%s' is under /stats, where ttgrid writes its statistics; name "
                      "another dataset",
                      what, ref->file, ref->dset);
    return TG_OK;
}

bool tg_io_same_file(const char *a, const char *b) {
    char da[TG_IO_PATH_MAX], ba[TG_IO_PATH_MAX], db[TG_IO_PATH_MAX], bb[TG_IO_PATH_MAX];
    io_split(a, da, ba);
    io_split(b, db, bb);
    if (strcmp(ba, bb) != 0) return false;
    struct stat sa, sb;
    if (stat(da, &sa) != 0 || stat(db, &sb) != 0) return !strcmp(da, db);
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void io_drop_reserve(const tg_io_file *f);

/* ---- rank 0's file system work ---- */

/* The lock file of f's final name (the path's length was checked, so it fits). */
static void lock_name(const tg_io_file *f, char *out) {
    char dir[TG_IO_PATH_MAX], base[TG_IO_PATH_MAX];
    io_split(f->path, dir, base);
    if (snprintf(out, TG_IO_PATH_MAX, "%s/.%s.lock", dir, base) >= TG_IO_PATH_MAX) out[0] = '\0';
}

/* Takes the lock on f's final name, waiting politely for another run that holds
 * it. The lock file is removed by its holder on release, so a waiter that then
 * locks a removed file takes the new one instead. A file system without locks
 * (ENOLCK, as some network file systems) is used without. Rank 0. */
static tg_status io_lock(tg_io_file *f) {
    char name[TG_IO_PATH_MAX];
    lock_name(f, name);
    double waited = 0, nap = 1e-3;
    for (;;) {
        int fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return tg_err(TG_ERR_RUNTIME, "cannot lock output '%s' ('%s'): %s", f->path, name,
                          strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            struct stat a, b;
            if (fstat(fd, &a) == 0 && stat(name, &b) == 0 && a.st_dev == b.st_dev &&
                a.st_ino == b.st_ino) {
                /* its holder alone removes it on a kill, as on release */
                tg_status st = tg_noc_remove_on_kill(name);
                if (st != TG_OK) {
                    unlink(name);
                    close(fd);
                    return st;
                }
                f->lock_fd = fd;
                return TG_OK;
            }
            close(fd); /* its holder removed it while we waited: lock the new one */
            continue;
        }
        int e = errno;
        close(fd);
        if (e == ENOLCK || e == EOPNOTSUPP || e == EINVAL) {
            unlink(name);
            return TG_OK;
        }
        if (e != EWOULDBLOCK)
            return tg_err(TG_ERR_RUNTIME, "cannot lock output '%s' ('%s'): %s", f->path, name,
                          strerror(e));
        if (waited >= IO_LOCK_WAIT_S)
            return tg_err(TG_ERR_RUNTIME,
                          "output '%s' is being written by another run: its lock '%s' has been "
                          "held for %d s",
                          f->path, name, IO_LOCK_WAIT_S);
        struct timespec ts = {0, (long)(nap * 1e9)};
        nanosleep(&ts, NULL);
        waited += nap;
        nap = nap * 2 < 0.1 ? nap * 2 : 0.1;
    }
}

static void io_unlock(tg_io_file *f) {
    if (f->lock_fd < 0) return;
    char name[TG_IO_PATH_MAX];
    lock_name(f, name);
    /* forgotten first: once it is removed, its name may be another run's new lock */
    tg_noc_keep_on_kill(name);
    unlink(name); /* before releasing it, so that a waiter never takes a stale one */
    close(f->lock_fd);
    f->lock_fd = -1;
}

/* Draws f's temporary name, ".NAME.PID-XXXXXX.partial" with six random letters or
 * digits, without making the file. Rank 0. */
static tg_status io_name_temp(tg_io_file *f) {
    char dir[TG_IO_PATH_MAX], base[TG_IO_PATH_MAX];
    io_split(f->path, dir, base);
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[6];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) { /* no entropy yet: the clock */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)ts.tv_sec;
        for (size_t i = 0; i < sizeof r; i++, x >>= 8) r[i] = (unsigned char)x;
    }
    char tag[sizeof r + 1];
    for (size_t i = 0; i < sizeof r; i++) tag[i] = set[r[i] % (sizeof set - 1)];
    tag[sizeof r] = '\0';
    int n =
        snprintf(f->temp, sizeof f->temp, "%s/.%s.%ld-%s.partial", dir, base, (long)getpid(), tag);
    if (n < 0 || (size_t)n >= sizeof f->temp) {
        f->temp[0] = '\0';
        return tg_err(TG_ERR_RUNTIME, "cannot create a temporary file for '%s' in '%s': %s",
                      f->path, dir, strerror(ENAMETOOLONG));
    }
    return TG_OK;
}

/* Forgets f's temporary name: no longer removed on a kill, nor by io_discard. */
static void io_forget_temp(tg_io_file *f) {
    if (f->temp[0]) tg_noc_keep_on_kill(f->temp);
    f->temp[0] = '\0';
}

/* Makes f's temporary file, under the name io_name_temp drew (which must not exist:
 * another run's file is never taken), empty, with the given mode. On failure the
 * name is forgotten (and no longer removed on a kill). Rank 0. */
static tg_status io_make_temp(tg_io_file *f, mode_t mode) {
    int fd = -1;
    if (!io_fault(IO_STEP_CREATE)) fd = open(f->temp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        char dir[TG_IO_PATH_MAX], base[TG_IO_PATH_MAX];
        io_split(f->path, dir, base);
        tg_status st = tg_err(TG_ERR_RUNTIME, "cannot create a temporary file for '%s' in '%s': %s",
                              f->path, dir, io_strerror(errno));
        io_forget_temp(f);
        return st;
    }
    tg_status st = TG_OK;
    if (fchmod(fd, mode) != 0)
        st = tg_err(TG_ERR_RUNTIME, "cannot set the mode of '%s': %s", f->temp, strerror(errno));
    if (close(fd) != 0 && st == TG_OK)
        st = tg_err(TG_ERR_RUNTIME, "cannot create '%s': %s", f->temp, strerror(errno));
    return st;
}

/* Writes all n bytes (a short write is followed by the one that fails and sets
 * errno). */
static bool write_all(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = ENOSPC;
            return false;
        }
        buf += w, n -= (size_t)w;
    }
    return true;
}

/* Copies an existing output to its (empty) temporary file. The copy's room is
 * reserved first, so a full disk fails at once; the caller removes the temporary
 * file on failure. With TTGRID_IO_FAULT's "copy", half the file is written and the
 * rest fails as a full disk would. Rank 0. */
static tg_status io_copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY);
    if (in < 0) return tg_err(TG_ERR_RUNTIME, "cannot read '%s': %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_TRUNC);
    if (out < 0) {
        close(in);
        return tg_err(TG_ERR_RUNTIME, "cannot write '%s': %s", to, strerror(errno));
    }
    tg_status st = TG_OK;
    struct stat sb;
    off_t limit = -1; /* bytes after which the injected failure comes */
    if (fstat(in, &sb) != 0)
        st = tg_err(TG_ERR_RUNTIME, "cannot read '%s': %s", from, strerror(errno));
    if (st == TG_OK && sb.st_size > 0 && fallocate(out, 0, 0, sb.st_size) != 0 &&
        errno != EOPNOTSUPP && errno != ENOSYS)
        st = tg_err(TG_ERR_RUNTIME, "cannot copy '%s' to '%s' (%lld B): %s", from, to,
                    (long long)sb.st_size, strerror(errno));
    if (st == TG_OK && io_fault(IO_STEP_COPY)) limit = sb.st_size / 2;
    char buf[1 << 16];
    off_t done = 0;
    ssize_t n = 0;
    while (st == TG_OK && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            st = tg_err(TG_ERR_RUNTIME, "cannot read '%s': %s", from, strerror(errno));
            break;
        }
        if (limit >= 0 && done + n > limit) {
            n = (ssize_t)(limit - done);
            if (n > 0) write_all(out, buf, (size_t)n);
            errno = ENOSPC;
            st = tg_err(TG_ERR_RUNTIME, "cannot copy '%s' to '%s': %s", from, to,
                        io_strerror(errno));
            break;
        }
        if (!write_all(out, buf, (size_t)n))
            st = tg_err(TG_ERR_RUNTIME, "cannot copy '%s' to '%s': %s", from, to, strerror(errno));
        done += n;
    }
    close(in);
    if (close(out) != 0 && st == TG_OK)
        st = tg_err(TG_ERR_RUNTIME, "cannot copy '%s' to '%s': %s", from, to, strerror(errno));
    return st;
}

/* Rank 0 prepares f's temporary file (locked, and a copy of an existing HDF5 file
 * when `hdf5`); *existing says whether there was one. On failure nothing is left. */
static tg_status io_prepare(tg_io_file *f, bool hdf5, bool *existing) {
    *existing = false;
    tg_status st = hdf5 ? io_lock(f) : TG_OK;
    struct stat sb;
    mode_t mask = umask(0);
    umask(mask);
    mode_t mode = 0666 & ~mask;
    if (st == TG_OK && stat(f->path, &sb) == 0) {
        if (!S_ISREG(sb.st_mode))
            st = tg_err(TG_ERR_USAGE, "output '%s' exists and is not a regular file", f->path);
        else if (hdf5 && H5Fis_hdf5(f->path) <= 0)
            st = tg_err(TG_ERR_USAGE,
                        "output '%s' exists and is not an HDF5 file; ttgrid does not replace it",
                        f->path);
        mode = sb.st_mode & 07777;
        *existing = hdf5;
    } else if (st == TG_OK && errno != ENOENT) {
        st = tg_err(TG_ERR_RUNTIME, "output '%s': %s", f->path, strerror(errno));
    }
    if (st != TG_OK) { /* the file was not made: its name is nobody's to remove */
        io_forget_temp(f);
        io_unlock(f);
        return st;
    }
    st = io_make_temp(f, mode);
    if (st == TG_OK && *existing) st = io_copy_file(f->path, f->temp);
    if (st == TG_OK && hdf5) st = io_reserve_room(st, f, -1);
    if (st != TG_OK) {
        if (f->temp[0]) unlink(f->temp);
        io_forget_temp(f);
        io_unlock(f);
    }
    return st;
}

/* Makes f's temporary file: rank 0 draws its name and tells every rank, every rank
 * registers it for removal on a kill (tg_noc_remove_on_kill), and only then does
 * rank 0 make it. So from the moment the file exists, a job killed from outside
 * removes it even when rank 0 is the one killed (SIGKILL runs nothing there, but the
 * launcher's SIGTERM to the others does). Every rank then checks that it sees the
 * file (an output folder that is not on a file system every rank shares shows
 * here). Collective; on failure nothing is left and the caller discards f. */
static tg_status io_begin(tg_io_file *f, bool hdf5, bool *existing) {
    tg_status st = root() ? io_name_temp(f) : TG_OK;
    st = io_root_status(st, NULL);
    if (st != TG_OK) return st;
    io_root_bcast(f->temp, sizeof f->temp);
    st = tg_noc_agree(tg_noc_remove_on_kill(f->temp));
    if (st != TG_OK) { /* not made: nobody removes the name, nor keeps it registered */
        io_forget_temp(f);
        return st;
    }
    if (root()) st = io_prepare(f, hdf5, existing);
    st = io_root_status(st, existing);
    if (st != TG_OK) return st;
    struct stat sb;
    if (io_fault(IO_STEP_STAT) || stat(f->temp, &sb) != 0)
        st = tg_err(TG_ERR_RUNTIME,
                    "output '%s': rank %d cannot see the temporary file '%s' that rank 0 made "
                    "(%s); outputs must be on a file system every rank shares",
                    f->path, tg_core_self()->rank, f->temp, io_strerror(errno));
    return tg_noc_agree(st);
}

/* Removes f's temporary file and releases its lock (rank 0), and frees f. */
static void io_discard(tg_io_file *f) {
    if (root() && f->temp[0]) unlink(f->temp);
    io_forget_temp(f);
    if (root()) io_unlock(f);
    free(f);
}

tg_status tg_io_create(const char *path, tg_io_file **out) {
    io_quiet();
    *out = NULL;
    tg_io_file *f = io_file_new(path, true);
    hid_t fapl = -1;
    tg_status st = f ? io_fapl_new(f, &fapl) : TG_ERR_RUNTIME;
    bool existing = false;
    st = tg_noc_agree(st);
    if (st != TG_OK) { /* nothing exists yet, and f may be NULL on some ranks only */
        if (f) io_close(st, fapl, f, NULL);
        free(f);
        return st;
    }
    st = io_begin(f, true, &existing);
    if (st == TG_OK) st = tg_noc_agree(io_fapl_mpio(f, fapl));
    if (st == TG_OK) {
        f->fid = existing ? H5Fopen(f->temp, H5F_ACC_RDWR, fapl)
                          : H5Fcreate(f->temp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
        if (f->fid < 0)
            st =
                tg_err(TG_ERR_RUNTIME, "cannot create output '%s' (temporary '%s')", path, f->temp);
    }
    st = tg_noc_agree(io_close(st, fapl, f, NULL));
    if (st != TG_OK) {
        tg_io_abort(f);
        return st;
    }
    *out = f;
    return TG_OK;
}

tg_status tg_io_create_text(const char *path, tg_io_file **out) {
    *out = NULL;
    tg_io_file *f = io_file_new(path, true);
    tg_status st = tg_noc_agree(f ? TG_OK : TG_ERR_RUNTIME);
    bool existing = false;
    if (st == TG_OK) {
        f->text = true;
        st = io_begin(f, false, &existing);
    }
    if (st != TG_OK) {
        if (f) io_discard(f);
        return st;
    }
    *out = f;
    return TG_OK;
}

const char *tg_io_temp_path(const tg_io_file *f) {
    return f->temp;
}

tg_status tg_io_commit_all(tg_io_file **files, int n) {
    tg_status st = TG_OK;
    for (int i = 0; i < n; i++) {
        tg_io_file *f = files[i];
        if (!f || f->fid < 0) continue;
        int injected = io_fault(IO_STEP_CLOSE);
        herr_t rc = H5Fclose(f->fid); /* collective: every rank closes, then they agree */
        f->fid = -1;
        if ((rc < 0 || injected) && st == TG_OK)
            st = tg_err(TG_ERR_RUNTIME, "writing '%s' failed: closing '%s'%s failed%s%s", f->path,
                        f->temp, on_rank(), injected ? ": " : "",
                        injected ? io_strerror(injected) : "");
    }
    st = tg_noc_agree(st);
    /* Only when every file is complete does any of them get its final name. */
    if (root()) {
        for (int i = 0; i < n && st == TG_OK; i++) {
            tg_io_file *f = files[i];
            if (!f) continue;
            if (!f->text) io_drop_reserve(f);
            if (io_fault(IO_STEP_RENAME) || rename(f->temp, f->path) != 0)
                st = tg_err(TG_ERR_RUNTIME, "cannot rename '%s' to '%s': %s", f->temp, f->path,
                            io_strerror(errno));
            else
                io_forget_temp(f); /* after the rename: never a moment unguarded */
        }
    }
    st = io_root_status(st, NULL);
    for (int i = 0; i < n; i++) {
        if (files[i]) io_discard(files[i]);
        files[i] = NULL;
    }
    return st;
}

tg_status tg_io_commit(tg_io_file *f) {
    return tg_io_commit_all(&f, 1);
}

void tg_io_abort(tg_io_file *f) {
    if (!f) return;
    /* The temporary file is garbage: emptied first, so that closing it (which
     * writes HDF5's metadata) finds room on a full disk, and every rank closes it
     * only then. What the close reports does not matter: the file is removed. */
    if (root() && f->fid >= 0 && f->temp[0]) (void)!truncate(f->temp, 0);
    (void)tg_noc_agree(TG_OK);
    if (f->fid >= 0) (void)H5Fclose(f->fid);
    f->fid = -1;
    io_discard(f);
}

/* ---- disk space reserved before the steps that write ---- */

/* fallocate, where the file system has it (elsewhere nothing is reserved). */
static int io_fallocate(const char *path, int mode, int64_t start, int64_t len) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -1;
    int rc = fallocate(fd, mode, start, len);
    int e = errno;
    close(fd);
    errno = e;
    return rc != 0 && (e == EOPNOTSUPP || e == ENOSYS) ? 0 : rc;
}

tg_status io_reserve_room(tg_status st, tg_io_file *f, hid_t d) {
    if (st != TG_OK || !root()) return st;
    struct stat sb;
    if (stat(f->temp, &sb) == 0 && (int64_t)sb.st_size > f->known_end)
        f->known_end = (int64_t)sb.st_size;
    if (d >= 0) {
        /* a new dataset: its data is allocated in the file from its creation */
        haddr_t off = H5Dget_offset(d);
        hsize_t size = H5Dget_storage_size(d);
        if (off != HADDR_UNDEF && (int64_t)(off + size) > f->known_end)
            f->known_end = (int64_t)(off + size);
    }
    int64_t len = f->known_end + IO_META_MARGIN;
    if (io_fallocate(f->temp, FALLOC_FL_KEEP_SIZE, 0, len) != 0)
        return tg_err(TG_ERR_RUNTIME, "cannot write '%s' (it needs %lld B): %s", f->path,
                      (long long)len, strerror(errno));
    return TG_OK;
}

/* Gives back the blocks io_reserve_room kept past the end of a closed file: growing
 * it by a byte and shrinking it back drops everything past its end. Rank 0. */
static void io_drop_reserve(const tg_io_file *f) {
    struct stat sb;
    if (stat(f->temp, &sb) == 0 && truncate(f->temp, sb.st_size + 1) == 0)
        (void)!truncate(f->temp, sb.st_size);
}

/* ---- the disk space of a collective write ---- */

tg_status io_reserve(tg_status st, tg_io_file *f, const char *dset, hid_t d, hid_t fs,
                     const io_sel *sel) {
    if (st != TG_OK || !f->output) return st;
    hsize_t dims[IO_SEL_DIMS];
    int nd = H5Sget_simple_extent_ndims(fs);
    if (nd != sel->ndims || H5Sget_simple_extent_dims(fs, dims, NULL) < 0)
        return io_h5_err(f, dset, "H5Sget_simple_extent_dims");
    /* the elements this rank writes span [lo, hi) in the file's row-major order */
    int64_t lo = INT64_MAX, hi = 0;
    for (int b = 0; b < sel->nboxes; b++) {
        int64_t first = 0, last = 0;
        for (int i = 0; i < nd; i++) {
            first = first * (int64_t)dims[i] + (int64_t)sel->start[b][i];
            last = last * (int64_t)dims[i] + (int64_t)(sel->start[b][i] + sel->count[b][i] - 1);
        }
        if (first < lo) lo = first;
        if (last + 1 > hi) hi = last + 1;
    }
    hid_t type = H5Dget_type(d);
    size_t esize = type >= 0 ? H5Tget_size(type) : 0;
    st = io_close(esize ? TG_OK : io_h5_err(f, dset, "H5Tget_size"), type, f, dset);
    if (st != TG_OK) return st;
    haddr_t off = H5Dget_offset(d);
    int64_t start = 0, end = 0;
    if (off != HADDR_UNDEF && hi > lo)
        start = (int64_t)off + lo * (int64_t)esize, end = (int64_t)off + hi * (int64_t)esize;
    if (io_fault(IO_STEP_WRITE) ||
        (end > start && io_fallocate(f->temp, 0, start, end - start) != 0))
        return tg_err(TG_ERR_RUNTIME, "cannot write '%s' to '%s'%s (%lld B): %s", dset, f->path,
                      on_rank(), (long long)(end - start), io_strerror(errno));
    return TG_OK;
}
