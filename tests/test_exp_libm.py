"""simulation/exp_libm.py's `exp_libm` is the C library's `exp` bit for bit, and
simulation/kernels_exp.py's `gross_day_fast` is `gross_day` bit for bit.

The references are the live libm: `math.exp` (CPython calls libm's `exp`) and a numba loop of
`np.exp` (numba lowers it to the same call; what `gross_day` uses), never NumPy's own `np.exp`
(an AVX-512 routine of its own, not libm's). Those bits depend on the C library and the CPU:
`exp_libm` copies glibc 2.36's `exp` in the variant x86-64 glibc picks on a CPU with FMA and
AVX2 (compiled with -mfma -mavx2, its multiply-adds fused); another glibc may round
differently, and on a CPU without FMA glibc runs a variant without fused operations, whose
results differ in the last bit (`test_the_fused_multiply_adds_matter`). Those comparisons are
skipped there (`SAME_LIBM`); `test_exp_libm_is_the_same_everywhere` is not: `exp_libm` itself
is the same function on any machine.
"""

import hashlib
import math
import os
import platform
import struct

import numba
import numpy as np
import pytest

from gridvalue.simulation import exp_libm as copy
from gridvalue.simulation.exp_libm import exp_core, exp_libm
from gridvalue.simulation.kernels import gross_day, gross_day_table, normal_table
from gridvalue.simulation.kernels_exp import gross_day_fast, gross_day_table_fast


def _cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _glibc() -> str:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError, AttributeError):
        return ""


def _libm_path() -> str | None:
    """The libm this process has loaded (the one math.exp and numba's np.exp call)."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if os.path.basename(path).startswith("libm.so") or "/libm-" in path:
                    return path
    except OSError:
        pass
    return None


SAME_LIBM = (platform.machine() == "x86_64" and _glibc() == "glibc 2.36"
             and {"fma", "avx2"} <= _cpu_flags() and _libm_path() is not None)
needs_this_libm = pytest.mark.skipif(
    not SAME_LIBM, reason="the reference bits are glibc 2.36's exp on x86-64 with FMA and AVX2")


@numba.njit(nogil=True)
def _copy_loop(a: np.ndarray, o: np.ndarray) -> None:
    for i in range(a.size):
        o[i] = exp_libm(a[i])


@numba.njit(nogil=True)
def _numba_libm_loop(a: np.ndarray, o: np.ndarray) -> None:
    for i in range(a.size):
        o[i] = np.exp(a[i])


def _python_exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:  # CPython raises where libm's exp returned inf from a finite x
        return math.inf


def _assert_bits_equal(a: np.ndarray, chunk: int = 2_000_000) -> None:
    """exp_libm(a) has the bits of numba's np.exp and of math.exp (libm's exp), everywhere."""
    for start in range(0, a.size, chunk):
        x = np.ascontiguousarray(a[start:start + chunk])
        mine, numba_libm = np.empty_like(x), np.empty_like(x)
        _copy_loop(x, mine)
        _numba_libm_loop(x, numba_libm)
        python = np.fromiter(map(_python_exp, x.tolist()), np.float64, x.size)
        for reference in (numba_libm, python):
            bad = np.flatnonzero(mine.view(np.uint64) != reference.view(np.uint64))
            assert bad.size == 0, (f"{bad.size} of {x.size} differ, e.g. exp({x[bad[0]]!r}) = "
                                   f"{mine[bad[0]]!r}, libm {reference[bad[0]]!r}")


def _read_exp_data(path: str) -> dict:
    """glibc 2.36's __exp_data, read out of the library file: found by the bytes of invln2N,
    its layout checked on the way (shift 0x1.8p52 at +0x38, the table after exp2's fields)."""
    with open(path, "rb") as f:
        data = f.read()
    start = data.find(struct.pack("<d", float.fromhex("0x1.71547652b82fep7")))
    assert start >= 0 and data.find(struct.pack("<d", float.fromhex("0x1.71547652b82fep7")),
                                    start + 1) < 0  # found, and only once
    fields = struct.unpack_from("<14d", data, start)
    assert fields[7] == float.fromhex("0x1.8p52")  # shift
    assert fields[8] == float.fromhex("0x1.8p45")  # exp2_shift: 0x1.8p52 / 128
    tab = struct.unpack_from("<256Q", data, start + 14 * 8)
    return {"invln2N": fields[0], "negln2hiN": fields[1], "negln2loN": fields[2],
            "poly": fields[3:7], "shift": fields[7], "tab": tab}


@needs_this_libm
def test_the_table_and_constants_are_the_librarys():
    lib = _read_exp_data(os.path.realpath(_libm_path()))
    assert lib["invln2N"] == copy.INV_LN2_N and lib["shift"] == copy.SHIFT
    assert (lib["negln2hiN"], lib["negln2loN"]) == (copy.NEG_LN2_HI_N, copy.NEG_LN2_LO_N)
    assert lib["poly"] == (copy.C2, copy.C3, copy.C4, copy.C5)
    assert lib["tab"] == copy.TAB_BITS and np.array_equal(copy.TAB.view(np.uint64), lib["tab"])
    for k in range(128):  # tab[2k + 1]: the bits of 2^(k/128) less k << 45 (the tail apart)
        near = struct.unpack("<Q", struct.pack("<d", 2.0 ** (k / 128)))[0] - (k << 45)
        assert abs(lib["tab"][2 * k + 1] - near) <= 1
        tail = struct.unpack("<d", struct.pack("<Q", lib["tab"][2 * k]))[0]
        assert abs(tail) < 2.0**-53 and (tail == 0.0) == (k == 0)


@needs_this_libm
def test_exp_libm_is_libms_exp_on_20_million_values_in_the_main_range():
    _assert_bits_equal(np.random.default_rng(20261203).uniform(-6.0, 6.0, 20_000_000))


@needs_this_libm
def test_exp_libm_is_libms_exp_over_the_whole_finite_range():
    rng = np.random.default_rng(745)
    _assert_bits_equal(np.concatenate([
        rng.uniform(-745.0, 710.0, 1_000_000),
        rng.uniform(-746.0, -708.0, 500_000),  # results subnormal or near, underflow to 0
        rng.uniform(-1100.0, -512.0, 200_000), rng.uniform(512.0, 1100.0, 200_000),
        rng.uniform(-1e-15, 1e-15, 100_000), rng.uniform(-1e-300, 1e-300, 100_000),
    ]))


@needs_this_libm
def test_exp_libm_is_libms_exp_on_any_bits():
    """Random doubles of every exponent, NaNs with payloads and signalling NaNs included."""
    bits = np.random.default_rng(64).integers(0, 2**64, 1_000_000, dtype=np.uint64,
                                              endpoint=False)
    _assert_bits_equal(bits.view(np.float64))


def _neighbours(values, k: int = 40) -> np.ndarray:
    """Each value and its k nearest doubles on either side."""
    out = []
    for v in values:
        lo = hi = v
        out.append(v)
        for _ in range(k):
            lo, hi = np.nextafter(lo, -np.inf), np.nextafter(hi, np.inf)
            out.extend((lo, hi))
    return np.array(out, dtype=np.float64)


@needs_this_libm
def test_exp_libm_is_libms_exp_on_the_special_values():
    specials = [0.0, -0.0, 5e-324, -5e-324, 2.0**-1074, 2.0**-1022, -(2.0**-1022),
                1e-310, -1e-310, 1e-300, -1e-300, 1.0, -1.0, 1e308, -1e308,
                np.finfo(np.float64).max, -np.finfo(np.float64).max, np.inf, -np.inf]
    nans = np.array([0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000001,
                     0x7FF4000000000000, 0xFFF0000000000001, 0x7FFFFFFFFFFFFFFF,
                     0x7FF8DEADBEEF0001], dtype=np.uint64).view(np.float64)
    boundaries = []
    for b in (2.0**-54, 2.0**-55, 2.0**-53, 512.0, 1024.0, 1023.99, 708.0, 709.0,
              709.782712893384,  # the largest x with exp(x) finite
              708.3964185322641, 708.39641853226408,  # exp(-x) near the smallest normal
              745.1332191019411, 745.1332191019412, 744.44007192138122, 740.0):
        boundaries += [b, -b]
    _assert_bits_equal(np.concatenate([np.array(specials), nans, _neighbours(boundaries),
                                       _neighbours([0.0, -0.0], k=200)]))


@needs_this_libm
def test_exp_libm_is_libms_exp_on_gross_days_arguments():
    """x * s as `gross_day` forms them: x a unit AR(1) state (unit normal), s in [0.05, 1.5]."""
    rng = np.random.default_rng(24)
    x, s = rng.standard_normal(5_000_000), rng.uniform(0.05, 1.5, 5_000_000)
    _assert_bits_equal(x * s)


@numba.njit(nogil=True)
def _core_loop(a: np.ndarray, o: np.ndarray, special: np.ndarray) -> None:
    for i in range(a.size):
        o[i], special[i] = exp_core(a[i])


def test_the_branch_free_core_is_exact_off_its_flag():
    rng = np.random.default_rng(3)
    a = np.concatenate([rng.integers(0, 2**64, 500_000, dtype=np.uint64).view(np.float64),
                        rng.uniform(-800, 800, 500_000), _neighbours([2.0**-54, 512.0, -512.0])])
    core, special, full = np.empty_like(a), np.empty(a.size, np.bool_), np.empty_like(a)
    _core_loop(a, core, special)
    _copy_loop(a, full)
    magnitude = np.abs(a)
    assert np.array_equal(special, ~((magnitude >= 2.0**-54) & (magnitude < 512.0)))
    assert np.array_equal(core.view(np.uint64)[~special], full.view(np.uint64)[~special])


@numba.njit(nogil=True)
def _unfused_loop(a: np.ndarray, o: np.ndarray) -> None:
    """exp_libm's main path with every multiply-add rounded twice: e_exp.c as the variant
    of glibc without FMA computes it."""
    for i in range(a.size):
        x = a[i]
        kd = x * copy.INV_LN2_N + copy.SHIFT
        ki = copy._bits(kd)
        kd -= copy.SHIFT
        r = x + kd * copy.NEG_LN2_HI_N + kd * copy.NEG_LN2_LO_N
        idx = 2 * (ki & 127)
        r2 = r * r
        tmp = (copy._double(copy.TAB[idx]) + r + r2 * (copy.C2 + r * copy.C3)
               + r2 * r2 * (copy.C4 + r * copy.C5))
        scale = copy._double(copy.TAB[idx + 1] + (ki << 45))
        o[i] = scale + scale * tmp


@needs_this_libm
def test_the_fused_multiply_adds_matter():
    """The comparison can fail: the formula without the fused operations is not this libm's
    exp (it differs in the last bit on a few values in a thousand)."""
    a = np.random.default_rng(9).uniform(-6.0, 6.0, 1_000_000)
    unfused, libm = np.empty_like(a), np.empty_like(a)
    _unfused_loop(a, unfused)
    _numba_libm_loop(a, libm)
    differ = unfused.view(np.int64) != libm.view(np.int64)
    assert differ.sum() > 100
    assert np.abs(unfused.view(np.int64) - libm.view(np.int64)).max() == 1  # ulps


# the sha256 of exp_libm's bits on the values of `test_exp_libm_is_the_same_everywhere`
EVERYWHERE_SHA256 = "df1020b2193078620e921c18b1f4e42e179ab966e955e433b11716d86a6a3241"


def test_exp_libm_is_the_same_everywhere():
    """Not skipped anywhere: exp_libm does not call libm, so its bits are these on any machine
    (the digest was recorded here, where they are libm's)."""
    rng = np.random.default_rng(2036)
    a = np.concatenate([rng.uniform(-6.0, 6.0, 1_000_000), rng.uniform(-745.0, 710.0, 100_000),
                        rng.integers(0, 2**64, 100_000, dtype=np.uint64).view(np.float64)])
    o = np.empty_like(a)
    _copy_loop(a, o)
    assert hashlib.sha256(o.view(np.uint64).tobytes()).hexdigest() == EVERYWHERE_SHA256


def _day(n: int, T: int, seed: int, cap_quantile: float = 0.9):
    rng = np.random.default_rng(seed)
    sigma, amplitude = rng.uniform(0.05, 1.5, n), rng.uniform(0.2, 3.0, n)
    shape, klass = rng.uniform(0.01, 0.5, (5, T)), rng.integers(0, 5, n)
    z, last = rng.standard_normal((T, n)), rng.standard_normal(n)
    typical = amplitude * shape.mean() * np.exp(0.5 * sigma**2)
    cap = typical * rng.uniform(0.5, 4.0, n) * cap_quantile
    return z, last, sigma, amplitude, shape, klass, cap


def _assert_same_day(z, last, rho, sigma, amplitude, shape, klass, cap) -> None:
    n, T = z.shape[1], z.shape[0]
    slow, fast = np.full((n, T), np.nan), np.full((n, T), -1.0)
    last_slow, last_fast = last.copy(), last.copy()
    gross_day(z, last_slow, rho, sigma, amplitude, shape, klass, cap, slow)
    gross_day_fast(z, last_fast, rho, sigma, amplitude, shape, klass, cap, fast)
    assert np.array_equal(slow.view(np.uint64), fast.view(np.uint64))
    assert np.array_equal(last_slow.view(np.uint64), last_fast.view(np.uint64))
    return slow, last_slow


@needs_this_libm
@pytest.mark.parametrize("T", [24, 48, 96])
@pytest.mark.parametrize("n", [1, 7, 100, 1003, 100_000])
def test_gross_day_fast_is_gross_day_bit_for_bit(n, T):
    z, last, sigma, amplitude, shape, klass, cap = _day(n, T, seed=n * 100 + T)
    out, carried = _assert_same_day(z, last, 0.8, sigma, amplitude, shape, klass, cap)
    if n >= 100:
        assert (out == cap[:, None]).any() and (out < cap[:, None]).any()  # the cap binds
    assert not np.array_equal(carried, last)


@needs_this_libm
def test_gross_day_fast_is_gross_day_on_exps_special_arguments():
    """Arguments off exp's main path in a few lanes (sigma 0: exp(0); sigma huge: overflow,
    underflow and |x| >= 512; a NaN and infinite draws), other persistences, class indices of
    another width, strided inputs."""
    n, T = 1003, 24
    z, last, sigma, amplitude, shape, klass, cap = _day(n, T, seed=11)
    sigma[::97] = 0.0
    sigma[5::89] = 700.0
    sigma[7] = 1e-17
    z[3, 10], z[5, 20], z[6, 30] = np.nan, np.inf, -np.inf
    cap[40:50] = np.inf
    for rho in (0.0, 0.8, 0.999):
        _assert_same_day(z, last, rho, sigma, amplitude, shape, klass, cap)
    _assert_same_day(z, last, 0.5, sigma, amplitude, shape, klass.astype(np.int8), cap)
    wide = np.repeat(sigma, 2)[::2]  # a strided view
    _assert_same_day(z, last, 0.5, wide, amplitude, shape, klass, cap)


@needs_this_libm
@pytest.mark.parametrize("n", [1, 100, 1003, 20_000])
def test_gross_day_table_fast_is_gross_day_table_bit_for_bit(n):
    """The table noise's day (16-bit uniforms into the normal quantiles) through the
    vectorised kernel, also on a range of customers (lo, hi), as the serial kernel gives it."""
    T = 24
    _, last, sigma, amplitude, shape, klass, cap = _day(n, T, seed=n + 5)
    u = np.random.default_rng(n).integers(0, 2**16, (T, n), dtype=np.uint64).astype(np.uint16)
    table = normal_table()
    slow, fast = np.full((n, T), np.nan), np.full((n, T), -1.0)
    last_slow, last_fast = last.copy(), last.copy()
    gross_day_table(u, table, last_slow, 0.8, sigma, amplitude, shape, klass, cap, slow)
    half = n // 2  # two ranges, as the shared passes call it
    gross_day_table_fast(u, table, last_fast, 0.8, sigma, amplitude, shape, klass, cap, fast,
                         half, n)
    gross_day_table_fast(u, table, last_fast, 0.8, sigma, amplitude, shape, klass, cap, fast,
                         0, half)
    assert np.array_equal(slow.view(np.uint64), fast.view(np.uint64))
    assert np.array_equal(last_slow.view(np.uint64), last_fast.view(np.uint64))
    assert not np.array_equal(last_fast, last)
