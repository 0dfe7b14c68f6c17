/* clones.h - per-CPU copies of short arithmetic loops, picked when the program loads. */
#ifndef CLONES_H
#define CLONES_H

/*
 * The build targets baseline x86-64 (SSE2) and -O2 vectorizes only loops
 * whose length is a known multiple of the vector width, so hot loops are
 * written in blocks of 8 and marked MG_CLONES: GCC then emits AVX-512, AVX2
 * and baseline copies and picks one at load time (an ifunc). The build is C11
 * (not GNU C), so -ffp-contract=off: no copy fuses a multiply and an add, and
 * every copy rounds the same way, bit for bit. Off under the sanitizers and
 * on other compilers and CPUs, where the blocks run as they are.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
#define MG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MG_CLONES
#endif

#endif
