/* A spin-wait hint for WorkerPool: tells the core it is in a busy-wait loop (x86 PAUSE, Arm YIELD), which saves
   power and leaves a hyperthread sibling its share of the core. */
#ifndef GHOSTKIT_CCPU_SHIM_H
#define GHOSTKIT_CCPU_SHIM_H
static inline void ghostkit_cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
#endif
