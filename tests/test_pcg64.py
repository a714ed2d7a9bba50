"""PCG64 stepped inside the compiled loop (simulation/pcg64.py): NumPy's normals and NumPy's
generator state after them, bit for bit, and numba's generator where the state cannot be read."""

import numba
import numpy as np
import pytest

from gridvalue.simulation import pcg64


@pytest.mark.parametrize("seed, shapes", [(0, [(24, 5000), (5000,)]), (7, [(96, 3001)]),
                                          (11, [(1,), (3,)])])
def test_inline_pcg64_normals_are_numpys_bit_for_bit(seed, shapes):
    """The first case's 500,000 draws take the ziggurat's tail over a hundred times and its
    wedge thousands of times; two arrays in one call continue one stream."""
    ours, numpys = (np.random.Generator(np.random.PCG64(seed)) for _ in range(2))
    assert pcg64.state_words(ours) is not None  # the fast path, not the fallback
    for _ in range(3):
        outs = [np.empty(s) for s in shapes]
        pcg64.standard_normals(ours, *outs)
        for out in outs:
            assert np.array_equal(out, numpys.standard_normal(out.shape))
        assert ours.bit_generator.state == numpys.bit_generator.state
    assert ours.bit_generator.random_raw() == numpys.bit_generator.random_raw()


def test_the_step_and_output_are_pcg64s():
    """One draw by the 128-bit step and XSL-RR output written out in Python integers (the
    PCG64 reference) equals the generator's next raw draw."""
    rng = np.random.Generator(np.random.PCG64(3))
    s = rng.bit_generator.state["state"]
    state = (s["state"] * pcg64.MULTIPLIER + s["inc"]) % 2**128
    high, low = state >> 64, state & (2**64 - 1)
    r = high >> 58
    expected = ((high ^ low) >> r | (high ^ low) << (64 - r)) & (2**64 - 1)
    assert rng.bit_generator.random_raw() == expected
    words = np.array([s["state"] & (2**64 - 1), s["state"] >> 64, s["inc"] & (2**64 - 1),
                      s["inc"] >> 64], dtype=np.uint64)
    assert int(_one_draw(words)) == expected


@numba.njit
def _one_draw(words):
    low, high = pcg64._step(words[0], words[1], words[2], words[3])
    return pcg64._output(low, high)


def test_other_generators_draw_through_numba():
    """Another bit generator (no PCG64 state to read) gets the same numbers by numba's
    generator."""
    ours, numpys = (np.random.Generator(np.random.Philox(5)) for _ in range(2))
    assert pcg64.state_words(ours) is None
    out = np.empty(1000)
    pcg64.standard_normals(ours, out)
    assert np.array_equal(out, numpys.standard_normal(1000))
