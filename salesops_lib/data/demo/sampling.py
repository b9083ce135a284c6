"""Seeded random streams and the vectorized sampling helpers every module shares.

Each concern draws from its own stream (``stream(seed, "payments", chunk)``), so changing how
many numbers one part draws never shifts another part's randomness.
"""

from __future__ import annotations

import zlib

import numpy as np

from salesops_lib.data.demo.spec import Model


def stream(seed: int, name: str, *keys: int) -> np.random.Generator:
    """An independent PCG64 generator for ``name`` (and optional integer keys such as the chunk)."""
    entropy = [int(seed), zlib.crc32(name.encode()), *(int(k) for k in keys)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def lognormal1(rng: np.random.Generator, sd: float, size: int | tuple[int, ...]) -> np.ndarray:
    """Log-normal noise with mean exactly 1 and log-sd ``sd``."""
    return rng.lognormal(-0.5 * sd * sd, sd, size)


def heavy_tailed1(
    rng: np.random.Generator, sd: float, outlier_share: float, outlier_range: tuple[float, float], size: int
) -> np.ndarray:
    """Mean-1 multipliers with a heavy right tail: log-normal (log-sd ``sd``), and a share
    ``outlier_share`` of them times U(``outlier_range``) (rare outliers).
    """
    lo, hi = outlier_range
    base = rng.lognormal(-0.5 * sd * sd, sd, size)
    boost = np.where(rng.random(size) < outlier_share, rng.uniform(lo, hi, size), 1.0)
    out: np.ndarray = base * boost / (1.0 + outlier_share * (0.5 * (lo + hi) - 1.0))
    return out


def gamma1(rng: np.random.Generator, shape: float, size: int | tuple[int, ...]) -> np.ndarray:
    """Gamma noise with mean 1 and coefficient of variation 1/sqrt(``shape``)."""
    out: np.ndarray = rng.gamma(shape, 1.0 / shape, size)
    return out


def campaign_ratio(rng: np.random.Generator, model: Model, size: int) -> np.ndarray:
    """Sourced pipeline ÷ cost of ``size`` campaigns: log-normal around the median, with a floor."""
    median, sd = model.campaign_pipeline_ratio
    ratio: np.ndarray = np.maximum(median * rng.lognormal(0.0, sd, size), model.campaign_ratio_floor)
    return ratio


def choose(rng: np.random.Generator, p: np.ndarray | tuple[float, ...], size: int) -> np.ndarray:
    """Indices drawn with probabilities ``p`` (one uniform per draw)."""
    cdf = np.cumsum(np.asarray(p, dtype=np.float64))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), cdf.size - 1)


def choose_rows(u: np.ndarray, weights: np.ndarray, row: np.ndarray | None = None) -> np.ndarray:
    """Per row of ``weights`` (n × k), the column picked by uniform ``u`` (n,) proportionally.

    With ``row``, ``weights`` is a small table and draw ``i`` uses ``weights[row[i]]`` (the
    same picks as passing ``weights[row]``, without the n × k cumulative sums).
    """
    cdf = np.cumsum(weights, axis=1)
    total = cdf[:, -1:]
    cdf = np.divide(cdf, total, out=np.ones_like(cdf), where=total > 0)
    k = weights.shape[1]
    if row is None:
        counts = (cdf < u[:, None]).sum(axis=1)
    else:
        # count of cdf values below u, per distinct distribution (cdf rows are non-decreasing)
        counts = np.empty(u.size, dtype=np.int64)
        for r in np.unique(row):
            sel = row == r
            counts[sel] = np.searchsorted(cdf[r], u[sel], side="left")
    picked: np.ndarray = np.minimum(counts, k - 1)
    return picked


def sort_order(*keys: np.ndarray) -> np.ndarray:
    """``np.lexsort(keys)`` (the last key sorts first) for integer keys, as one stable argsort of
    a combined int64 key when the keys' ranges fit (falls back to ``lexsort`` otherwise).
    """
    n = keys[0].size
    if n == 0 or any(key.dtype.kind not in "biu" for key in keys):
        return np.lexsort(keys)
    combined = np.zeros(n, dtype=np.int64)
    scale = 1
    for key in keys:
        lo, hi = int(key.min()), int(key.max())
        if scale * (hi - lo + 1) >= 1 << 62:
            return np.lexsort(keys)
        combined += (key.astype(np.int64) - lo) * scale
        scale *= hi - lo + 1
    order: np.ndarray = np.argsort(combined, kind="stable")
    return order


def split_amounts(rng: np.random.Generator, totals: np.ndarray, counts: np.ndarray, alpha: float = 2.0) -> np.ndarray:
    """Split each total into ``counts`` parts (Dirichlet(alpha) shares), rounded to cents.

    The parts of a group add up exactly (to the cent) to the rounded total; groups with a zero
    count produce nothing. Returns the parts in group order.
    """
    counts = counts.astype(np.int64)
    group = np.repeat(np.arange(counts.size), counts)
    if group.size == 0:
        return np.zeros(0)
    shares = rng.gamma(alpha, 1.0, group.size)
    sums = np.bincount(group, shares, minlength=counts.size)
    parts = np.round(totals[group] * shares / sums[group], 2)
    target = np.round(totals, 2)
    residual = target - np.bincount(group, parts, minlength=counts.size)
    first = np.cumsum(counts) - counts
    has = counts > 0
    parts[first[has]] += residual[has]
    return np.round(parts, 2)


def sample_in_ranges(u: np.ndarray, row: np.ndarray, lo: np.ndarray, hi: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Column index in ``[lo, hi)`` of ``weights[row]`` picked proportionally to the weights.

    ``weights`` is a non-negative matrix (rows × columns); every requested range must have a
    positive total. One uniform ``u`` per draw.
    """
    cum = np.cumsum(weights, axis=1)
    totals = cum[:, -1].copy()
    totals[totals == 0] = 1.0
    flat = (cum / totals[:, None] + np.arange(weights.shape[0])[:, None]).ravel()
    ncol = weights.shape[1]
    base = row * ncol
    below = np.where(lo > 0, flat[base + np.maximum(lo - 1, 0)], row.astype(np.float64))
    top = flat[base + hi - 1]
    target = below + np.clip(u, 1e-9, 1 - 1e-9) * (top - below)
    idx = np.searchsorted(flat, target, side="left") - base
    picked: np.ndarray = np.clip(idx, lo, hi - 1)
    return picked


def round_random(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    """Stochastic rounding: ⌊mean⌋ + Bernoulli(mean − ⌊mean⌋) — the right mean, little variance."""
    base = np.floor(mean)
    rounded: np.ndarray = (base + (rng.random(np.shape(mean)) < mean - base)).astype(np.int64)
    return rounded
