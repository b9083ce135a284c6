"""Collections slip: a region whose customers pay later than its own history and than its peers.

The statistic is the **overdue share** (see :mod:`.receivables`): of the invoices due in the last
``window_days``, the share of the amount still unpaid. A region slips when its share now is
higher than

* its **own history** — the same share at the ``history`` earlier, non-overlapping windows
  (as_of − W·k, k = 1…history), pooled — and
* its **peers** — the other regions' share now, pooled,

each by at least ``min_increase`` (absolute) and each significantly: one-sided z-tests with
cluster-robust standard errors (customers are the clusters, so a customer with many invoices
counts once for its variance), at level ``alpha`` Bonferroni-corrected over the regions tested.
The current and historical windows share customers; ignoring that positive covariance makes
the test conservative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

COLUMNS = [
    "unit",
    "share",
    "history_share",
    "peer_share",
    "increase_vs_history",
    "increase_vs_peers",
    "z_history",
    "z_peers",
    "due",
    "unpaid",
    "excess_unpaid",
    "slipping",
]


def ratio_and_variance(m: pd.DataFrame | pd.Series) -> tuple[float, float]:
    """Share U/A and its cluster-robust variance from summed moments (``unpaid``, ``due``, ``uu``,
    ``ua``, ``aa``, ``clusters``).
    """
    u, a = float(np.sum(m["unpaid"])), float(np.sum(m["due"]))
    n = float(np.sum(m["clusters"]))
    if a <= 0:
        return float("nan"), float("nan")
    p = u / a
    spread = float(np.sum(m["uu"])) - 2 * p * float(np.sum(m["ua"])) + p * p * float(np.sum(m["aa"]))
    correction = n / (n - 1) if n > 1 else float("nan")
    return p, max(spread, 0.0) * correction / (a * a)


def slip_test(moments: pd.DataFrame, *, alpha: float = 0.01, min_increase: float = 0.10) -> pd.DataFrame:
    """Test every unit of ``moments`` (labels ``current`` and ``history``) for a collections slip.

    Returns one row per unit with the shares, increases, z statistics, the amount due in the
    current window (``due``), what of it is unpaid, the ``excess_unpaid`` over the higher of the
    two baselines and ``slipping`` (True when both tests pass and both increases are material).

    Examples
    --------
    >>> slip_test(overdue_moments(ds, cuts, 91, "region"))  # doctest: +SKIP
    """
    moments = moments[moments["unit"].notna()]  # receivables no unit can be told for are no unit's slip
    current = moments[moments["label"] == "current"].set_index("unit")
    history = moments[moments["label"] == "history"].set_index("unit")
    units = sorted(current.index)
    if not units:
        return pd.DataFrame(columns=COLUMNS)
    critical = stats.norm.isf(alpha / len(units))
    rows = []
    for unit in units:
        share, var = ratio_and_variance(current.loc[[unit]])
        hist, var_h = ratio_and_variance(history.loc[[unit]]) if unit in history.index else (np.nan, np.nan)
        peers = current.drop(index=unit)
        peer, var_p = ratio_and_variance(peers) if not peers.empty else (np.nan, np.nan)
        z_h = _z(share - hist, var + var_h)
        z_p = _z(share - peer, var + var_p)
        due = float(current.loc[unit, "due"])
        baseline = np.nanmax([hist, peer]) if not (np.isnan(hist) and np.isnan(peer)) else np.nan
        rows.append(
            {
                "unit": unit,
                "share": share,
                "history_share": hist,
                "peer_share": peer,
                "increase_vs_history": share - hist,
                "increase_vs_peers": share - peer,
                "z_history": z_h,
                "z_peers": z_p,
                "due": due,
                "unpaid": float(current.loc[unit, "unpaid"]),
                "excess_unpaid": max(share - baseline, 0.0) * due if baseline == baseline else np.nan,
                "slipping": bool(
                    z_h >= critical
                    and z_p >= critical
                    and share - hist >= min_increase
                    and share - peer >= min_increase
                ),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS).sort_values("z_history", ascending=False).reset_index(drop=True)


def _z(difference: float, variance: float) -> float:
    if not np.isfinite(difference) or not np.isfinite(variance) or variance <= 0:
        return float("nan")
    return float(difference / np.sqrt(variance))
