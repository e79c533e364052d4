/* TG_MULTIVERSION: put on the few hot loops that the compiler vectorizes (format
 * conversions, im2col, the conv's epilogue), so that the default build, which targets
 * any x86-64 processor, still runs them with this processor's widest vectors.
 *
 * GCC's function multi-versioning compiles the function three times (AVX-512F, AVX2,
 * baseline x86-64) and the dynamic loader picks one, once, from the processor's
 * features (an ifunc). The copies run the same C code: these loops move bits,
 * compare and add without fused multiply-adds (-ffp-contract=off), so every copy gives
 * the same bits; TTGRID_KERNEL chooses the matrix kernel only (gemm_select.h).
 * With -DTTGRID_NATIVE=ON everything is already compiled for this processor and the
 * attribute is left out; so it is on compilers or systems without ifuncs, and with
 * clang (clang 14, Debian's, emits no symbol for such a function called from another
 * file: the fuzzing build of tests/fuzz, the one clang build, takes the baseline). */
#ifndef TG_MULTIVERSION_H
#define TG_MULTIVERSION_H

#if !defined(TTGRID_NATIVE) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__) &&   \
    defined(__has_attribute)
#if __has_attribute(target_clones)
#define TG_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef TG_MULTIVERSION
#define TG_MULTIVERSION
#endif

#endif
