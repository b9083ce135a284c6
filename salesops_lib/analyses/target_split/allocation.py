"""The exact top-down split of a total over an org tree, in integer steps.

Pure numpy on a :class:`Tree` (no data access): the company's total goes to regions, each
region's to its teams, each team's to its reps — every split proportional to the children's
weights within their bounds (growth floor and cap, in steps), around locked manual overrides,
rounded by largest remainder so that children add up exactly to their parent. Then every unit's
year is phased into months by its own profile, reconciled with its parent's months (RAS) and
rounded so that children add up exactly to their parent in every month, too.

Bounds are made consistent down the tree first: a unit can never get less than its locked or
floored descendants need, nor more than its capped descendants can hold. When the bounds cannot
all hold, :class:`TargetSplitError` names the unit and the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops_lib.analyses.target_split.rounding import UNBOUNDED, balance, round_bounded, round_matrix
from salesops_lib.errors import ConfigError

NO_LOCK = np.int64(-1)


class TargetSplitError(ConfigError):
    """The company target, locks, floors and caps cannot all hold."""


@dataclass(frozen=True)
class Tree:
    """An org tree in top-down order (every parent before its children).

    All arrays have one entry per unit. Amounts are integer steps.
    """

    #: unit ids (unique within their level)
    ids: tuple[str, ...]
    #: org level names, e.g. "company", "region", "team", "rep"
    levels: tuple[str, ...]
    #: index of the parent unit; -1 for the root (exactly one root, at index 0)
    parent: np.ndarray
    #: split weight (≥ 0) relative to the siblings
    weight: np.ndarray
    #: lowest amount (floor) in steps, ≥ 0
    lower: np.ndarray
    #: highest amount (cap) in steps, :data:`UNBOUNDED` for none
    upper: np.ndarray
    #: locked amount in steps, :data:`NO_LOCK` for none
    lock: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in ("parent", "weight", "lower", "upper", "lock"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"Tree.{name} has {len(getattr(self, name))} entries for {n} units")
        if n == 0 or self.parent[0] != -1 or (self.parent[1:] < 0).any():
            raise ValueError("the first unit must be the only root")
        if (self.parent[1:] >= np.arange(1, n)).any():
            raise ValueError("parents must come before their children")

    @property
    def size(self) -> int:
        """The number of units."""
        return len(self.ids)

    def children(self) -> list[np.ndarray]:
        """Child indices of every unit."""
        kids: list[list[int]] = [[] for _ in range(self.size)]
        for i in range(1, self.size):
            kids[int(self.parent[i])].append(i)
        return [np.asarray(k, dtype=np.int64) for k in kids]

    def label(self, i: int) -> str:
        """Unit ``i`` as messages name it: its level and quoted id."""
        return f"{self.levels[i]} {self.ids[i]!r}"


def feasible_range(tree: Tree) -> tuple[np.ndarray, np.ndarray]:
    """The amount range ``[low, high]`` each unit can take so that every descendant's lock,
    floor and cap can still hold (computed bottom-up). ``low > high`` marks an impossible unit.

    A lock overrides the unit's own floor and cap (it is a deliberate manual decision).
    """
    kids = tree.children()
    low = np.zeros(tree.size, dtype=np.int64)
    high = np.zeros(tree.size, dtype=np.int64)
    for i in range(tree.size - 1, -1, -1):
        child_low, child_high = _children_range(low, high, kids[i])
        if tree.lock[i] != NO_LOCK:
            lock = int(tree.lock[i])
            low[i], high[i] = (lock, lock) if child_low <= lock <= child_high else (lock + 1, lock)
        else:
            low[i] = max(int(tree.lower[i]), child_low)
            high[i] = min(int(tree.upper[i]), child_high)
    return low, high


def _children_range(low: np.ndarray, high: np.ndarray, kids: np.ndarray) -> tuple[int, int]:
    if not kids.size:
        return 0, int(UNBOUNDED)
    top = int(UNBOUNDED) if (high[kids] >= UNBOUNDED).any() else int(high[kids].sum())
    return int(low[kids].sum()), top


def check_feasible(tree: Tree, total: int, *, step: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``feasible_range`` of every unit; :class:`TargetSplitError` when ``total`` cannot be split
    (the message names the first impossible unit, with amounts in currency).
    """
    low, high = feasible_range(tree)
    kids = tree.children()

    def money(steps: object) -> str:
        return "no limit" if int(steps) >= UNBOUNDED else f"{int(steps) * step:,.2f}"  # type: ignore[call-overload]

    for i in range(tree.size - 1, -1, -1):
        if low[i] <= high[i]:
            continue
        child_low, child_high = _children_range(low, high, kids[i])
        own = (
            f"is locked at {money(tree.lock[i])}"
            if tree.lock[i] != NO_LOCK
            else f"must lie between {money(tree.lower[i])} and {money(tree.upper[i])} (growth floor and cap)"
        )
        raise TargetSplitError(
            f"the target of {tree.label(i)} {own}, but its units need at least {money(child_low)} "
            f"and can hold at most {money(child_high)} (their locks, floors and caps)",
            fix="change that lock, or loosen growth_floor/growth_cap (or bounds_levels)",
        )
    if not low[0] <= total <= high[0]:
        raise TargetSplitError(
            f"the company target {money(total)} cannot be split: the locks, floors and caps below it need "
            f"at least {money(low[0])} and allow at most {money(high[0])}",
            fix="change company_target or growth, loosen growth_floor/growth_cap (or bounds_levels), "
            "or change the locks",
        )
    return low, high


def allocate(tree: Tree, total: int, *, step: float = 1.0) -> np.ndarray:
    """Integer amount of every unit: the root gets ``total``; each parent's amount is split over
    its children by weight within their feasible ranges, around locks, exactly.

    Examples
    --------
    >>> tree = Tree(
    ...     ("c", "a", "b"),
    ...     ("company", "region", "region"),
    ...     np.array([-1, 0, 0]),
    ...     np.array([1.0, 2.0, 1.0]),
    ...     np.zeros(3, np.int64),
    ...     np.full(3, UNBOUNDED),
    ...     np.full(3, NO_LOCK),
    ... )
    >>> allocate(tree, 100).tolist()
    [100, 67, 33]
    """
    low, high = check_feasible(tree, total, step=step)
    amounts = np.zeros(tree.size, dtype=np.int64)
    amounts[0] = total
    for i, kids in enumerate(tree.children()):
        if kids.size:
            amounts[kids] = split_within(int(amounts[i]), tree.weight[kids], low[kids], high[kids])
    return amounts


def split_within(total: int, weight: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Split ``total`` over items with ``weight`` within ``[low, high]`` (integers), exactly.

    Water-filling: every item gets ``clip(λ·weight, low, high)`` with the λ that adds up to the
    total; items without weight stay at their floor unless the others are all capped (then they
    share the rest equally within their bounds). Locked items have ``low == high``.
    """
    weight = np.asarray(weight, dtype=float)
    if weight.sum() <= 0:
        weight = np.ones_like(weight)
    quotas = _water_fill(total, weight, low, high)
    capped = _water_fill_value(np.inf, weight, low, high)
    if total > capped + 1e-6:  # the weighted items are all capped: the unweighted ones take the rest
        free = weight <= 0
        rest = _water_fill(total - float(quotas[~free].sum()), free.astype(float), low, high)
        quotas = np.where(free, rest, quotas)
    return round_bounded(quotas, total, low, high)


def _water_fill_value(lam: float, weight: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    hi = np.where(high >= UNBOUNDED, np.inf, high.astype(float))
    return (
        float(np.clip(lam * weight, low.astype(float), hi).sum())
        if np.isfinite(lam)
        else float(np.where(weight > 0, hi, low.astype(float)).sum())
    )


def _water_fill(total: float, weight: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Real quotas ``clip(λ·weight, low, high)`` whose sum is as close to ``total`` as possible."""
    hi = np.where(high >= UNBOUNDED, np.inf, high.astype(float))
    lo = low.astype(float)
    positive = weight > 0
    if not positive.any():
        return lo.copy()
    # λ between 0 and the point where every weighted item is at its cap (or far beyond the total)
    top = np.where(np.isfinite(hi[positive]), hi[positive], total + lo.sum() + 1.0) / weight[positive]
    lam_lo, lam_hi = 0.0, float(top.max()) + 1.0
    for _ in range(200):
        mid = (lam_lo + lam_hi) / 2
        if np.clip(mid * weight, lo, hi).sum() < total:
            lam_lo = mid
        else:
            lam_hi = mid
        if lam_hi - lam_lo <= 1e-15 * max(1.0, lam_hi):
            break
    return np.clip(lam_hi * weight, lo, hi)


def phase(tree: Tree, annual: np.ndarray, profiles: np.ndarray) -> np.ndarray:
    """Units × periods integer amounts: every unit's row sums to its ``annual`` amount and every
    parent's column equals the sum of its children's, in every period.

    ``profiles`` (units × periods, ≥ 0) is each unit's own desired shape; the root is rounded
    from its profile, then each parent's children are balanced (RAS) to the parent's periods
    and to their own years, and rounded with :func:`round_matrix`.
    """
    annual = np.asarray(annual, dtype=np.int64)
    profiles = np.asarray(profiles, dtype=float)
    months = np.zeros((tree.size, profiles.shape[1]), dtype=np.int64)
    root = profiles[0] if profiles[0].sum() > 0 else np.ones(profiles.shape[1])
    months[0] = round_bounded(
        annual[0] * root / root.sum(), int(annual[0]), np.zeros(root.size, np.int64), np.full(root.size, UNBOUNDED)
    )
    for i, kids in enumerate(tree.children()):
        if not kids.size:
            continue
        shapes = profiles[kids]
        sums = shapes.sum(axis=1, keepdims=True)
        shapes = np.divide(shapes, sums, out=np.full_like(shapes, 1.0 / shapes.shape[1]), where=sums > 0)
        seed = annual[kids, None] * shapes
        real = balance(seed, annual[kids], months[i])
        months[kids] = round_matrix(real, annual[kids], months[i])
    return months
