# Flush-to-zero for the training loops: in long float32 runs weights drift
# into subnormal values, whose arithmetic is many times slower on x86.  The
# loops set FTZ and DAZ (subnormal results and inputs read as zero) in the
# thread's MXCSR and restore the caller's state when they return; every
# thread that computes sets and restores its own.  Elsewhere a no-op.

cdef extern from *:
    """
    #if defined(__x86_64__) || defined(_M_X64) || defined(__SSE2__)
    #include <xmmintrin.h>
    static inline unsigned int fastbp_flush_subnormals(void) {
        unsigned int previous = _mm_getcsr();
        _mm_setcsr(previous | 0x8040u);  /* FTZ (bit 15) and DAZ (bit 6) */
        return previous;
    }
    static inline void fastbp_restore_fp(unsigned int previous) { _mm_setcsr(previous); }
    #else
    static inline unsigned int fastbp_flush_subnormals(void) { return 0; }
    static inline void fastbp_restore_fp(unsigned int previous) { (void)previous; }
    #endif
    """
    unsigned int flush_subnormals "fastbp_flush_subnormals"() noexcept nogil
    void restore_fp "fastbp_restore_fp"(unsigned int previous) noexcept nogil
