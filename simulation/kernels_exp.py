"""`gross_day_fast`: simulation/kernels.py's `gross_day` with its `np.exp` (a call of libm's
scalar `exp`, which keeps the loop serial) replaced by `exp_libm` (simulation/exp_libm.py, the
same bits) and the loops turned round so that it vectorises: the AR(1) recurrence is serial in
t but independent across customers, so for a block of BLOCK customers the t loop is outside
and the customers inside, where z[t, c] is contiguous in c and every lane does the same
operations (the recurrence, the argument and `exp_core`, in SIMD registers, the table looked
up with gathers). The block's exponentials wait in a small (T, BLOCK) buffer; a second pass,
customer by customer as `gross_day` goes, scales them by the class shape and the amplitude,
caps them and writes `out`'s rows in order.

LLVM's tuning for recent Intel cores prefers 256-bit vectors even where AVX-512 is there;
`_prefer_512_bit_vectors` asks it for 512-bit ones in this function alone (about a fifth
faster here). The vector width changes no result: every lane does the scalar operations.

Each floating-point operation is the one `gross_day` does, in its order (the recurrence
rho*x + innovation*z, the argument x*sigma, (exp*shape)*amplitude, then the cap), on the same
operands; numba compiles without fastmath, so nothing is reassociated or fused, and the
result is `gross_day`'s bit for bit (tests/test_exp_libm.py). The rare arguments outside
exp's main path (|x*sigma| < 2^-54 or >= 512, inf, nan) are flagged in the vector loop and
recomputed afterwards with the scalar `exp_libm`.
"""

import numba
import numpy as np
from numba.core import types
from numba.extending import intrinsic

from gridvalue.simulation.exp_libm import exp_core, exp_libm


@intrinsic
def _prefer_512_bit_vectors(typingctx):
    """Mark the calling function for 512-bit vectors (LLVM's "prefer-vector-width" and
    "min-legal-vector-width" function attributes; llvmlite knows no string attributes, so
    they go into its attribute set directly). Without them, or where llvmlite refuses,
    the same code at LLVM's default width."""

    def codegen(context, builder, signature, args):
        try:
            for attribute in ('"prefer-vector-width"="512"', '"min-legal-vector-width"="512"'):
                set.add(builder.function.attributes, attribute)
        except TypeError:
            pass
        return context.get_dummy_value()

    return types.none(), codegen


BLOCK = 64  # customers per block: its (T, BLOCK) exponentials, 12 KiB at T = 24, stay in L1


@numba.njit(cache=True, nogil=True, inline="always")
def _gross_block(z: np.ndarray, z0: int, c0: int, m: int, x: np.ndarray, e: np.ndarray,
                 rho: float, innovation: float, sigma: np.ndarray, amplitude: np.ndarray,
                 shape: np.ndarray, klass: np.ndarray, cap: np.ndarray, last: np.ndarray,
                 out: np.ndarray) -> None:
    """The customers c0 to c0 + m, their innovations z[t, z0:z0 + m]: `gross_day`'s day."""
    T = e.shape[0]
    s = sigma[c0:c0 + m]  # views indexed from 0: provably in bounds, so LLVM vectorises
    for j in range(m):
        x[j] = last[c0 + j]
    for t in range(T):
        zt, et = z[t, z0:z0 + m], e[t]
        special = False
        for j in range(m):  # the vector loop: no branch, no call
            xj = rho * x[j] + innovation * zt[j]
            x[j] = xj
            et[j], bad = exp_core(xj * s[j])
            special |= bad
        if special:  # an argument off exp's main path (|x| < 2^-54 or >= 512, inf, nan)
            for j in range(m):
                arg = x[j] * s[j]
                if exp_core(arg)[1]:
                    et[j] = exp_libm(arg)
    for j in range(m):  # rows indexed, not sliced (a view: two atomic reference counts)
        c = c0 + j
        a, limit, k = amplitude[c], cap[c], klass[c]
        for t in range(T):
            value = e[t, j] * shape[k, t] * a
            out[c, t] = value if value < limit else limit
    for j in range(m):
        last[c0 + j] = x[j]


@numba.njit(cache=True, nogil=True)
def gross_day_fast(z: np.ndarray, last: np.ndarray, rho: float, sigma: np.ndarray,
                   amplitude: np.ndarray, shape: np.ndarray, klass: np.ndarray,
                   cap: np.ndarray, out: np.ndarray, lo: int = 0, hi: int = -1) -> None:
    """`gross_day`, the same bits: demand (n, T) into `out` from unit normals `z` (T, n), the
    unit AR(1) from yesterday's `last` (updated in place), min(cap, amplitude x shape[class, t]
    x exp(sigma x_t)); for the customers lo to hi (default: all), each computed alone."""
    _prefer_512_bit_vectors()
    T, n = z.shape
    hi = n if hi < 0 else hi
    innovation = np.sqrt(1.0 - rho * rho)
    x = np.empty(BLOCK)
    e = np.empty((T, BLOCK))
    for c0 in range(lo, hi, BLOCK):
        _gross_block(z, c0, c0, min(BLOCK, hi - c0), x, e, rho, innovation, sigma, amplitude,
                     shape, klass, cap, last, out)


@numba.njit(cache=True, nogil=True)
def gross_day_table_fast(u: np.ndarray, table: np.ndarray, last: np.ndarray, rho: float,
                         sigma: np.ndarray, amplitude: np.ndarray, shape: np.ndarray,
                         klass: np.ndarray, cap: np.ndarray, out: np.ndarray, lo: int = 0,
                         hi: int = -1) -> None:
    """kernels.py `gross_day_table` (innovations table[u[t, c]], u 16-bit uniforms), the same
    bits, as `gross_day_fast`: each block's innovations looked up into a (T, BLOCK) buffer."""
    _prefer_512_bit_vectors()
    T, n = u.shape
    hi = n if hi < 0 else hi
    innovation = np.sqrt(1.0 - rho * rho)
    x, z = np.empty(BLOCK), np.empty((T, BLOCK))
    e = np.empty((T, BLOCK))
    for c0 in range(lo, hi, BLOCK):
        m = min(BLOCK, hi - c0)
        for t in range(T):
            for j in range(m):
                z[t, j] = table[u[t, c0 + j]]
        _gross_block(z, 0, c0, m, x, e, rho, innovation, sigma, amplitude, shape, klass, cap,
                     last, out)
