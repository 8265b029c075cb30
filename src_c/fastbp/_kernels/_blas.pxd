# Row-major matrix products for the kernels.
#
# Every matrix here is C-contiguous (row-major) with its rows packed (leading
# dimension = number of columns).  BLAS is column-major, and a row-major matrix
# read as column-major is its transpose, so C = A.B in row-major is computed as
# C^T = B^T.A^T in column-major: swap the operands, keep the flags.
#
# Single-row products (per-example training) and products smaller than
# SMALL_PRODUCT multiply-adds run as direct loops: there the BLAS call overhead
# (argument checks, dispatch, packing) costs more than the arithmetic.

from cython cimport floating
from scipy.linalg.cython_blas cimport dgemm, sgemm

cdef enum:
    SMALL_PRODUCT = 2048
    ROW_BLOCK = 32


cdef inline void _gemm(char ta, char tb, int m, int n, int k, floating alpha,
                       const floating* a, int lda, const floating* b, int ldb,
                       floating beta, floating* c, int ldc) noexcept nogil:
    # Column-major C(m,n) = alpha * op(A)(m,k) . op(B)(k,n) + beta * C
    if floating is double:
        dgemm(&ta, &tb, &m, &n, &k, &alpha, <double*>a, &lda,
              <double*>b, &ldb, &beta, c, &ldc)
    else:
        sgemm(&ta, &tb, &m, &n, &k, &alpha, <float*>a, &lda,
              <float*>b, &ldb, &beta, c, &ldc)


cdef inline void row_times(const floating* a, const floating* b, Py_ssize_t n, Py_ssize_t k,
                           floating* c) noexcept nogil:
    """c(n,) = a(k,) . B(k,n), every sum from 0 over k in order, as BLAS's
    single row would.  (Called for one row on its own, not in a loop of one,
    gcc keeps the blocks' sums in registers.)"""
    cdef Py_ssize_t j, p, j0 = 0
    cdef floating a0, a1, a2, a3
    cdef floating acc[ROW_BLOCK]
    cdef const floating* bp
    # blocks of ROW_BLOCK columns whose sums stay in registers over all k
    # (32 doubles: four AVX-512 registers), one chain of adds per column
    while j0 + ROW_BLOCK <= n:
        for j in range(ROW_BLOCK):
            acc[j] = 0
        for p in range(k):
            a0, bp = a[p], b + p * n + j0
            for j in range(ROW_BLOCK):
                acc[j] = acc[j] + a0 * bp[j]
        for j in range(ROW_BLOCK):
            c[j0 + j] = acc[j]
        j0 += ROW_BLOCK
    # the rest: four rows of B per pass over c, a quarter of the loads and
    # stores of c.  (Smaller blocks in registers ran slower: gcc vectorizes
    # a block of 8 columns over k instead.)
    for j in range(j0, n):
        c[j] = 0
    for p in range(0, k - 3, 4):
        a0, a1, a2, a3 = a[p], a[p + 1], a[p + 2], a[p + 3]
        bp = b + p * n
        for j in range(j0, n):
            c[j] = c[j] + a0 * bp[j] + a1 * bp[n + j] + a2 * bp[2 * n + j] + a3 * bp[3 * n + j]
    for p in range(k - k % 4, k):
        a0 = a[p]
        for j in range(j0, n):
            c[j] = c[j] + a0 * b[p * n + j]


cdef inline void matmul(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, const floating* a,
                        const floating* b, floating* c) noexcept nogil:
    """C(m,n) = A(m,k) . B(k,n)       (forward: Z = X.W); a small product
    row by row."""
    cdef Py_ssize_t i
    if m > 1 and m * n * k >= SMALL_PRODUCT:
        _gemm(c'N', c'N', <int>n, <int>m, <int>k, <floating>1, b, <int>n, a, <int>k,
              <floating>0, c, <int>n)
        return
    for i in range(m):
        row_times(a + i * k, b, n, k, c + i * n)


cdef inline void matmul_tn_block(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, Py_ssize_t p0,
                                 Py_ssize_t p1, Py_ssize_t j0, Py_ssize_t j1, floating alpha,
                                 const floating* a, const floating* b, floating beta,
                                 floating* c) noexcept nogil:
    """C(k,n)[p0:p1, j0:j1] = alpha * A(m,k)[:, p0:p1]^T . B(m,n)[:, j0:j1]
    + beta * C[p0:p1, j0:j1] (weight gradient dW = X^T.D, a block of it; all
    of it with p0 = j0 = 0, p1 = k, j1 = n)"""
    cdef Py_ssize_t i, j, p
    cdef floating aip
    if m > 1 and m * (j1 - j0) * (p1 - p0) >= SMALL_PRODUCT:
        _gemm(c'N', c'T', <int>(j1 - j0), <int>(p1 - p0), <int>m, alpha, b + j0, <int>n,
              a + p0, <int>k, beta, c + p0 * n + j0, <int>n)
        return
    for p in range(p0, p1):
        if beta == 0:
            for j in range(j0, j1):
                c[p * n + j] = 0
        elif beta != 1:
            for j in range(j0, j1):
                c[p * n + j] *= beta
    for i in range(m):
        for p in range(p0, p1):
            aip = alpha * a[i * k + p]
            for j in range(j0, j1):
                c[p * n + j] += aip * b[i * n + j]


cdef inline void matmul_nt(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, floating alpha,
                           const floating* a, const floating* b,
                           floating beta, floating* c) noexcept nogil:
    """C(m,k) = alpha * A(m,n) . B(k,n)^T + beta * C     (back-propagation: dX = D.W^T)"""
    cdef Py_ssize_t i, j, p
    cdef floating s
    if m > 1 and m * n * k >= SMALL_PRODUCT:
        _gemm(c'T', c'N', <int>k, <int>m, <int>n, alpha, b, <int>n, a, <int>n,
              beta, c, <int>k)
        return
    for i in range(m):
        for p in range(k):
            s = 0
            for j in range(n):
                s += a[i * n + j] * b[p * n + j]
            if beta == 0:
                c[i * k + p] = alpha * s
            else:
                c[i * k + p] = beta * c[i * k + p] + alpha * s
