"""Compiled (numba) loops of the daily pipeline: one pass over the (customers, T) array where
NumPy makes many.

`gross_day` (and `gross_day_table`, its table-noise twin): the load engine's demand of one
day from its unit normal draws, the serial references that simulation/kernels_exp.py's
vectorised kernels (which the load engine runs) equal bit for bit; `peak_shaving_day` and
`price_day`: the two battery dispatch rules of simulation/storage.py, one row at a time;
`day_totals` and `csr_times_dense`: the per-customer totals of the day's net loads and the
transformer and feeder sums (simulation/totals.py, network.py), bit for bit NumPy's and
scipy's. Each computes what the NumPy expressions it replaced computed; the AR(1) noise is the same
process written as a recurrence instead of a product with its filter matrix, equal to
rounding (about 1e-16 relative), and the bisection and interval loops of the dispatch are
unchanged. `gross_day_threads`: `gross_day` over numba's threads (`kernel_threads`);
`standard_normals`: NumPy's standard normal draws, the same numbers, compiled on numba's
generator (simulation/pcg64.py steps PCG64 inside the loop, and draws NumPy's float32 normals).
`history_day`: a day of the data platform's history (simulation/dataplatform.py) after its
float32 draws, `running_column_sums32`: that day's column sums, and `class_ratios`: its load
features' daily ratios; `relative_prices`, `shift_respond`, `scale_rows`: the demand response
(simulation/response.py); `factor_prices` and `import_costs`: the day's prices and bills
(simulation/prices.py, tariffs.py); all bit for bit NumPy's. The per-row kernels index rows
(`kw[r, t]`) rather than slicing them: a row view costs two atomic reference counts.
"""

import functools
import os

import numba
import numpy as np

THREADS_ENV = "GRIDVALUE_KERNEL_THREADS"  # >1: the per-customer kernels on numba threads


@functools.cache
def kernel_threads() -> int:
    """Threads for the per-customer kernels: `GRIDVALUE_KERNEL_THREADS` (default 1, serial;
    the results are the same on any number, each customer's row being computed alone). Off
    by default: the machine's cores are usually shared with other runs or workers, and
    numba's thread pools do not mix with forked workers."""
    try:
        wanted = int(os.environ.get(THREADS_ENV, "1"))
    except ValueError:
        wanted = 1
    threads = max(1, min(wanted, numba.config.NUMBA_NUM_THREADS))
    if threads > 1:
        numba.set_num_threads(threads)
    return threads


@numba.njit(cache=True, nogil=True, inline="always")
def _gross_row(c: int, z: np.ndarray, last: np.ndarray, rho: float, sigma: np.ndarray,
               amplitude: np.ndarray, shape: np.ndarray, klass: np.ndarray, cap: np.ndarray,
               out: np.ndarray) -> None:
    """One customer's day of `gross_day`."""
    innovation = np.sqrt(1.0 - rho * rho)
    x = last[c]
    s, a, k, limit = sigma[c], amplitude[c], klass[c], cap[c]
    for t in range(z.shape[0]):
        x = rho * x + innovation * z[t, c]
        value = np.exp(x * s) * shape[k, t] * a
        out[c, t] = value if value < limit else limit
    last[c] = x


@numba.njit(cache=True, nogil=True)
def gross_day(z: np.ndarray, last: np.ndarray, rho: float, sigma: np.ndarray,
              amplitude: np.ndarray, shape: np.ndarray, klass: np.ndarray,
              cap: np.ndarray, out: np.ndarray) -> None:
    """Demand (n, T) into `out` from unit normals `z` (T, n) in the stream's order: the unit
    AR(1) x_t = rho x_{t-1} + sqrt(1 - rho^2) z_t from yesterday's `last` (updated in
    place), then min(cap, amplitude x shape[class, t] x exp(sigma x_t))."""
    for c in range(z.shape[1]):
        _gross_row(c, z, last, rho, sigma, amplitude, shape, klass, cap, out)


@numba.njit(cache=True, nogil=True, parallel=True)
def gross_day_threads(z: np.ndarray, last: np.ndarray, rho: float, sigma: np.ndarray,
                      amplitude: np.ndarray, shape: np.ndarray, klass: np.ndarray,
                      cap: np.ndarray, out: np.ndarray) -> None:
    """`gross_day` with the customers spread over numba's threads: each row is computed
    alone, so the result is the same on any number of threads."""
    for c in numba.prange(z.shape[1]):
        _gross_row(c, z, last, rho, sigma, amplitude, shape, klass, cap, out)


@numba.njit(cache=True, nogil=True)
def day_levels(level: np.ndarray, draws: np.ndarray, phi: float, innovation: float,
               day_sigma: np.ndarray, sigma: np.ndarray, log_factor: np.ndarray) -> None:
    """The day level's AR(1) step in place, level = phi level + innovation draws, and the
    log of the day's noise factor, day_sigma level - (day_sigma^2 + sigma^2) / 2, into
    `log_factor`: NumPy's element-wise expressions of `LoadEngine.gross_kw`, bit for bit."""
    for c in range(len(level)):
        x = phi * level[c] + innovation * draws[c]
        level[c] = x
        d, s = day_sigma[c], sigma[c]
        log_factor[c] = d * x - 0.5 * (d * d + s * s)


@numba.njit(cache=True, nogil=True)
def day_scales(annual_kwh: np.ndarray, load_scale: np.ndarray, factor: np.ndarray,
               weather_factor: float, connected_kw: np.ndarray, amplitude: np.ndarray,
               cap: np.ndarray) -> None:
    """amplitude = annual kWh x load scale x factor x weather factor and cap = connected kW x
    load scale, in that order (NumPy's products of `LoadEngine.gross_kw`, bit for bit)."""
    for c in range(len(amplitude)):
        amplitude[c] = ((annual_kwh[c] * load_scale[c]) * factor[c]) * weather_factor
        cap[c] = connected_kw[c] * load_scale[c]


@numba.njit(cache=True, nogil=True)
def standard_normals(rng: np.random.Generator, out: np.ndarray) -> None:
    """Fill `out` (C-contiguous) in order with `rng.standard_normal()`: numba's port of
    NumPy's ziggurat on the generator's own bit generator, so the numbers and the generator's
    state after them are those of `rng.standard_normal(out.shape)` bit for bit (its rare
    wedge and tail steps call the same libm `exp` and `log1p`; test), in about a third of
    NumPy's CPU time (docs/performance.md, round 6). Nothing else may draw from the generator
    meanwhile."""
    flat = out.reshape(-1)
    for i in range(flat.size):
        flat[i] = rng.standard_normal()


NORMAL_TABLE_SIZE = 65536


def normal_table() -> np.ndarray:
    """NORMAL_TABLE_SIZE quantiles of the standard normal at the bins' midpoints, rescaled
    to unit variance (mean 0 by symmetry): a 16-bit uniform index draws from it."""
    from scipy.special import ndtri

    q = ndtri((np.arange(NORMAL_TABLE_SIZE) + 0.5) / NORMAL_TABLE_SIZE)
    return q / np.sqrt(np.mean(q**2))


@numba.njit(cache=True, nogil=True)
def gross_day_table(u: np.ndarray, table: np.ndarray, last: np.ndarray, rho: float,
                    sigma: np.ndarray, amplitude: np.ndarray, shape: np.ndarray,
                    klass: np.ndarray, cap: np.ndarray, out: np.ndarray) -> None:
    """`gross_day` with the innovations z[t, c] = table[u[t, c]] (u: 16-bit uniforms)."""
    T, n = u.shape
    innovation = np.sqrt(1.0 - rho * rho)
    for c in range(n):
        x = last[c]
        s, a, k, limit = sigma[c], amplitude[c], klass[c], cap[c]
        for t in range(T):
            x = rho * x + innovation * table[u[t, c]]
            value = np.exp(x * s) * shape[k, t] * a
            out[c, t] = value if value < limit else limit
        last[c] = x


@numba.njit(cache=True, nogil=True)
def peak_shaving_day(net_kw: np.ndarray, soc: np.ndarray, soc_min: np.ndarray,
                     soc_max: np.ndarray, p_max: np.ndarray, eta: float, dt: float,
                     iterations: int, power: np.ndarray, losses: np.ndarray) -> None:
    """simulation/storage.py `dispatch_peak_shaving`, one row at a time: the threshold by
    bisection, then the day's intervals in order; `soc`, `power` and `losses` in place."""
    n, T = net_kw.shape
    for i in range(n):
        p, s, low_soc, high_soc = p_max[i], soc[i], soc_min[i], soc_max[i]
        surplus, total, top, bottom = 0.0, 0.0, -np.inf, np.inf
        for t in range(T):
            v = net_kw[i, t]
            surplus += min(max(-v, 0.0), p)
            total += v
            top = max(top, v)
            bottom = min(bottom, v)
        usable = min(max(s - low_soc, 0.0) + surplus * dt * eta, high_soc - low_soc) * eta
        low, high = min(bottom, top - p), top
        for _ in range(iterations):
            mid = 0.5 * (low + high)
            excess = 0.0
            for t in range(T):
                excess += min(max(net_kw[i, t] - mid, 0.0), p)
            if excess * dt <= usable:
                high = mid
            else:
                low = mid
        threshold, valley, lost = high, total / T, 0.0
        for t in range(T):
            load = net_kw[i, t]
            discharge = min(max(load - threshold, 0.0), p, max(s - low_soc, 0.0) * eta / dt)
            wanted = -load if load < 0.0 else max(valley - load, 0.0)
            if load > threshold:
                wanted = 0.0
            charge = min(wanted, p, max(high_soc - s, 0.0) / (eta * dt))
            s += charge * eta * dt - discharge * dt / eta
            lost += charge * dt * (1.0 - eta) + discharge * dt * (1.0 / eta - 1.0)
            power[i, t] = charge - discharge
        soc[i] = min(max(s, low_soc), high_soc)  # guards rounding only
        losses[i] = lost


@numba.njit(cache=True, nogil=True)
def price_day(net_kw: np.ndarray, price: np.ndarray, soc: np.ndarray, soc_min: np.ndarray,
              soc_max: np.ndarray, p_max: np.ndarray, eta: float, roundtrip: float,
              dt: float, power: np.ndarray, losses: np.ndarray) -> None:
    """simulation/storage.py `dispatch_price`, one row at a time; in place."""
    n, T = net_kw.shape
    for i in range(n):
        p, s, low_soc, high_soc = p_max[i], soc[i], soc_min[i], soc_max[i]
        fill = (high_soc - low_soc) / (p * eta * dt) if p > 0 else 0.0
        k = int(min(max(np.ceil(fill), 1.0), max(T // 2, 1)))
        ordered = np.sort(price[i])
        low, high = ordered[k - 1], ordered[T - k]
        trade = high * roundtrip > low
        lost = 0.0
        for t in range(T):
            q, load = price[i, t], net_kw[i, t]
            discharge = 0.0
            if trade and q >= high:
                discharge = min(p, max(s - low_soc, 0.0) * eta / dt, max(load, 0.0))
            charge = 0.0
            if trade and q <= low and discharge == 0.0:
                charge = min(p, max(high_soc - s, 0.0) / (eta * dt))
            s += charge * eta * dt - discharge * dt / eta
            lost += charge * dt * (1.0 - eta) + discharge * dt * (1.0 / eta - 1.0)
            power[i, t] = charge - discharge
        soc[i] = min(max(s, low_soc), high_soc)  # guards rounding only
        losses[i] = lost


# ---- the day's totals: one pass over the final net loads ------------------------------------
# NumPy sums a row of a C-contiguous array pairwise (8 accumulators up to 128 values, halves
# above); `_pairwise` repeats that order exactly, so the compiled totals are bit for bit those
# of `x.sum(axis=1)`; a sum down the rows (`x.sum(axis=0)`) and scipy's CSR product with a
# dense array add one row after the other from 0, which the loops below repeat.


@numba.njit(cache=True, nogil=True)
def _block(a: np.ndarray, lo: int, n: int, zero):
    """NumPy's pairwise sum of a[lo:lo + n] for n <= 128 (numpy/_core/src/umath/
    loops_utils.h.src): a plain loop from `zero` under 8 values, else 8 accumulators. `zero`
    (0.0 or np.float32(0)) gives the accumulators' type: NumPy sums float32 in float32."""
    if n < 8:
        res = zero
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        j = lo + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@numba.njit(cache=True, nogil=True)
def _pairwise(a: np.ndarray, lo: int, n: int, zero):
    """NumPy's pairwise sum of a[lo:lo + n] of any length: above 128 values the halves (the
    first a multiple of 8) are summed alike and added, here with an explicit stack (numba's
    cache does not take recursive functions)."""
    if n <= 128:
        return _block(a, lo, n, zero)
    starts, sizes = np.empty(64, np.int64), np.empty(64, np.int64)
    stage, left = np.zeros(64, np.int64), np.full(64, zero)
    depth, value = 0, zero
    starts[0], sizes[0] = lo, n
    while True:
        start, size = starts[depth], sizes[depth]
        half = size // 2
        half -= half % 8
        if size <= 128:
            value = _block(a, start, size, zero)
            depth -= 1
        elif stage[depth] == 0:  # the first half
            stage[depth] = 1
            depth += 1
            starts[depth], sizes[depth], stage[depth] = start, half, 0
            continue
        elif stage[depth] == 1:  # the first half is `value`: the second half
            left[depth], stage[depth] = value, 2
            depth += 1
            starts[depth], sizes[depth], stage[depth] = start + half, size - half, 0
            continue
        else:  # both halves done
            value = left[depth] + value
            depth -= 1
        if depth < 0:
            return value


@numba.njit(cache=True, nogil=True, inline="always")
def _pos(v: float) -> float:
    return v if v > 0.0 else 0.0


@numba.njit(cache=True, nogil=True, inline="always")
def _neg(v: float) -> float:
    return -v if v < 0.0 else 0.0


@numba.njit(cache=True, nogil=True, inline="always")
def _above(v: float, top: float) -> float:
    return v if v > top else top


@numba.njit(cache=True, nogil=True, inline="always")
def _row_totals(kw: np.ndarray, c: int, top: float) -> tuple[float, float, float]:
    """For row c of kw (n, T), 8 <= T <= 128, indexed (not a view): the running peak from
    `top` (`if v > top: top = v` over the row), and `_block` of max(row, 0) and of
    max(-row, 0), fused: the same eight accumulators each, the same additions in the same
    order, no temporary rows. The peak is taken in
    eight lanes, which gives the serial loop's bits whenever it is not zero (equal non-zero
    doubles have equal bits; NaN is never taken, as in the loop); a zero peak, where the
    loop's order decides between -0.0 and +0.0, is taken again serially."""
    T = kw.shape[1]
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = top
    p0 = p1 = p2 = p3 = p4 = p5 = p6 = p7 = 0.0
    q0 = q1 = q2 = q3 = q4 = q5 = q6 = q7 = 0.0
    body = T - T % 8
    for j in range(0, body, 8):
        v0, v1, v2, v3 = kw[c, j], kw[c, j + 1], kw[c, j + 2], kw[c, j + 3]
        v4, v5, v6, v7 = kw[c, j + 4], kw[c, j + 5], kw[c, j + 6], kw[c, j + 7]
        m0, m1, m2, m3 = _above(v0, m0), _above(v1, m1), _above(v2, m2), _above(v3, m3)
        m4, m5, m6, m7 = _above(v4, m4), _above(v5, m5), _above(v6, m6), _above(v7, m7)
        if j == 0:  # _block starts its accumulators at the first eight values
            p0, p1, p2, p3 = _pos(v0), _pos(v1), _pos(v2), _pos(v3)
            p4, p5, p6, p7 = _pos(v4), _pos(v5), _pos(v6), _pos(v7)
            q0, q1, q2, q3 = _neg(v0), _neg(v1), _neg(v2), _neg(v3)
            q4, q5, q6, q7 = _neg(v4), _neg(v5), _neg(v6), _neg(v7)
            continue
        p0 += _pos(v0)
        p1 += _pos(v1)
        p2 += _pos(v2)
        p3 += _pos(v3)
        p4 += _pos(v4)
        p5 += _pos(v5)
        p6 += _pos(v6)
        p7 += _pos(v7)
        q0 += _neg(v0)
        q1 += _neg(v1)
        q2 += _neg(v2)
        q3 += _neg(v3)
        q4 += _neg(v4)
        q5 += _neg(v5)
        q6 += _neg(v6)
        q7 += _neg(v7)
    imports = ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))
    exports = ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7))
    peak = _above(m7, _above(m6, _above(m5, _above(m4, _above(m3, _above(m2, _above(m1, m0)))))))
    for t in range(body, T):
        v = kw[c, t]
        peak = _above(v, peak)
        imports += _pos(v)
        exports += _neg(v)
    if peak == 0.0:
        peak = top
        for t in range(T):
            peak = _above(kw[c, t], peak)
    return peak, imports, exports


@numba.njit(cache=True, nogil=True)
def day_totals(kw: np.ndarray, n_households: int, peak_kw: np.ndarray, household_kw: np.ndarray,
               import_kw: np.ndarray, export_kw: np.ndarray, parent: np.ndarray,
               parent_kw: np.ndarray) -> None:
    """One pass over the day's net loads `kw` (n, T): each row's peak into `peak_kw` (the
    running maximum, in place), the sum of the first `n_households` rows into `household_kw`,
    each row's summed imports max(kw, 0) and exports max(-kw, 0) (kW; times the interval's
    hours for kWh), as NumPy computes them (8 to 128 intervals: fused, without temporaries),
    and, if `parent` is not empty, the rows summed into `parent_kw` (n_parents, T) by each
    row's parent: the product with the incidence matrix in scipy's order (`csr_times_dense`
    of a CSR with ones in ascending columns: each parent's rows added from 0 in row order)."""
    n, T = kw.shape
    fused = 8 <= T <= 128
    pos, neg = np.empty(T), np.empty(T)
    household_kw[:] = 0.0
    by_parent = len(parent) > 0
    if by_parent:
        parent_kw[:] = 0.0
    for c in range(n):  # rows indexed, not sliced (a view: two atomic reference counts)
        if fused:
            peak_kw[c], import_kw[c], export_kw[c] = _row_totals(kw, c, peak_kw[c])
        else:
            top = peak_kw[c]
            for t in range(T):
                top = _above(kw[c, t], top)
            peak_kw[c] = top
            for t in range(T):
                pos[t], neg[t] = _pos(kw[c, t]), _neg(kw[c, t])
            import_kw[c] = _pairwise(pos, 0, T, 0.0)
            export_kw[c] = _pairwise(neg, 0, T, 0.0)
        if c < n_households:
            for t in range(T):
                household_kw[t] += kw[c, t]
        if by_parent:
            p = parent[c]
            for t in range(T):
                parent_kw[p, t] += 1.0 * kw[c, t]


@numba.njit(cache=True, nogil=True)
def csr_times_dense(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, x: np.ndarray,
                    out: np.ndarray) -> None:
    """out = A @ x for a CSR matrix A (indptr, indices, data) and a dense (m, T) x, in
    scipy's order (csr_matvecs: each output row from 0, adding data * x row by row)."""
    T = x.shape[1]
    for i in range(len(indptr) - 1):
        for t in range(T):
            out[i, t] = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            a, j = data[jj], indices[jj]
            for t in range(T):
                out[i, t] += a * x[j, t]


# ---- the data platform's history: one pass per day after the lognormal draws -------------------


@numba.njit(cache=True, nogil=True)
def history_day(kw: np.ndarray, shape: np.ndarray, klass: np.ndarray, operating: np.ndarray,
                waste_base: np.ndarray, waste_slope: np.ndarray, shaped_kw: np.ndarray,
                waste_kw: np.ndarray, block_kw: np.ndarray, level: np.ndarray, dt: np.float32,
                profile_sum: np.ndarray, daily_kwh: np.ndarray, meter_day: int,
                monthly_kwh: np.ndarray, month: int) -> None:
    """One day of simulation/dataplatform.py's history from the lognormal noise `kw` (n, T,
    float32, scaled in place to the readings), as the NumPy expressions compute it in float32:
    kw *= sc x shaped + (waste_kw x waste + block) x mean(sc); kw *= level, with sc the
    class shape `shape[klass]` and waste = float32(base + slope x operating[klass]) (the
    world's pattern, simulation/worlds.py `waste_parts`); then each row's day energy (its
    sum x `dt`). On a metered day (`meter_day` >= 0), `profile_sum += kw` and the energy into
    `daily_kwh[:, meter_day]`; on a billed day (`month` >= 0), the energy widened to float64
    added to `monthly_kwh[:, month]`: NumPy's column assignment and `+=`, in the rows' pass
    rather than two strided passes after it. Each row is computed alone, so the pass may be
    split by rows (the arrays' row slices) between threads."""
    n, T = kw.shape
    mean = np.empty(shape.shape[0], np.float32)
    for k in range(shape.shape[0]):
        mean[k] = _pairwise(shape[k], 0, T, np.float32(0.0)) / np.float32(T)
    for c in range(n):
        k = klass[c]
        base, slope, waste_c, level_c = waste_base[c], waste_slope[c], waste_kw[c], level[c]
        for t in range(T):  # the row indexed, not sliced (a view: two atomic reference counts)
            waste = np.float32(base + slope * operating[k, t])
            factor = shape[k, t] * shaped_kw[c, t] + (waste_c * waste + block_kw[c, t]) * mean[k]
            kw[c, t] = (kw[c, t] * factor) * level_c
        e = _row_sum(kw, c, np.float32(0.0)) * dt
        if month >= 0:
            monthly_kwh[c, month] += np.float64(e)
        if meter_day >= 0:
            daily_kwh[c, meter_day] = e
            for t in range(T):
                profile_sum[c, t] += kw[c, t]


@numba.njit(cache=True, nogil=True)
def class_ratios(daily: np.ndarray, rows: np.ndarray, klass: np.ndarray, floor,
                 standard: np.ndarray, out: np.ndarray) -> None:
    """out[i, d] = max(daily[r, d], floor) / standard[klass[r], d] for r = rows[i], in float64
    (`floor` of daily's type; float32 readings widened exactly before the division): NumPy's
    `np.maximum(daily[rows], floor) / standard[klass[rows]]` without its two (rows, days)
    temporaries (simulation/dataplatform.py `_log_ratio`)."""
    for i in range(len(rows)):
        r = rows[i]
        k = klass[r]
        for d in range(daily.shape[1]):
            out[i, d] = np.float64(_max(daily[r, d], floor)) / standard[k, d]


@numba.njit(cache=True, nogil=True)
def running_column_sums32(kw: np.ndarray, out: np.ndarray) -> None:
    """out[t] = the float32 running sum of kw[:, t] over the rows in their order (NumPy's
    `kw.sum(axis=0)` of a C-contiguous (n, T) float32 array, which adds row after row): the
    history's day columns, whose largest is the day's system peak interval."""
    n, T = kw.shape
    for t in range(T):
        out[t] = np.float32(0.0)
    for c in range(n):
        for t in range(T):
            out[t] += kw[c, t]


@numba.njit(cache=True, nogil=True)
def column_sum32(kw: np.ndarray, t: int) -> np.float32:
    """kw[:, t].sum() of a float32 (n, T) array, bit for bit NumPy's (pairwise, strided)."""
    return _pairwise(kw[:, t], 0, kw.shape[0], np.float32(0.0))


# ---- the demand response, the package prices and the bills in compiled passes ------------------
# np.einsum("ij,ij->i") of C-contiguous float64 rows is NumPy's baseline-SIMD sum of products
# (numpy/_core/src/multiarray/einsum_sumprod.c.src, x86-64-v2: two lanes, four vectors an
# iteration, multiply then add, no FMA); `_price_dot` repeats that order, `_max` np.maximum's
# choice (NaN propagates; of equal values the second). np.power stays NumPy's (its AVX-512
# routine is not libm's); the response computes it once per (package, class, elasticity) where
# the row's price level cancels (simulation/response.py), per row elsewhere.

# the smallest price / largest price of a multipliers row whose weights are taken per
# (package, class, elasticity): above it the response's floor on relative prices (1e-12)
# never binds, so the row's level cancels exactly (in exact arithmetic)
CANCEL_RATIO_FLOOR = 1e-11
ELASTICITY_SLOTS = 8  # distinct substitution elasticities kept per (package, class)


@numba.njit(cache=True, nogil=True, inline="always")
def _max(a: float, b: float) -> float:
    """np.maximum(a, b) bit for bit: NaN if either is, else a where a > b, else b."""
    return a if (a > b or a != a) else b


@numba.njit(cache=True, nogil=True, inline="always")
def _row_sum(a: np.ndarray, i: int, zero=0.0):
    """a[i].sum() of a row of a C-contiguous (., n) array, NumPy's pairwise order (`_block`,
    inlined for rows of up to 128 values, `_pairwise` above), the row indexed; `zero` as
    `_block`'s (np.float32(0) for float32 sums)."""
    n = a.shape[1]
    if n > 128:
        return _pairwise(a[i], 0, n, zero)
    if n < 8:
        res = zero
        for t in range(n):
            res += a[i, t]
        return res
    r0, r1, r2, r3 = a[i, 0], a[i, 1], a[i, 2], a[i, 3]
    r4, r5, r6, r7 = a[i, 4], a[i, 5], a[i, 6], a[i, 7]
    t = 8
    while t < n - n % 8:
        r0 += a[i, t]
        r1 += a[i, t + 1]
        r2 += a[i, t + 2]
        r3 += a[i, t + 3]
        r4 += a[i, t + 4]
        r5 += a[i, t + 5]
        r6 += a[i, t + 6]
        r7 += a[i, t + 7]
        t += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while t < n:
        res += a[i, t]
        t += 1
    return res


@numba.njit(cache=True, nogil=True, inline="always")
def _price_dot(a: np.ndarray, i: int, flat: np.ndarray, package: np.ndarray,
               klass: np.ndarray, multipliers: np.ndarray, c: int) -> float:
    """np.einsum("i,i->", a[i], price) of row a[i] of a C-contiguous float64 (., T) array
    and row c's prices flat[c] x multipliers[package[c], klass[c]] (`_prices_of`), in
    NumPy's order (above), each price multiplied out where it is used, so no prices' row is
    written. Rows are indexed, not sliced: a row view costs two atomic reference counts,
    which stall the loop (about half of these kernels' time at T = 24)."""
    n = a.shape[1]
    f, p, k = flat[c], package[c], klass[c]
    v0, v1 = 0.0, 0.0
    t = 0
    while n - t >= 8:
        v0 = a[i, t + 6] * (f * multipliers[p, k, t + 6]) + v0
        v1 = a[i, t + 7] * (f * multipliers[p, k, t + 7]) + v1
        v0 = a[i, t + 4] * (f * multipliers[p, k, t + 4]) + v0
        v1 = a[i, t + 5] * (f * multipliers[p, k, t + 5]) + v1
        v0 = a[i, t + 2] * (f * multipliers[p, k, t + 2]) + v0
        v1 = a[i, t + 3] * (f * multipliers[p, k, t + 3]) + v1
        v0 = a[i, t] * (f * multipliers[p, k, t]) + v0
        v1 = a[i, t + 1] * (f * multipliers[p, k, t + 1]) + v1
        t += 8
    while t < n:
        v0 = a[i, t] * (f * multipliers[p, k, t]) + v0
        v1 = (a[i, t + 1] * (f * multipliers[p, k, t + 1]) if t + 1 < n else 0.0) + v1
        t += 2
    return 0.0 + (v0 + v1)


@numba.njit(cache=True, nogil=True)
def substitution_keys(flat: np.ndarray, package: np.ndarray, klass: np.ndarray,
                      multipliers: np.ndarray, substitution: np.ndarray, key: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which rows' substitution weights may be taken from their multipliers alone: those
    with a positive finite flat price, a finite elasticity and a multipliers row of positive
    finite values within CANCEL_RATIO_FLOOR of each other. key[c] is the row's entry in the
    returned (package, class, elasticity) table, entries in order of first appearance (-1:
    the row's own relative prices are needed); at most ELASTICITY_SLOTS elasticities per
    (package, class), later ones get -1."""
    P, K, T = multipliers.shape
    S = ELASTICITY_SLOTS
    usable = np.zeros((P, K), np.bool_)
    for a in range(P):
        for b in range(K):
            low, high, ok = np.inf, 0.0, True
            for t in range(T):
                v = multipliers[a, b, t]
                if not (v > 0.0 and v < np.inf):
                    ok = False
                    break
                low, high = min(low, v), max(high, v)
            usable[a, b] = ok and low >= CANCEL_RATIO_FLOOR * high
    count = np.zeros((P, K), np.int64)
    slot_sigma, slot_key = np.empty((P, K, S)), np.empty((P, K, S), np.int64)
    size = min(len(flat), P * K * S)
    entry_package, entry_klass = np.empty(size, np.intp), np.empty(size, np.intp)
    entry_sigma = np.empty(size)
    u = 0
    for c in range(len(flat)):
        a, b, f, s = package[c], klass[c], flat[c], substitution[c]
        key[c] = -1
        if not (f > 0.0 and f < np.inf and s == s and usable[a, b]):
            continue
        j = 0
        while j < count[a, b] and slot_sigma[a, b, j] != s:
            j += 1
        if j == count[a, b]:
            if j == S:
                continue
            slot_sigma[a, b, j], slot_key[a, b, j] = s, u
            entry_package[u], entry_klass[u], entry_sigma[u] = a, b, s
            count[a, b] += 1
            u += 1
        key[c] = slot_key[a, b, j]
    return entry_package[:u], entry_klass[:u], entry_sigma[:u]


@numba.njit(cache=True, nogil=True)
def relative_prices(kw: np.ndarray, rows: np.ndarray, flat: np.ndarray, package: np.ndarray,
                    klass: np.ndarray, multipliers: np.ndarray, relative: np.ndarray) -> None:
    """The relative prices of the customers at `rows` (demand `kw[rows]`, prices flat x
    multipliers (simulation/prices.py `PriceRows`, row by row with `_prices_of`)), as NumPy
    computes them: q = max(kw, 0), the load-weighted mean price einsum(q, price) / q.sum()
    (1 where it is not positive) and relative = max(price / mean, 1e-12), (k, T). For the
    rows whose level does not cancel (`substitution_keys`)."""
    T = multipliers.shape[2]
    q, price = np.empty((1, T)), np.empty((1, T))
    for c in range(len(rows)):
        r = rows[c]
        for t in range(T):
            q[0, t] = _max(kw[r, t], 0.0)
        e = _row_sum(q, 0)
        mean = _price_dot(q, 0, flat, package, klass, multipliers, c) / (e if e > 0 else 1.0)
        if not mean > 0:
            mean = 1.0
        _prices_of(c, flat, package, klass, multipliers, price)
        for t in range(T):
            relative[c, t] = _max(price[0, t] / mean, 1e-12)


@numba.njit(cache=True, nogil=True)
def shift_respond(kw: np.ndarray, rows: np.ndarray, flat: np.ndarray, package: np.ndarray,
                  klass: np.ndarray, multipliers: np.ndarray, key: np.ndarray,
                  weights: np.ndarray, flexibility_share: np.ndarray, flat_price: np.ndarray,
                  ratio: np.ndarray) -> None:
    """The response's shift, in place on `kw[rows]`: with row c's substitution weights
    weights[key[c]] (any positive multiple of (price / mean)^sigma: the rescale cancels it),
    q = max(kw, 0), its energy q.sum(), load = w q rescaled to that energy, load - q the
    shift, capped at flexibility_share x energy; then each row's price `ratio` for the daily
    term: max(einsum(load, price) / energy, 1e-12) / flat price (1 where the flat price is
    not positive), as NumPy computes them."""
    k, T = len(rows), multipliers.shape[2]
    q, row, pos = np.empty((1, T)), np.empty((1, T)), np.empty((1, T))
    for c in range(k):
        r, w = rows[c], key[c]
        for t in range(T):
            x = _max(kw[r, t], 0.0)
            q[0, t] = x
            row[0, t] = weights[w, t] * x
        e = _row_sum(q, 0)
        total = _row_sum(row, 0)
        scale = e / (total if total > 0 else 1.0)
        for t in range(T):
            x = row[0, t] * scale - q[0, t]
            row[0, t] = x
            pos[0, t] = _max(x, 0.0)
        moved = _row_sum(pos, 0)
        cap = flexibility_share[c] * e
        limit = cap / moved if moved > cap else 1.0
        for t in range(T):
            x = row[0, t] * limit + q[0, t]
            row[0, t] = x
            kw[r, t] = x
        new_mean = _price_dot(row, 0, flat, package, klass, multipliers, c) / (
            e if e > 0 else 1.0)
        f = flat_price[c]
        ratio[c] = _max(new_mean, 1e-12) / f if f > 0 else 1.0


@numba.njit(cache=True, nogil=True)
def row_sums(kw: np.ndarray, out: np.ndarray) -> None:
    """out[c] = kw[c].sum() for a C-contiguous (n, T) float64 array, bit for bit
    `kw.sum(axis=1)` (each row in NumPy's pairwise order)."""
    for c in range(kw.shape[0]):
        out[c] = _row_sum(kw, c)


@numba.njit(cache=True, nogil=True)
def scale_rows(kw: np.ndarray, rows: np.ndarray, factor: np.ndarray) -> None:
    """kw[rows[c]] *= factor[c], in place."""
    T = kw.shape[1]
    for c in range(len(rows)):
        r, f = rows[c], factor[c]
        for t in range(T):
            kw[r, t] *= f


@numba.njit(cache=True, nogil=True, inline="always")
def _prices_of(c: int, flat: np.ndarray, package: np.ndarray, klass: np.ndarray,
               multipliers: np.ndarray, out: np.ndarray, i: int = 0) -> None:
    """out[i] = flat[c] x multipliers[package[c], klass[c]]: row c's prices per interval
    (simulation/prices.py `PriceRows`; the tariff engine's product)."""
    f, p, k = flat[c], package[c], klass[c]
    for t in range(multipliers.shape[2]):
        out[i, t] = f * multipliers[p, k, t]


@numba.njit(cache=True, nogil=True)
def factor_prices(flat: np.ndarray, package: np.ndarray, klass: np.ndarray,
                  multipliers: np.ndarray, out: np.ndarray) -> None:
    """out[c] = flat[c] x multipliers[package[c], klass[c]]: the (k, T) prices of
    simulation/prices.py `PriceRows`."""
    for c in range(len(flat)):
        _prices_of(c, flat, package, klass, multipliers, out, c)


@numba.njit(cache=True, nogil=True)
def import_costs(kw: np.ndarray, rows: np.ndarray, flat: np.ndarray, package: np.ndarray,
                 klass: np.ndarray, multipliers: np.ndarray, out: np.ndarray) -> None:
    """out[c] = einsum(max(kw[rows[c]], 0), price[c]) (currency x h / kWh; x the interval's
    hours for the bill's energy cost) with price[c] = flat[c] x multipliers[package[c],
    klass[c]], as NumPy computes it."""
    T = multipliers.shape[2]
    q = np.empty((1, T))
    for c in range(len(rows)):
        r = rows[c]
        for t in range(T):
            q[0, t] = _max(kw[r, t], 0.0)
        out[c] = _price_dot(q, 0, flat, package, klass, multipliers, c)


@numba.njit(cache=True, nogil=True)
def decay_and_meter(file_kwh: np.ndarray, rows: np.ndarray, kw: np.ndarray, memory: float,
                    dt: float) -> None:
    """file_kwh[r] = file_kwh[r] x memory + max(kw[r], 0) x dt for r in `rows` (the price
    packages' customer file, simulation/services/household_pricing.py), in NumPy's roundings."""
    T = file_kwh.shape[1]
    for c in range(len(rows)):
        r = rows[c]
        for t in range(T):
            file_kwh[r, t] = file_kwh[r, t] * memory + _max(kw[r, t], 0.0) * dt
