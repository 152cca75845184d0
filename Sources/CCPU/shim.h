/* A spin-wait hint for WorkerPool: tells the core it is in a busy-wait loop (x86 PAUSE, Arm YIELD), which saves
   power and leaves a hyperthread sibling its share of the core. Also the AVX-512 check for the direct convolutions. */
#ifndef GHOSTKIT_CCPU_SHIM_H
#define GHOSTKIT_CCPU_SHIM_H
static inline void ghostkit_cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Whether the CPU and the OS support AVX-512F (CPUID leaf 7 EBX bit 16, and XCR0 saving the opmask and all 512-bit
   registers), for GhostKernelsAVX512. */
static inline int ghostkit_cpu_has_avx512f(void) {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    __asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    if (!(c & (1u << 27))) return 0; /* OSXSAVE */
    unsigned lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    if ((lo & 0xE6) != 0xE6) return 0;
    __asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    if (a < 7) return 0;
    __asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    return (int)((b >> 16) & 1u);
#else
    return 0;
#endif
}
#endif
