"""NumPy's PCG64 stepped inside the compiled loop, for the standard normal draws.

numba's `Generator.standard_normal()` calls the bit generator's `next_uint64` through a
function pointer for every draw. Here the 128-bit state is read once from the generator's C
struct (NumPy's `pcg64_state` -> `pcg64_random_t`: the state, then the increment, each a
little-endian 128-bit integer), stepped in registers (state = state x multiplier + increment,
LLVM's native 128-bit product; the output XSL-RR: (high ^ low) rotated right by high >> 58,
PCG64's `pcg64_next64`), and written back after the draws. The ziggurat is numba's port of
NumPy's `random_standard_normal` (its wedge and tail call the same libm `exp` and `log1p`), so
the numbers and the generator's state after them are `rng.standard_normal(out.shape)`'s bit
for bit (tests/test_pcg64.py). About a fifth less CPU time than numba's generator
(docs/performance.md, round 8).

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
from numba.np.random._constants import (  # NumPy's float64 ziggurat tables, as numba copies them
    fi_double,
    ki_double,
    wi_double,
    ziggurat_nor_inv_r,
    ziggurat_nor_r,
)

from gridvalue.simulation.kernels import standard_normals as generator_normals

MULTIPLIER = (0x2360ED051FC65DA4 << 64) | 0x4385DF649FCCF645  # PCG_DEFAULT_MULTIPLIER_128
_MASK64 = (1 << 64) - 1
_UNIT = 1.0 / 9007199254740992.0  # next_double: the top 53 bits


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


@numba.njit(cache=True, nogil=True)
def _normals(words: np.ndarray, out: np.ndarray) -> None:
    """Fill `out` with standard normals from the PCG64 state `words` (state low, high,
    increment low, high; updated in place): numba's `random_standard_normal`, step for step."""
    low, high, inc_low, inc_high = words[0], words[1], words[2], words[3]
    flat = out.reshape(-1)
    for i in range(flat.size):
        while True:
            low, high = _step(low, high, inc_low, inc_high)
            r = _output(low, high)
            idx = r & np.uint64(0xFF)
            r >>= np.uint64(8)
            rabs = (r >> np.uint64(1)) & np.uint64(0x000FFFFFFFFFFFFF)
            x = rabs * wi_double[idx]
            if r & np.uint64(1):
                x = -x
            if rabs < ki_double[idx]:  # 99 % of draws
                break
            if idx == 0:  # the tail
                while True:
                    low, high = _step(low, high, inc_low, inc_high)
                    u1 = (_output(low, high) >> np.uint64(11)) * _UNIT
                    low, high = _step(low, high, inc_low, inc_high)
                    u2 = (_output(low, high) >> np.uint64(11)) * _UNIT
                    xx = -ziggurat_nor_inv_r * np.log1p(-u1)
                    yy = -np.log1p(-u2)
                    if yy + yy > xx * xx:
                        break
                x = -(ziggurat_nor_r + xx) if (rabs >> np.uint64(8)) & np.uint64(1) else \
                    ziggurat_nor_r + xx
                break
            low, high = _step(low, high, inc_low, inc_high)  # the wedge
            u = (_output(low, high) >> np.uint64(11)) * _UNIT
            if (fi_double[idx - 1] - fi_double[idx]) * u + fi_double[idx] < np.exp(-0.5 * x * x):
                break
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
