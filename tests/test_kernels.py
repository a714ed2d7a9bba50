"""The compiled day's totals and sums (simulation/kernels.py) equal NumPy's and scipy's bit for
bit, and the threaded demand kernel equals the serial one."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from gridvalue.simulation import kernels, pcg64
from gridvalue.simulation.network import _incidence, _incidence_product
from gridvalue.simulation.prices import PriceRows
from gridvalue.simulation.totals import NetTotals


def _loads(n: int, T: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    kw = rng.standard_normal((n, T)) * 10.0 ** rng.uniform(-3, 3, (n, 1)) + 0.3
    kw[::5] = np.abs(kw[::5])  # rows without exports
    kw[1::7] = -np.abs(kw[1::7])  # rows without imports
    return kw


@pytest.mark.parametrize("T", [7, 24, 96, 300])
def test_day_totals_are_numpys_bit_for_bit(T):
    kw = _loads(3000, T)
    peak = np.random.default_rng(1).uniform(-1, 3, len(kw))
    totals = NetTotals.of(kw, 2500, peak)
    assert np.array_equal(totals.peak_kw, np.maximum(peak, kw.max(axis=1)))
    assert np.array_equal(totals.household_kw, kw[:2500].sum(axis=0))
    assert np.array_equal(totals.import_kw, np.maximum(kw, 0.0).sum(axis=1))
    assert np.array_equal(totals.export_kw, np.maximum(-kw, 0.0).sum(axis=1))
    assert totals.peak_kw is not peak and totals.matches(kw) and not totals.matches(kw.copy())
    parent = np.random.default_rng(2).integers(0, 40, len(kw))
    by_transformer = NetTotals.of(kw, 2500, peak, parent, 41)  # the last one without rows
    assert np.array_equal(by_transformer.transformer_kw, _incidence(parent, 41) @ kw)
    assert np.array_equal(by_transformer.import_kw, totals.import_kw)
    assert totals.transformer_kw is None


@pytest.mark.parametrize("T", [5, 24, 100, 300])
def test_row_sums_are_numpys_bit_for_bit(T):
    kw = _loads(2000, T, seed=6)
    out = np.empty(len(kw))
    kernels.row_sums(kw, out)
    assert np.array_equal(out, kw.sum(axis=1))
    assert not np.array_equal(out, kw[:, ::-1].cumsum(axis=1)[:, -1])  # the order matters


def test_incidence_product_is_scipys_bit_for_bit():
    kw = _loads(5000, 24, seed=2)
    parent = np.random.default_rng(3).integers(0, 300, len(kw))
    A = _incidence(parent, 300)
    assert np.array_equal(_incidence_product(A, kw), A @ kw)
    weighted = sp.csr_matrix(A.multiply(np.random.default_rng(4).uniform(0.5, 2, A.shape[1])))
    assert np.array_equal(_incidence_product(weighted, kw), weighted @ kw)


def test_threaded_demand_equals_the_serial_kernel():
    rng = np.random.default_rng(5)
    n, T = 4000, 24
    args = (rng.uniform(0.2, 0.6, n), rng.uniform(0.5, 3, n), rng.uniform(0.01, 0.1, (5, T)),
            rng.integers(0, 5, n), rng.uniform(1, 5, n))
    z, last = rng.standard_normal((T, n)), rng.standard_normal(n)
    serial, threaded = np.empty((n, T)), np.empty((n, T))
    last_serial, last_threaded = last.copy(), last.copy()
    kernels.gross_day(z, last_serial, 0.8, *args, serial)
    kernels.numba.set_num_threads(min(2, kernels.numba.config.NUMBA_NUM_THREADS))
    kernels.gross_day_threads(z, last_threaded, 0.8, *args, threaded)
    assert np.array_equal(serial, threaded) and np.array_equal(last_serial, last_threaded)
    assert not np.array_equal(last, last_serial)  # the carried state moved


def test_the_compiled_totals_change_no_bill(monkeypatch):
    """A short run whose bills use the day's compiled imports and exports and one whose bills
    use NumPy's formulas (the settlement's fallback) bill the same, bit for bit."""
    from gridvalue.simulation.model import GridValueModel

    over = {"meta.days": 8, "population.households": 300, "population.enterprises": 40,
            "population.microgrids": 2}
    fast = GridValueModel("tou_pricing", overrides=over).run()
    monkeypatch.setattr(NetTotals, "matches", lambda self, kw: False)
    slow = GridValueModel("tou_pricing", overrides=over).run()
    for column in ("import_kwh", "export_kwh", "bill", "month_bill"):
        assert np.array_equal(fast.customers[column], slow.customers[column]), column
    assert fast.customers["bill"].sum() > 0


@pytest.mark.parametrize("n", [5, 100, 1000, 70_001])
def test_float32_column_sums_are_numpys_bit_for_bit(n):
    kw = np.exp(np.random.default_rng(n).standard_normal((n, 24), dtype=np.float32))
    assert kernels.column_sum32(kw, 7) == kw[:, 7].sum()


def test_history_day_is_the_numpy_expression_bit_for_bit():
    """The platform history's day (simulation/dataplatform.py) against its NumPy form."""
    from gridvalue.simulation.worlds import operating_hours

    rng = np.random.default_rng(6)
    n, T, dt = 900, 24, 1.0
    s = rng.uniform(0.01, 0.2, (4, T)).astype(np.float32)
    klass = rng.integers(0, 4, n)
    w = rng.dirichlet(np.ones(3), n)
    ratio = 1.3
    shaped = rng.uniform(0, 3, (n, T)).astype(np.float32)
    waste_kw = rng.uniform(0, 1, (n, 1)).astype(np.float32)
    block = rng.uniform(0, 2, (n, T)).astype(np.float32)
    level = rng.uniform(0.5, 1.5, n)
    noise = np.exp(rng.standard_normal((n, T), dtype=np.float32))
    op = operating_hours(s)
    waste = (w[:, :1] + (w[:, 1:2] + w[:, 2:3] * ratio) * op[klass]).astype(np.float32)
    sc = s[klass]
    expected = noise.copy()
    expected *= sc * shaped + (waste_kw * waste + block) * sc.mean(axis=1, keepdims=True)
    expected *= level.astype(np.float32)[:, None]
    profile = rng.uniform(0, 1, (n, T))
    kw, out_profile = noise.copy(), profile.copy()
    daily = rng.uniform(0, 1, (n, 5)).astype(np.float32)
    monthly = rng.uniform(0, 100, (n, 12))
    out_daily, out_monthly = daily.copy(), monthly.copy()
    base, slope, lv = w[:, 0], w[:, 1] + w[:, 2] * ratio, level.astype(np.float32)
    for rows in (slice(0, 350), slice(350, n)):  # by rows, as the history shares the pass
        kernels.history_day(kw[rows], s, klass[rows], op, base[rows], slope[rows],
                            shaped[rows], waste_kw[rows, 0], block[rows], lv[rows],
                            np.float32(dt), out_profile[rows], out_daily[rows], 3,
                            out_monthly[rows], 7)
    assert np.array_equal(kw, expected)
    energy = expected.sum(axis=1) * dt
    assert np.array_equal(out_daily[:, 3], energy)
    assert np.array_equal(out_profile, profile + expected)
    daily[:, 3] = energy
    monthly[:, 7] += energy
    assert np.array_equal(out_daily, daily) and np.array_equal(out_monthly, monthly)
    column = np.empty(T, np.float32)
    kernels.running_column_sums32(kw, column)
    assert np.array_equal(column, expected.sum(axis=0))
    assert np.array_equal(column, np.cumsum(expected, axis=0)[-1])  # row after row
    kept_daily, kept_monthly = out_daily.copy(), out_monthly.copy()
    kernels.history_day(noise.copy(), s, klass, op, base, slope, shaped, waste_kw[:, 0], block,
                        lv, np.float32(dt), out_profile, out_daily, -1, out_monthly, -1)
    assert np.array_equal(out_daily, kept_daily) and np.array_equal(out_monthly, kept_monthly)
    assert np.array_equal(out_profile, profile + expected)  # not a metered day: kept


def _shift_and_scale_numpy(load_kw, price, flat, substitution, daily, flexibility_share,
                           shape=None, level=None):
    """simulation/response.py `shift_and_scale` as NumPy passes: `price` = `level` (per row)
    x `shape` (per row and interval; by default 1 x price, as `PriceRows.of_array`). Where
    the level cancels (level and shape positive and finite, the shape within
    CANCEL_RATIO_FLOOR of its maximum, a finite elasticity), the weights are
    (shape / max shape)^sigma; elsewhere max(price / mean price, 1e-12)^sigma."""
    shape = price if shape is None else shape
    level = np.ones(len(price)) if level is None else level
    q = np.maximum(load_kw, 0.0)
    energy = q.sum(axis=1)
    safe_energy = np.where(energy > 0, energy, 1.0)
    mean_price = np.einsum("ij,ij->i", q, price) / safe_energy
    own = price / np.where(mean_price > 0, mean_price, 1.0)[:, None]
    np.maximum(own, 1e-12, out=own)
    np.power(own, substitution[:, None], out=own)
    with np.errstate(all="ignore"):
        cancels = ((level > 0) & (level < np.inf) & ~np.isnan(substitution)
                   & ((shape > 0) & (shape < np.inf)).all(axis=1)
                   & (shape.min(axis=1) >= kernels.CANCEL_RATIO_FLOOR * shape.max(axis=1)))
        top = shape[cancels]
        cancelled = np.power(top / top.max(axis=1, keepdims=True),
                             substitution[cancels][:, None])
    finite = ((cancelled > 0) & (cancelled < np.inf)).all(axis=1)
    load = own
    load[np.flatnonzero(cancels)[finite]] = cancelled[finite]
    load *= q
    total = load.sum(axis=1)
    load *= (energy / np.where(total > 0, total, 1.0))[:, None]
    load -= q
    moved = np.maximum(load, 0.0).sum(axis=1)
    cap = flexibility_share * energy
    load *= np.divide(cap, moved, out=np.ones_like(moved), where=moved > cap)[:, None]
    load += q
    new_mean = np.einsum("ij,ij->i", load, price) / safe_energy
    ratio = np.where(flat > 0, np.maximum(new_mean, 1e-12) / np.where(flat > 0, flat, 1.0), 1.0)
    factor = np.power(ratio, daily)
    load *= factor[:, None]
    return load, factor


@pytest.mark.parametrize("T", [24, 96])
def test_compiled_shift_is_the_numpy_response_bit_for_bit(T):
    from gridvalue.simulation.response import shift_and_scale

    rng = np.random.default_rng(T)
    n = 2000
    load = _loads(n, T, seed=T) + 1.0
    load[::9] = 0.0  # rows without energy
    price = rng.uniform(0.3, 1.5, (n, T))
    flat = np.where(rng.random(n) < 0.1, 0.0, rng.uniform(0.4, 0.8, n))
    substitution = rng.uniform(-0.3, 0.0, n)
    daily = rng.uniform(-0.05, 0.0, n)
    flexibility = rng.choice([0.0, 0.01, 0.05, 0.5], n)  # caps that bind and that do not
    new, factor = shift_and_scale(load, price, flat, substitution, daily, flexibility)
    old, old_factor = _shift_and_scale_numpy(load, price, flat, substitution, daily, flexibility)
    assert np.array_equal(new, old) and np.array_equal(factor, old_factor)
    assert not np.array_equal(new, load)  # it responded


def _level_prices(n: int, T: int, rng) -> np.ndarray:
    """Prices with 1 to 6 distinct values a row (TOU: 2, CPP: 1 or 2, RTP: T), and rows
    whose level does not cancel: a zero, a negative, an infinite price, a spread wider than
    CANCEL_RATIO_FLOOR."""
    flat = rng.uniform(0.4, 0.8, (n, 1))
    count = rng.integers(1, 7, n)
    count[::11] = T  # as RTP
    out = np.empty((n, T))
    for i in range(n):
        multipliers = rng.uniform(0.5, 3.0, count[i])
        out[i] = flat[i] * multipliers[rng.integers(0, count[i], T)]
    out[7::23, 3], out[8::29, 5], out[9::31, 1] = 0.0, -0.2, np.inf
    out[10::37, 2] = out[10::37, 0] * 1e-12
    return out


@pytest.mark.parametrize("T", [24, 96, 13])
def test_response_where_the_level_cancels_or_not_is_the_numpy_response_bit_for_bit(T):
    """Rows whose weights come per distinct price shape and rows that take their own
    relative prices, mixed in one call, against the NumPy passes; rows without energy, with
    negative and signed-zero demand, flat prices of zero, caps that bind and that do not."""
    from gridvalue.simulation.response import shift_and_scale

    rng = np.random.default_rng(100 + T)
    n = 3000
    load = np.abs(_loads(n, T, seed=T)) + 0.01
    load[::9] = 0.0
    load[3::13, : T // 2] = -0.0
    load[5::17] -= 0.5  # some negative intervals
    price = _level_prices(n, T, rng)
    flat = np.where(rng.random(n) < 0.1, 0.0, rng.uniform(0.4, 0.8, n))
    substitution = rng.choice([-0.095, -0.19, -0.3, -0.01, 0.0], n)
    substitution[12::41] = -30.0  # weights past the largest float: the row's own instead
    price[12::41, 4] = price[12::41, 0] * 2e-11
    daily = rng.choice([-0.023, -0.016, 0.0], n)
    flexibility = rng.choice([0.0, 0.01, 0.05, 0.5], n)
    with np.errstate(all="ignore"):
        new, factor = shift_and_scale(load, price, flat, substitution, daily, flexibility)
        old, old_factor = _shift_and_scale_numpy(load, price, flat, substitution, daily,
                                                 flexibility)
    assert np.array_equal(new, old, equal_nan=True)
    assert np.array_equal(factor, old_factor, equal_nan=True)
    numbers = ~np.isnan(new)
    assert np.array_equal(np.signbit(new)[numbers], np.signbit(old)[numbers])
    assert not np.array_equal(new, load)
    for one in (price[:1], np.repeat(price[:1], 2, axis=0)):  # one row / the same row twice
        rows = len(one)
        a = shift_and_scale(load[:rows], one, flat[:rows], substitution[:rows], daily[:rows],
                            flexibility[:rows])
        b = _shift_and_scale_numpy(load[:rows], one, flat[:rows], substitution[:rows],
                                   daily[:rows], flexibility[:rows])
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_the_cancelled_level_gives_the_rows_own_response():
    """The weights per price shape, (m / max m)^sigma, give the response of each row's own
    relative prices, (p / mean p)^sigma, to rounding: the level cancels in the rescale to
    the day's energy (it fails if the shape's weights are not rescaled, or are not the
    shape's)."""
    from gridvalue.simulation.response import shift_and_scale

    rng = np.random.default_rng(21)
    n, T = 2000, 24
    load = np.abs(_loads(n, T, seed=22)) + 0.01
    price = rng.uniform(0.2, 3.0, (n, T)) * rng.uniform(0.4, 0.8, (n, 1))
    args = (rng.uniform(0.4, 0.8, n), rng.choice([-0.095, -0.3, -1.5], n),
            rng.uniform(-0.05, 0.0, n), rng.choice([0.05, 0.5, 1.0], n))
    new, factor = shift_and_scale(load, price, *args)
    own = _shift_and_scale_numpy(load, price, *args, shape=np.full((n, T), np.nan))
    assert np.allclose(new, own[0], rtol=1e-13, atol=0) and not np.array_equal(new, own[0])
    assert np.allclose(factor, own[1], rtol=1e-13, atol=0)
    assert np.abs(new.sum(axis=1) / factor - load.sum(axis=1)).max() < 1e-9  # energy kept
    assert np.abs(new - load).max() > 0.01  # it responded


def test_the_response_to_a_tariffs_factors_is_numpys_where_the_level_cancels_or_not():
    """Prices held as flat x multipliers (simulation/prices.py `PriceRows`, as the tariff
    engine publishes them): the NumPy passes on level = flat price and shape = the row's
    multipliers, bit for bit, with flat prices of zero, subnormal, infinite, NaN and 1e308,
    signed zeros and NaN among the multipliers, as many elasticities as a (package, class)
    keeps; and, where no product rounds to zero or infinity, the response to the (k, T)
    array to rounding."""
    from gridvalue.simulation.response import respond

    rng = np.random.default_rng(14)
    n, T = 900, 24
    mult = rng.choice([0.6, 1.0, 1.7], (5, 3, T))
    mult[1, :, :6] = 1.0 + 2.0 ** -52
    mult[2, 0, ::2], mult[2, 0, 1::2] = 0.0, -0.0
    mult[3, 1, 5] = np.nan
    mult[4] = rng.uniform(0.5, 2.0, (3, T))  # as RTP
    package, klass = rng.integers(0, 5, n), rng.integers(0, 3, n)
    flat = rng.uniform(0.4, 0.8, n)
    flat[::7], flat[1::11], flat[2::13], flat[3::17] = 0.0, 2.0 ** -1074, np.inf, np.nan
    flat[4::19] = 1e308
    rows = np.arange(n)
    factors = PriceRows.of_tariff(flat, rows, package, klass, mult)
    kw = np.abs(_loads(n, T, seed=15)) + 0.01
    sigma = rng.choice([-0.095, -0.19, -0.3], n)
    sigma[::5] = rng.choice([-0.05, -0.07, -0.11, -0.13, -0.17], len(sigma[::5]))
    assert len(np.unique(sigma)) == kernels.ELASTICITY_SLOTS  # as many as a shape keeps
    args = (rng.uniform(0.4, 0.8, n), sigma, rng.uniform(-0.05, 0.0, n),
            rng.choice([0.01, 0.5], n))
    with np.errstate(all="ignore"):
        ours = kw.copy()
        factor = respond(ours, rows, factors, *args)
        expected, expected_factor = _shift_and_scale_numpy(
            kw, factors.array(), *args, shape=mult[package, klass], level=flat)
        by_array = kw.copy()
        array_factor = respond(by_array, rows, PriceRows.of_array(factors.array()), *args)
    assert np.array_equal(ours, expected, equal_nan=True)
    assert np.array_equal(factor, expected_factor, equal_nan=True)
    numbers = ~np.isnan(ours)  # (a NaN's sign is not NumPy's here, nor was it before)
    assert np.array_equal(np.signbit(ours)[numbers], np.signbit(expected)[numbers])
    plain = (flat >= 0.4) & (flat <= 0.8)  # where flat x multipliers rounds no price away
    assert np.allclose(ours[plain], by_array[plain], rtol=1e-13, atol=0, equal_nan=True)
    assert np.allclose(factor[plain], array_factor[plain], rtol=1e-13, atol=0, equal_nan=True)
    assert not np.array_equal(ours[numbers], kw[numbers])


def test_substitution_keys_share_weights_only_where_the_level_cancels():
    """One key per (package, class, elasticity) in order of first appearance, at most
    ELASTICITY_SLOTS elasticities a (package, class); -1 for a flat price that is not
    positive and finite, a NaN elasticity, a multipliers row with a zero, negative or
    infinite value or a spread wider than CANCEL_RATIO_FLOOR."""
    T, S = 4, kernels.ELASTICITY_SLOTS
    mult = np.ones((6, 1, T))
    mult[0, 0] = [1.0, 2.0, 2.0, 1.0]
    mult[1, 0, 1], mult[2, 0, 2], mult[3, 0, 3] = 0.0, -1.0, np.inf
    mult[4, 0, 0] = 0.99e-11
    mult[5, 0, 0] = 1.01e-11
    package = np.array([0, 0, 0, 1, 2, 3, 4, 5, 0, 0])
    flat = np.array([0.5, 0.5, 0.7, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0, np.inf])
    sigma = np.array([-0.1, -0.1, -0.2, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1])
    key = np.empty(len(flat), np.int64)
    entry = kernels.substitution_keys(flat, package, np.zeros(10, np.intp), mult, sigma, key)
    assert key.tolist() == [0, 0, 1, -1, -1, -1, -1, 2, -1, -1]
    assert entry[0].tolist() == [0, 0, 5] and entry[2].tolist() == [-0.1, -0.2, -0.1]
    many = np.linspace(-0.5, -0.1, S + 2)
    key = np.empty(S + 3, np.int64)
    kernels.substitution_keys(np.ones(S + 3), np.zeros(S + 3, np.intp),
                              np.zeros(S + 3, np.intp), mult, np.r_[many, np.nan], key)
    assert key.tolist() == [*range(S), -1, -1, -1]


def test_price_dot_is_numpys_einsum_bit_for_bit():
    """`_price_dot` (through `import_costs`) in NumPy's einsum order, not another."""
    rng = np.random.default_rng(7)
    for T in (1, 2, 7, 8, 9, 24, 96, 131):
        a, b = rng.lognormal(0, 1, (500, T)), rng.uniform(0.1, 2, (500, T))
        out = np.empty(500)
        kernels.import_costs(a, np.arange(500), *PriceRows.of_array(b).parts(), out)
        assert np.array_equal(out, np.einsum("ij,ij->i", a, b)), T
        assert not np.array_equal(out, (a * b).sum(axis=1)) or T < 3  # another order


def test_tariff_prices_costs_and_the_customer_file_are_numpys():
    rng = np.random.default_rng(8)
    n, T = 700, 24
    flat, kw = rng.uniform(0.3, 0.9, n), _loads(n, T, seed=9)
    package, klass = rng.integers(0, 4, n).astype(np.int8), rng.integers(0, 6, n)
    mult = rng.uniform(0.3, 3, (4, 6, T))
    rows = np.flatnonzero(package != 0)
    prices = PriceRows.of_tariff(flat, rows, package, klass, mult)
    out = prices.array()
    assert np.array_equal(out, flat[rows, None] * mult[package[rows], klass[rows]])
    cost = np.empty(len(rows))
    kernels.import_costs(kw, rows, *prices.parts(), cost)  # the factors, not the array
    assert np.array_equal(cost, np.einsum("ij,ij->i", np.maximum(kw[rows], 0.0), out))
    file_kwh = rng.uniform(0, 5, (n, T))
    expected = file_kwh.copy()
    expected[rows] *= 0.97
    expected[rows] += np.maximum(kw[rows], 0.0) * 0.25
    kernels.decay_and_meter(file_kwh, rows, kw, 0.97, 0.25)
    assert np.array_equal(file_kwh, expected)


@pytest.mark.parametrize("seed, shape", [(0, (24, 5000)), (7, (96, 3001)), (11, (1,))])
def test_compiled_normals_are_numpys_bit_for_bit(seed, shape):
    """The same numbers as `Generator.standard_normal` and the generator left in the same
    state; the 480,000 draws of the first case take the ziggurat's tail step (|x| > 3.654)
    over a hundred times and its wedge step thousands of times."""
    ours, numpys = (np.random.Generator(np.random.PCG64(seed)) for _ in range(2))
    for _ in range(4):
        out = np.empty(shape)
        kernels.standard_normals(ours, out)
        expected = numpys.standard_normal(shape)
        assert np.array_equal(out, expected)
    assert ours.bit_generator.state == numpys.bit_generator.state
    assert ours.standard_normal() == numpys.standard_normal()
    if out.size > 1:
        assert np.count_nonzero(np.abs(expected) > 3.6541528853610088) > 10  # tail steps


def _numba_float32_normals(rng, out):
    """numba's own float32 `standard_normal`, one draw at a time."""
    import numba

    @numba.njit
    def fill(rng, flat):
        for i in range(flat.size):
            flat[i] = rng.standard_normal(dtype=np.float32)

    fill(rng, out.reshape(-1))


def test_numbas_own_float32_normals_are_not_numpys():
    """Why `standard_normals32` exists: numba's float32 `standard_normal` takes the ziggurat's
    wedge test in float32 where NumPy's C takes it in double, so the streams part."""
    ours, numpys = (np.random.Generator(np.random.PCG64(2)) for _ in range(2))
    out = np.empty(8_000_000, np.float32)  # this seed's streams part at draw 6,283,203
    _numba_float32_normals(ours, out)
    assert not np.array_equal(out, numpys.standard_normal(out.size, dtype=np.float32))


@pytest.mark.parametrize("seed, shape, before", [(0, (24, 100_000), 0), (7, (96, 3001), 1),
                                                 (11, (1,), 1), (3, (3,), 2), (5, (0,), 1)])
def test_compiled_float32_normals_are_numpys_bit_for_bit(seed, shape, before):
    """The same numbers as `standard_normal(dtype=np.float32)` and the generator left in the
    same state, the kept high half of a 64-bit draw included (`before` float32 draws first:
    an odd count leaves one kept); float64 draws between them leave the kept half alone. Each
    2.4 million draws of the first case take the tail step over 600 times."""
    ours, numpys = (np.random.Generator(np.random.PCG64(seed)) for _ in range(2))
    for g in (ours, numpys):
        g.standard_normal(before, dtype=np.float32)
    for _ in range(4):
        out = np.empty(shape, np.float32)
        pcg64.standard_normals32(ours, out)
        expected = numpys.standard_normal(shape, dtype=np.float32)
        assert np.array_equal(out.view(np.uint32), expected.view(np.uint32))
        assert ours.bit_generator.state == numpys.bit_generator.state
        kernels.standard_normals(ours, np.empty(3))
        numpys.standard_normal(3)
    assert ours.standard_normal(dtype=np.float32) == numpys.standard_normal(dtype=np.float32)
    if out.size > 1_000_000:
        assert np.count_nonzero(np.abs(expected) > 3.6541528853610088) > 100  # tail steps


@pytest.mark.parametrize("generator", [np.random.PCG64, np.random.MT19937])
def test_scaled_float32_normals_are_numpys_two_passes_bit_for_bit(generator):
    """Normals times a row's scale plus its shift in the draws' pass: NumPy's float32
    `out *= scale; out += shift` (no fused multiply-add), the generator in the same state."""
    n, T = 20_000, 24
    rng = np.random.default_rng(9)
    scale = rng.uniform(0.01, 0.6, n).astype(np.float32)
    shift = (-0.5 * scale**2).astype(np.float32)
    scale[::97], shift[1::89] = 0.0, np.float32(3e38)
    ours, numpys = (np.random.Generator(generator(3)) for _ in range(2))
    outs = []
    for _ in range(2):
        out = np.empty((n, T), np.float32)
        pcg64.standard_normals32(ours, out, scale, shift)
        outs.append(out)
        expected = numpys.standard_normal((n, T), dtype=np.float32)
        expected *= scale[:, None]
        expected += shift[:, None]
        assert np.array_equal(out.view(np.uint32), expected.view(np.uint32))
        assert pickle.dumps(ours.bit_generator.state) == pickle.dumps(numpys.bit_generator.state)
    fused = np.empty((n, T), np.float32)
    pcg64.standard_normals32(np.random.Generator(generator(3)), fused)
    two = fused * scale[:, None] + shift[:, None]
    assert np.array_equal(two, outs[0])
    fused = (fused.astype(np.float64) * scale[:, None] + shift[:, None]).astype(np.float32)
    assert not np.array_equal(fused, outs[0])  # (the test tells one rounding from two)


def test_float32_normals_of_another_bit_generator_are_numpys():
    """Not PCG64 (another split of the 64-bit draws): NumPy draws them."""
    ours, numpys = (np.random.Generator(np.random.MT19937(4)) for _ in range(2))
    out = np.empty((5, 7), np.float32)
    pcg64.standard_normals32(ours, out)
    assert np.array_equal(out, numpys.standard_normal((5, 7), dtype=np.float32))
    assert ours.bit_generator.state["state"]["pos"] == numpys.bit_generator.state["state"]["pos"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_class_ratios_are_numpys_bit_for_bit(dtype):
    """The daily ratios of the load features (dataplatform.py `_log_ratio`): the floored
    readings over the class's standard day, as NumPy widens and divides them."""
    rng = np.random.default_rng(14)
    n, days = 3000, 365
    daily = (rng.lognormal(0, 2, (n, days)) * 10.0 ** rng.uniform(-12, 2, (n, 1))).astype(dtype)
    daily[::7, ::5] = 0.0
    daily[3, 4] = np.nan
    klass = rng.integers(0, 9, n).astype(np.int16)
    standard = np.maximum(rng.uniform(0, 3, (9, days)), 1e-12)
    rows = np.sort(rng.choice(n, 2000, replace=False))
    out = np.empty((len(rows), days))
    kernels.class_ratios(daily, rows, klass, dtype(1e-9), standard, out)
    expected = np.maximum(daily[rows], 1e-9) / standard[klass[rows]]
    assert expected.dtype == np.float64
    assert np.array_equal(out, expected, equal_nan=True)
    assert np.isnan(out[rows == 3]).any() == (3 in rows)
