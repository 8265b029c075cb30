# Counter-based random bits for dropout masks: no generator state, so a mask
# is a pure function of (seed, epoch, step, layer, row, unit) and can be drawn
# inside the nogil loop in any order, and again by the NumPy reference
# (fastbp._kernels._numpy_math.dropout_keep).
#
# Each level hashes the previous key with the next counter through the
# splitmix64 finalizer (Steele, Lea & Flood 2014); unit j of row r of a
# layer's (rows, width) block draws hash(layer key + (r * width + j + 1) G),
# and is kept when the hash's top 32 bits fall below keep * 2^32.

from libc.stdint cimport uint64_t

cdef extern from *:
    # 64-bit constants as C literals (a Cython enum is an int)
    const uint64_t GOLDEN "0x9E3779B97F4A7C15ULL"
    const uint64_t MIX1 "0xBF58476D1CE4E5B9ULL"
    const uint64_t MIX2 "0x94D049BB133111EBULL"


cdef inline uint64_t mix64(uint64_t z) noexcept nogil:
    z = (z ^ (z >> 30)) * MIX1
    z = (z ^ (z >> 27)) * MIX2
    return z ^ (z >> 31)


cdef inline uint64_t next_key(uint64_t key, uint64_t counter) noexcept nogil:
    return mix64(key + (counter + 1) * GOLDEN)


cdef inline uint64_t keep_threshold(double keep) noexcept nogil:
    """Units whose 32-bit draw is below this are kept: keep * 2^32, exactly
    2^32 (always kept) for keep = 1."""
    return <uint64_t>(keep * 4294967296.0)
