"""Hierarchy-coherent forecasts: rep → team → region → company forecasts that add up.

Every node gets its own base forecast (the top levels from the model search, teams and reps
from a cheap method); :func:`reconcile` then finds the coherent forecasts closest to them by
weighted least squares, each node weighted by the inverse of its one-step error variance
(MinT with a diagonal covariance, "WLS-var", Wickramasuriya, Athanasopoulos & Hyndman 2019):

    ỹ = S (Sᵀ W⁻¹ S)⁻¹ Sᵀ W⁻¹ ŷ

Accurate aggregate forecasts (small variance) move little; noisy rep forecasts absorb the
differences. ``bottom_up`` (ỹ = S ŷ_bottom) is the alternative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse

Method = Literal["wls_var", "bottom_up"]
METHODS: tuple[str, ...] = ("wls_var", "bottom_up")
DENSE_CELLS = 4_000_000
"""A summing matrix of up to this many cells (nodes × reps) is dense; a larger one (ten thousand
reps: a hundred million cells, most of them zero) is sparse, rows × one entry per rep and level."""


@dataclass(frozen=True)
class Hierarchy:
    """Nodes (top-down: root, regions, teams, reps) and the summing matrix nodes × reps (a dense
    array, or above :data:`DENSE_CELLS` cells a SciPy CSR matrix: both multiply with ``@``).
    """

    #: one row per node: level, unit, parent (the root's parent is "")
    nodes: pd.DataFrame
    summing: np.ndarray | Any

    @property
    def bottom(self) -> pd.DataFrame:
        """The bottom nodes (the reps), in the order of the summing matrix's columns."""
        return self.nodes[self.nodes["level"] == "rep"]

    @classmethod
    def from_tree(cls, tree: pd.DataFrame, *, root_level: str = "company", root: str = "company") -> Hierarchy:
        """From reps with ``rep_id``, ``team`` and ``region``: the root, then (below a company root)
        regions, teams and reps, each sorted.

        Examples
        --------
        >>> tree = pd.DataFrame({"rep_id": ["a", "b", "c"], "team": ["t1", "t1", "t2"], "region": ["n", "n", "s"]})
        >>> Hierarchy.from_tree(tree).summing.shape  # company, 2 regions, 2 teams, 3 reps
        (8, 3)
        """
        tree = tree.sort_values(["region", "team", "rep_id"]).reset_index(drop=True)
        rows = [{"level": root_level, "unit": root, "parent": ""}]
        if root_level == "company":
            rows += [{"level": "region", "unit": r, "parent": root} for r in sorted(tree["region"].unique())]
        team_parent = tree.drop_duplicates("team").set_index("team")["region"] if root_level == "company" else None
        rows += [
            {"level": "team", "unit": t, "parent": team_parent[t] if team_parent is not None else root}
            for t in sorted(tree["team"].unique())
        ]
        rows += [{"level": "rep", "unit": r, "parent": t} for r, t in zip(tree["rep_id"], tree["team"], strict=True)]
        nodes = pd.DataFrame(rows)
        n = len(tree)
        position = {(lvl, u): i for i, (lvl, u) in enumerate(zip(nodes["level"], nodes["unit"], strict=True))}
        reps = np.arange(n)
        parts = [(np.zeros(n, dtype=np.int64), reps)]  # the root sums every rep
        for level in ("region", "team") if root_level == "company" else ("team",):
            parts.append((np.array([position[(level, u)] for u in tree[level]], dtype=np.int64), reps))
        parts.append((len(nodes) - n + reps, reps))
        row = np.concatenate([p[0] for p in parts])
        col = np.concatenate([p[1] for p in parts])
        summing = sparse.csr_matrix((np.ones(row.size), (row, col)), shape=(len(nodes), n))
        return cls(nodes=nodes, summing=summing.toarray() if len(nodes) * n <= DENSE_CELLS else summing)

    def aggregate(self, bottom: np.ndarray) -> np.ndarray:
        """Every node's values from the reps' values (reps × k)."""
        nodes: np.ndarray = self.summing @ bottom
        return nodes

    def index(self) -> pd.MultiIndex:
        """The nodes as a (level, unit) index, in the order of the summing matrix's rows."""
        return pd.MultiIndex.from_frame(self.nodes[["level", "unit"]])


def reconcile(
    hierarchy: Hierarchy,
    base: np.ndarray,
    variance: np.ndarray,
    method: Method = "wls_var",
    *,
    fixed_zero: np.ndarray | None = None,
) -> np.ndarray:
    """Coherent forecasts (nodes × k) from base forecasts (nodes × k) and their error variances.

    ``fixed_zero`` marks reps whose forecast is 0 whatever the others say (not employed). Non-
    positive variances are floored at the smallest positive one. The solve uses the Woodbury
    identity over the aggregate nodes, so its cost grows linearly with the number of reps.

    Examples
    --------
    >>> tree = pd.DataFrame({"rep_id": ["a", "b"], "team": ["t", "t"], "region": ["n", "n"]})
    >>> h = Hierarchy.from_tree(tree)
    >>> out = reconcile(h, np.array([[10.0], [10.0], [10.0], [4.0], [4.0]]), np.array([1, 1, 1, 9, 9.0]))
    >>> bool(np.allclose(out[0], out[3] + out[4])), round(float(out[0, 0]), 2)
    (True, 9.96)
    """
    S = hierarchy.summing
    n_bottom = S.shape[1]
    n_agg = S.shape[0] - n_bottom
    free = np.ones(n_bottom, dtype=bool) if fixed_zero is None else ~np.asarray(fixed_zero, dtype=bool)
    base = np.asarray(base, dtype=float)
    if method == "bottom_up":
        return S @ np.where(free[:, None], base[n_agg:], 0.0)
    if method != "wls_var":
        raise ValueError(f"unknown reconciliation method {method!r}; known: {', '.join(METHODS)}")
    variance = np.asarray(variance, dtype=float)
    positive = variance[variance > 0]
    floor = float(positive.min()) if len(positive) else 1.0
    variance = np.where(variance > 0, variance, floor)
    agg = _dense(S[:n_agg])[:, free]
    d_inv = variance[n_agg:][free]  # 1 / w for the free reps
    w_agg = 1.0 / variance[:n_agg]
    rhs = base[n_agg:][free] / d_inv[:, None] + agg.T @ (w_agg[:, None] * base[:n_agg])
    # (D + Aᵀ C A)⁻¹ r = D⁻¹ r − D⁻¹ Aᵀ (C⁻¹ + A D⁻¹ Aᵀ)⁻¹ A D⁻¹ r
    scaled = d_inv[:, None] * rhs
    inner = np.diag(variance[:n_agg]) + (agg * d_inv) @ agg.T
    correction = d_inv[:, None] * (agg.T @ np.linalg.solve(inner, agg @ scaled))
    bottom = np.zeros((n_bottom, base.shape[1]))
    bottom[free] = scaled - correction
    return S @ bottom


def _dense(matrix: Any) -> np.ndarray:
    """A dense copy of a sparse matrix; a dense one as it is."""
    dense: np.ndarray = matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix)
    return dense


def is_coherent(hierarchy: Hierarchy, values: np.ndarray, *, rtol: float = 1e-6) -> bool:
    """True when every node equals the sum of its reps (within ``rtol`` of the root's size)."""
    n_bottom = hierarchy.summing.shape[1]
    expected = hierarchy.summing @ values[-n_bottom:]
    scale = max(float(np.abs(values).max()), 1.0)
    return bool(np.allclose(values, expected, atol=rtol * scale, rtol=0))
