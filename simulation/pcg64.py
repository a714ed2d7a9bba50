"""NumPy's PCG64 stepped inside the compiled loop, for the standard normal draws (float64
and float32).

numba's `Generator.standard_normal()` calls the bit generator's `next_uint64` through a
function pointer for every draw. Here the 128-bit state is read once from the generator's C
struct (NumPy's `pcg64_state` -> `pcg64_random_t`: the state, then the increment, each a
little-endian 128-bit integer), stepped in registers (state = state x multiplier + increment,
LLVM's native 128-bit product; the output XSL-RR: (high ^ low) rotated right by high >> 58,
PCG64's `pcg64_next64`), and written back after the draws. The ziggurat is numba's port of
NumPy's `random_standard_normal` (its wedge and tail call the same libm `exp` and `log1p`), so
the numbers and the generator's state after them are `rng.standard_normal(out.shape)`'s bit
for bit (tests/test_pcg64.py). `standard_normals32`: NumPy's float32 ziggurat on the same
steps' 32-bit halves.

The draws' loop is kept branch-free on the common path: the ziggurat's sign bit is a factor
of +-1 (exact) rather than a branch, which was mispredicted on half the draws and took most
of their time, and the 1 % of draws that fail the first step go to an out-of-line function
(`_rejected64`, `_rejected32`: the tail, the wedge, and whole draws after a rejection). About
half the CPU time of the loop before, a third of NumPy's (docs/performance.md, round 10).

The struct's layout is checked against `bit_generator.state` on each call; a generator that
is not PCG64, or whose words do not read as its state (a NumPy built without a 128-bit
integer type keeps the high half first), draws through numba's generator instead
(simulation/kernels.py `standard_normals`), the same numbers. Nothing else may draw from the
generator meanwhile.
"""

import ctypes

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic
from numba.np.random._constants import (  # NumPy's ziggurat tables, as numba copies them
    fi_double,
    fi_float,
    ki_double,
    ki_float,
    wi_double,
    wi_float,
    ziggurat_nor_inv_r,
    ziggurat_nor_inv_r_f,
    ziggurat_nor_r,
    ziggurat_nor_r_f,
)

from gridvalue.simulation.kernels import standard_normals as generator_normals

MULTIPLIER = (0x2360ED051FC65DA4 << 64) | 0x4385DF649FCCF645  # PCG_DEFAULT_MULTIPLIER_128
_MASK64 = (1 << 64) - 1
_UNIT = 1.0 / 9007199254740992.0  # next_double: the top 53 bits
_SIGN = np.array([1.0, -1.0])  # the ziggurat's sign bit as a factor


@intrinsic
def _step(typingctx, low, high, inc_low, inc_high):
    """The 128-bit state (low, high) times MULTIPLIER plus the increment, modulo 2^128."""
    signature = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64, types.uint64,
                                                types.uint64)

    def codegen(context, builder, sig, args):
        i128, i64 = ir.IntType(128), ir.IntType(64)
        shift = ir.Constant(i128, 64)

        def join(lo, hi):
            return builder.or_(builder.zext(lo, i128), builder.shl(builder.zext(hi, i128), shift))

        state = builder.add(builder.mul(join(args[0], args[1]), ir.Constant(i128, MULTIPLIER)),
                            join(args[2], args[3]))
        parts = (builder.trunc(state, i64), builder.trunc(builder.lshr(state, shift), i64))
        return context.make_tuple(builder, sig.return_type, parts)

    return signature, codegen


@numba.njit(cache=True, nogil=True, inline="always")
def _output(low: np.uint64, high: np.uint64) -> np.uint64:
    """PCG64's XSL-RR output of a state: (high ^ low) rotated right by high >> 58."""
    x = high ^ low
    r = high >> np.uint64(58)
    return (x >> r) | (x << ((np.uint64(64) - r) & np.uint64(63)))


@numba.njit(cache=True, nogil=True, inline="always")
def _next64(low: np.uint64, high: np.uint64, inc_low: np.uint64, inc_high: np.uint64):
    """PCG64's next_uint64: step the state, output the new one. Returns (draw, low, high)."""
    low, high = _step(low, high, inc_low, inc_high)
    return _output(low, high), low, high


@numba.njit(cache=True, nogil=True, inline="always")
def _fast64(r: np.uint64):
    """The ziggurat's first step on a 64-bit draw: the candidate normal, and whether it is
    taken (99 % of draws). The sign bit is a factor of +-1 (exact, and no branch: a branch
    on it is mispredicted half the time, and was most of the draws' time)."""
    idx = r & np.uint64(0xFF)
    rabs = (r >> np.uint64(9)) & np.uint64(0x000FFFFFFFFFFFFF)
    x = rabs * wi_double[idx] * _SIGN[(r >> np.uint64(8)) & np.uint64(1)]
    return x, rabs < ki_double[idx]


@numba.njit(cache=True, nogil=True)
def _rejected64(r, x, low, high, inc_low, inc_high):
    """The draw `r` (candidate `x`) failed the first step: its tail or wedge, and whole
    draws after a wedge's rejection. Kept out of the draws' loop (cold code, its own
    registers). Returns (normal, state low, state high)."""
    while True:
        idx = r & np.uint64(0xFF)
        rabs = (r >> np.uint64(9)) & np.uint64(0x000FFFFFFFFFFFFF)
        if idx == 0:  # the tail
            while True:
                r1, low, high = _next64(low, high, inc_low, inc_high)
                r2, low, high = _next64(low, high, inc_low, inc_high)
                u1, u2 = (r1 >> np.uint64(11)) * _UNIT, (r2 >> np.uint64(11)) * _UNIT
                xx = -ziggurat_nor_inv_r * np.log1p(-u1)
                yy = -np.log1p(-u2)
                if yy + yy > xx * xx:
                    break
            x = -(ziggurat_nor_r + xx) if (rabs >> np.uint64(8)) & np.uint64(1) else \
                ziggurat_nor_r + xx
            return x, low, high
        r1, low, high = _next64(low, high, inc_low, inc_high)  # the wedge
        u = (r1 >> np.uint64(11)) * _UNIT
        if (fi_double[idx - 1] - fi_double[idx]) * u + fi_double[idx] < np.exp(-0.5 * x * x):
            return x, low, high
        r, low, high = _next64(low, high, inc_low, inc_high)  # rejected: a new draw
        x, taken = _fast64(r)
        if taken:
            return x, low, high


@numba.njit(cache=True, nogil=True)
def _normals(words: np.ndarray, out: np.ndarray) -> None:
    """Fill `out` with standard normals from the PCG64 state `words` (state low, high,
    increment low, high; updated in place): numba's `random_standard_normal`, step for step."""
    low, high, inc_low, inc_high = words[0], words[1], words[2], words[3]
    flat = out.reshape(-1)
    for i in range(flat.size):
        r, low, high = _next64(low, high, inc_low, inc_high)
        x, taken = _fast64(r)
        if not taken:
            x, low, high = _rejected64(r, x, low, high, inc_low, inc_high)
        flat[i] = x
    words[0], words[1] = low, high


@numba.njit(cache=True, nogil=True)
def _normals_into(words: np.ndarray, first: np.ndarray, then: np.ndarray) -> None:
    _normals(words, first)
    _normals(words, then)


def state_words(rng: np.random.Generator) -> np.ndarray | None:
    """The generator's PCG64 state as four uint64 words in its own memory (state low, high,
    increment low, high), or None where it is not PCG64 or its words are not its state."""
    bitgen = rng.bit_generator
    if type(bitgen) is not np.random.PCG64:
        return None
    struct = ctypes.cast(bitgen.ctypes.state_address, ctypes.POINTER(ctypes.c_void_p))[0]
    words = np.ctypeslib.as_array((ctypes.c_uint64 * 4).from_address(struct))
    state = bitgen.state["state"]
    expected = [state["state"] & _MASK64, state["state"] >> 64, state["inc"] & _MASK64,
                state["inc"] >> 64]
    return words if [int(w) for w in words] == expected else None


def standard_normals(rng: np.random.Generator, first: np.ndarray,
                     then: np.ndarray | None = None) -> None:
    """Fill `first`, then `then` if given (C-contiguous float64), with
    `rng.standard_normal()` in order, in one compiled call: NumPy's numbers, bit for bit."""
    words = state_words(rng)
    if words is None:
        generator_normals(rng, first)
        if then is not None:
            generator_normals(rng, then)
    elif then is None:
        _normals(words, first)
    else:
        _normals_into(words, first, then)


# NumPy's float32 ziggurat (numpy/random/src/distributions/distributions.c
# `random_standard_normal_f`), on PCG64's 32-bit draws: the low then the high half of each
# 64-bit draw, the high half kept in the bit generator (`has_uint32`, `uinteger`). numba's own
# float32 `standard_normal` takes the wedge test in float32 (C takes it in double), so its
# numbers part from NumPy's after a few hundred thousand draws (tests/test_kernels.py).
_R32 = np.float32(ziggurat_nor_r_f)
_INV_R32 = np.float32(ziggurat_nor_inv_r_f)
_UNIT32 = np.float32(1.0 / 16777216.0)  # next_float: the top 24 bits of a 32-bit draw
_LOW32 = np.uint64(0xFFFFFFFF)
_SIGN32 = _SIGN.astype(np.float32)


@numba.njit(cache=True, nogil=True, inline="always")
def _next32(low, high, inc_low, inc_high, half: np.uint32, kept: bool):
    """PCG64's next_uint32: the kept high half if any, else a new 64-bit draw's low half
    (keeping its high half). Returns (draw, state low, state high, half, kept)."""
    if kept:
        return half, low, high, half, False
    w, low, high = _next64(low, high, inc_low, inc_high)
    return np.uint32(w & _LOW32), low, high, np.uint32(w >> np.uint64(32)), True


@numba.njit(cache=True, nogil=True, inline="always")
def _fast32(r: np.uint32):
    """`_fast64` on a 32-bit draw: NumPy's float32 ziggurat's first step."""
    idx = r & np.uint32(0xFF)
    rabs = (r >> np.uint32(9)) & np.uint32(0x007FFFFF)
    x = np.float32(rabs) * wi_float[idx] * _SIGN32[(r >> np.uint32(8)) & np.uint32(1)]
    return x, rabs < ki_float[idx]


@numba.njit(cache=True, nogil=True)
def _rejected32(r, x, lo, hi, inc_lo, inc_hi, half: np.uint32, kept: bool):
    """`_rejected64` on 32-bit draws. Returns (normal, state low, state high, half, kept)."""
    while True:
        idx = r & np.uint32(0xFF)
        rabs = (r >> np.uint32(9)) & np.uint32(0x007FFFFF)
        if idx == 0:  # the tail
            while True:
                r1, lo, hi, half, kept = _next32(lo, hi, inc_lo, inc_hi, half, kept)
                r2, lo, hi, half, kept = _next32(lo, hi, inc_lo, inc_hi, half, kept)
                xx = -_INV_R32 * np.log1p(-(np.float32(r1 >> np.uint32(8)) * _UNIT32))
                yy = -np.log1p(-(np.float32(r2 >> np.uint32(8)) * _UNIT32))
                if yy + yy > xx * xx:
                    break
            x = -(_R32 + xx) if (rabs >> np.uint32(8)) & np.uint32(1) else _R32 + xx
            return x, lo, hi, half, kept
        r1, lo, hi, half, kept = _next32(lo, hi, inc_lo, inc_hi, half, kept)  # the wedge,
        u = np.float32(r1 >> np.uint32(8)) * _UNIT32  # tested in double as in C
        if (fi_float[idx - 1] - fi_float[idx]) * u + fi_float[idx] < np.exp(
                -0.5 * np.float64(x) * np.float64(x)):
            return x, lo, hi, half, kept
        r, lo, hi, half, kept = _next32(lo, hi, inc_lo, inc_hi, half, kept)  # a new draw
        x, taken = _fast32(r)
        if taken:
            return x, lo, hi, half, kept


@numba.njit(cache=True, nogil=True, inline="always")
def _normal32(lo, hi, inc_lo, inc_hi, half: np.uint32, kept: bool):
    """One of NumPy's float32 normals from the 32-bit draws of the PCG64 state. Returns
    (normal, state low, state high, half, kept)."""
    r, lo, hi, half, kept = _next32(lo, hi, inc_lo, inc_hi, half, kept)
    x, taken = _fast32(r)
    if not taken:
        return _rejected32(r, x, lo, hi, inc_lo, inc_hi, half, kept)
    return x, lo, hi, half, kept


@numba.njit(cache=True, nogil=True)
def _normals32(words: np.ndarray, out: np.ndarray, half: np.uint32, kept: bool):
    """Fill `out` (float32, C-contiguous) with NumPy's float32 normals from the 32-bit draws
    of the PCG64 state `words` (updated in place; `half`, `kept`: the bit generator's kept
    half on entry); returns the kept half after."""
    lo, hi, inc_lo, inc_hi = words[0], words[1], words[2], words[3]
    flat = out.reshape(-1)
    for i in range(flat.size):
        flat[i], lo, hi, half, kept = _normal32(lo, hi, inc_lo, inc_hi, half, kept)
    words[0], words[1] = lo, hi
    return half, kept


@numba.njit(cache=True, nogil=True)
def _scaled_normals32(words: np.ndarray, out: np.ndarray, scale: np.ndarray,
                      shift: np.ndarray, half: np.uint32, kept: bool):
    """`_normals32` into a (n, T) float32 array, each row's normals then times scale[row]
    plus shift[row], each in float32 (NumPy's `out *= scale; out += shift` roundings)."""
    lo, hi, inc_lo, inc_hi = words[0], words[1], words[2], words[3]
    for r in range(out.shape[0]):
        a, b = scale[r], shift[r]
        for t in range(out.shape[1]):
            x, lo, hi, half, kept = _normal32(lo, hi, inc_lo, inc_hi, half, kept)
            out[r, t] = x * a + b
    words[0], words[1] = lo, hi
    return half, kept


def standard_normals32(rng: np.random.Generator, out: np.ndarray,
                       scale: "np.ndarray | None" = None,
                       shift: "np.ndarray | None" = None) -> None:
    """Fill `out` (float32, C-contiguous) in order with `rng.standard_normal(dtype=np.float32)`:
    the numbers and the generator's state after them (the kept half included) are NumPy's bit
    for bit (test), in about a quarter of NumPy's CPU time. With `scale` and `shift` ((n,)
    float32, out (n, T)): then `out *= scale[:, None]; out += shift[:, None]`, in the same
    pass. A PCG64 generator whose state reads (`state_words`) only; otherwise NumPy draws
    them."""
    words = state_words(rng)
    if words is None:
        rng.standard_normal(out=out, dtype=np.float32)
        if scale is not None:
            out *= scale[:, None]
            out += shift[:, None]
        return
    bitgen = rng.bit_generator
    state = bitgen.state
    half, kept = np.uint32(state["uinteger"]), bool(state["has_uint32"])
    if scale is None:
        half, kept = _normals32(words, out, half, kept)
    else:
        half, kept = _scaled_normals32(words, out, np.ascontiguousarray(scale, np.float32),
                                       np.ascontiguousarray(shift, np.float32), half, kept)
    state = bitgen.state  # the 128-bit state moved on; the kept half is set here
    state["has_uint32"], state["uinteger"] = int(kept), int(half)
    bitgen.state = state
