"""How much of a team's gap the mix of its reps explains: a permutation test over rep composition.

Reps differ a lot (on real data the best agent sells seven times the weakest), so a team of five
can sit 30 % below the company by the luck of who is on it. The test asks how often a team *of
the same size*, drawn at random from the same reps, is at least as far below its benchmark: the
reps (each with their window revenue and selling FTE) are reassigned to the units at random,
keeping every unit's number of reps, ``draws`` times (seeded, vectorised). Per unit:

* ``p_low`` — share of draws with a gap at or below the observed one (one-sided, (k + 1) ÷
  (draws + 1)); ``p_high`` the same upward;
* ``null_low`` / ``null_high`` — the 2.5 % and 97.5 % quantiles of the unit's gap under random
  assignment (the band chance alone produces for a unit of that size).

Each rep's window revenue is itself a draw: with ``noise`` (per rep, the log-sd of its window
total from its own month-to-month variation), every reassignment also redraws each rep's revenue
around what it booked, so a team is not called low on the luck of one quiet quarter.

Benchmarks follow :func:`.flags.benchmark_values`: ``company`` (Σ revenue ÷ Σ FTE of all reps:
fixed under reassignment), ``median`` (median eligible unit of each draw) and ``peer`` (the other
units of the group; reps are then reassigned within their group only, so group totals stay fixed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DRAWS = 2000
SEED = 20240619
BAND = (0.025, 0.975)
CELLS = 2_000_000
"""Draw × rep cells shuffled at once (the draws run in chunks of this size)."""
COLUMNS = ["reps_tested", "p_low", "p_high", "null_low", "null_high"]


def composition_test(
    reps: pd.DataFrame,
    *,
    kind: str = "company",
    eligible: pd.Series | None = None,
    groups: pd.Series | None = None,
    draws: int = DRAWS,
    seed: int = SEED,
    noise: pd.Series | None = None,
) -> pd.DataFrame:
    """Permutation p-values and null bands of every unit's gap, one row per unit.

    ``reps``: one row per rep with selling FTE or revenue in the window — ``unit`` (the rep's
    team or region), ``revenue``, ``fte``. ``eligible`` (by unit) marks the units that set a
    ``median`` benchmark; ``groups`` (by unit) the peer groups for ``peer``; ``noise`` (aligned
    with ``reps``' rows) each rep's log-sd of its window revenue (none: revenue held fixed).

    Examples
    --------
    >>> composition_test(
    ...     pd.DataFrame({"unit": list("aabbcc"), "revenue": [1, 2, 5, 6, 5, 6], "fte": 1.0})
    ... )  # doctest: +SKIP
    """
    frame = reps[["unit", "revenue", "fte"]].assign(noise=0.0 if noise is None else noise)
    frame = frame.dropna(subset=["unit"]).reset_index(drop=True)
    sd = frame["noise"].fillna(0.0).clip(lower=0.0).to_numpy(dtype="float64")
    frame = frame.assign(revenue=frame["revenue"].fillna(0.0).astype("float64"), fte=frame["fte"].fillna(0.0))
    units = pd.Index(sorted(frame["unit"].unique()), name="unit")
    if units.empty:
        return pd.DataFrame(columns=["unit", *COLUMNS])
    code = units.get_indexer(frame["unit"])
    revenue, fte = frame["revenue"].to_numpy(), frame["fte"].to_numpy(dtype="float64")
    strata = np.zeros(len(frame), dtype=int)
    if kind == "peer" and groups is not None:
        strata = pd.factorize(frame["unit"].map(groups).fillna("").astype(str))[0]
    observed = _gaps(code[None, :], revenue, fte, len(units), kind, _eligible(units, eligible), units, groups)[0]
    rng = np.random.default_rng(seed)
    chunk = max(1, CELLS // max(len(frame), 1))  # bounded memory for thousands of reps
    null = np.vstack(
        [
            _gaps(
                _shuffle(code, strata, size := min(chunk, draws - done), rng),
                revenue * np.exp(sd * rng.standard_normal((size, sd.size)) - sd**2 / 2) if sd.any() else revenue,
                fte,
                len(units),
                kind,
                _eligible(units, eligible),
                units,
                groups,
            )
            for done in range(0, draws, chunk)
        ]
    )
    with np.errstate(invalid="ignore"):
        below = (null <= observed[None, :] + 1e-12).sum(axis=0)
        above = (null >= observed[None, :] - 1e-12).sum(axis=0)
    finite = np.isfinite(observed)
    band = np.full((len(BAND), len(units)), np.nan)
    some = np.isfinite(null).any(axis=0)
    if some.any():
        band[:, some] = np.nanquantile(np.where(np.isfinite(null[:, some]), null[:, some], np.nan), BAND, axis=0)
    out = pd.DataFrame(
        {
            "unit": units,
            "reps_tested": np.bincount(code, minlength=len(units)),
            "p_low": np.where(finite, (below + 1) / (draws + 1), np.nan),
            "p_high": np.where(finite, (above + 1) / (draws + 1), np.nan),
            "null_low": band[0],
            "null_high": band[1],
        }
    )
    return out


def _eligible(units: pd.Index, eligible: pd.Series | None) -> np.ndarray:
    if eligible is None:
        return np.ones(len(units), dtype=bool)
    return np.asarray(pd.Series(units, dtype="object").map(eligible).fillna(False), dtype=bool)


def _shuffle(code: np.ndarray, strata: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` × reps matrix of unit codes, each row a permutation of ``code`` within ``strata``."""
    out = np.empty((draws, code.size), dtype=code.dtype)
    for stratum in np.unique(strata):
        where = np.flatnonzero(strata == stratum)
        out[:, where] = rng.permuted(np.broadcast_to(code[where], (draws, where.size)), axis=1)
    return out


def _gaps(
    codes: np.ndarray,
    revenue: np.ndarray,
    fte: np.ndarray,
    n_units: int,
    kind: str,
    eligible: np.ndarray,
    units: pd.Index,
    groups: pd.Series | None,
) -> np.ndarray:
    """Gap of every unit (columns) in every assignment (rows of ``codes``)."""
    rows = codes.shape[0]
    flat = (codes + n_units * np.arange(rows)[:, None]).ravel()
    rev = np.bincount(flat, weights=np.broadcast_to(revenue, codes.shape).ravel(), minlength=rows * n_units)
    heads = np.bincount(flat, weights=np.broadcast_to(fte, codes.shape).ravel(), minlength=rows * n_units)
    rev, heads = rev.reshape(rows, n_units), heads.reshape(rows, n_units)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_fte = np.where(heads > 1e-9, rev / np.where(heads > 1e-9, heads, 1.0), np.nan)
        if kind == "median":
            chosen = np.where(eligible[None, :], per_fte, np.nan)
            bench = np.nanmedian(chosen, axis=1, keepdims=True) if eligible.any() else np.full((rows, 1), np.nan)
        elif kind == "peer":
            group = (
                pd.factorize(pd.Series(units, dtype="object").map(groups).fillna("").astype(str))[0]
                if groups is not None
                else np.zeros(n_units, dtype=int)
            )
            members = (group[:, None] == group[None, :]).astype("float64")
            g_rev, g_heads = rev @ members, heads @ members
            others = g_heads - heads
            bench = np.where(others > 1e-9, (g_rev - rev) / np.where(others > 1e-9, others, 1.0), np.nan)
        else:
            total = heads.sum(axis=1, keepdims=True)
            bench = np.where(total > 1e-9, rev.sum(axis=1, keepdims=True) / np.where(total > 1e-9, total, 1.0), np.nan)
        return np.where(bench > 0, per_fte / np.where(bench > 0, bench, 1.0) - 1.0, np.nan)
