"""The exact split: largest remainder, controlled rounding, bounds and locks — hand cases and
Hypothesis properties on random hierarchies (pure numpy, no engine)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesops_lib.analyses.target_split.allocation import (
    NO_LOCK,
    TargetSplitError,
    Tree,
    allocate,
    feasible_range,
    phase,
)
from salesops_lib.analyses.target_split.rounding import (
    UNBOUNDED,
    RoundingError,
    balance,
    largest_remainder,
    round_bounded,
    round_matrix,
)

LEVELS = ("company", "region", "team", "rep")


def _tree(
    parents: list[int],
    weights: list[float],
    lower: list[int] | None = None,
    upper: list[int] | None = None,
    locks: list[int] | None = None,
) -> Tree:
    n = len(parents)
    depth = [0] * n
    for i in range(1, n):
        depth[i] = depth[parents[i]] + 1
    return Tree(
        ids=tuple(f"u{i}" for i in range(n)),
        levels=tuple(LEVELS[d] for d in depth),
        parent=np.array(parents),
        weight=np.array(weights, float),
        lower=np.array(lower or [0] * n, np.int64),
        upper=np.array(upper or [UNBOUNDED] * n, np.int64),
        lock=np.array(locks or [NO_LOCK] * n, np.int64),
    )


# --------------------------------------------------------------------------- hand cases


def test_largest_remainder_gives_the_extra_steps_to_the_largest_remainders() -> None:
    assert largest_remainder(10, np.array([1.0, 1.0, 1.0])).tolist() == [4, 3, 3]
    assert largest_remainder(100, np.array([0.333, 0.333, 0.334])).tolist() == [33, 33, 34]
    assert largest_remainder(7, np.array([0.0, 0.0])).tolist() == [4, 3]  # no weights: equal
    assert largest_remainder(0, np.array([5.0, 1.0])).tolist() == [0, 0]


def test_round_bounded_respects_bounds_and_total() -> None:
    values = round_bounded(np.array([2.6, 2.6, 4.8]), 10, np.array([3, 0, 0]), np.array([10, 2, 10]))
    assert values.sum() == 10 and values[0] >= 3 and values[1] <= 2
    with pytest.raises(RoundingError):
        round_bounded(np.array([1.0, 1.0]), 10, np.array([0, 0]), np.array([4, 4]))


def test_round_matrix_hits_both_margins() -> None:
    real = np.array([[1.5, 1.5, 0.0], [0.5, 0.5, 3.0]])
    result = round_matrix(real, np.array([3, 4]), np.array([2, 2, 3]))
    assert result.sum(axis=1).tolist() == [3, 4] and result.sum(axis=0).tolist() == [2, 2, 3]
    assert result[0, 2] == 0  # the empty cell stays empty when it can
    with pytest.raises(RoundingError):
        round_matrix(real, np.array([3, 4]), np.array([2, 2, 2]))


def test_balance_matches_margins_and_keeps_zero_cells() -> None:
    seed = np.array([[1.0, 2.0, 0.0], [1.0, 1.0, 1.0]])
    fitted = balance(seed, np.array([3.0, 3.0]), np.array([2.0, 3.0, 1.0]))
    np.testing.assert_allclose(fitted.sum(axis=1), [3, 3])
    np.testing.assert_allclose(fitted.sum(axis=0), [2, 3, 1])
    assert fitted[0, 2] == 0


def test_allocate_splits_by_weight_exactly() -> None:
    tree = _tree([-1, 0, 0, 1, 1, 2], [1, 2, 1, 1, 1, 1])
    amounts = allocate(tree, 100)
    assert amounts.tolist() == [100, 67, 33, 34, 33, 33]


def test_locks_are_kept_and_the_rest_rebalances_by_weight() -> None:
    tree = _tree([-1, 0, 0, 0], [1, 1, 1, 2], locks=[NO_LOCK, 50, NO_LOCK, NO_LOCK])
    assert allocate(tree, 110).tolist() == [110, 50, 20, 40]


def test_floors_and_caps_bind_and_the_rest_absorbs() -> None:
    # weights want 10/10/80 of 100; the third is capped at 50, the first has a floor of 30
    tree = _tree([-1, 0, 0, 0], [1, 1, 1, 8], lower=[0, 30, 0, 0], upper=[UNBOUNDED, UNBOUNDED, UNBOUNDED, 50])
    amounts = allocate(tree, 100)
    assert amounts.tolist() == [100, 30, 20, 50]


def test_locked_and_floored_grandchildren_raise_the_parent_minimum() -> None:
    # u1 has two reps: one locked at 40, one with a floor of 30 → u1 needs at least 70
    tree = _tree(
        [-1, 0, 0, 1, 1], [1, 1, 9, 1, 1], lower=[0, 0, 0, 0, 30], locks=[NO_LOCK, NO_LOCK, NO_LOCK, 40, NO_LOCK]
    )
    amounts = allocate(tree, 100)
    assert amounts[1] >= 70 and amounts[3] == 40 and amounts[4] >= 30 and amounts[1] + amounts[2] == 100


def test_impossible_locks_floors_and_caps_are_clear_errors() -> None:
    with pytest.raises(TargetSplitError, match="cannot be split"):
        allocate(_tree([-1, 0, 0], [1, 1, 1], locks=[NO_LOCK, 80, 30]), 100)  # locks sum to more than the total
    with pytest.raises(TargetSplitError, match="need at least"):
        allocate(_tree([-1, 0, 0], [1, 1, 1], lower=[0, 60, 60]), 100)  # floors above the total
    with pytest.raises(TargetSplitError, match="allow at most"):
        allocate(_tree([-1, 0, 0], [1, 1, 1], upper=[UNBOUNDED, 30, 30]), 100)  # caps below the total
    with pytest.raises(TargetSplitError, match="u1"):
        allocate(
            _tree(
                [-1, 0, 1, 1], [1, 1, 1, 1], upper=[UNBOUNDED, UNBOUNDED, 10, 10], locks=[NO_LOCK, 50, NO_LOCK, NO_LOCK]
            ),
            50,
        )


def test_unweighted_children_take_the_rest_only_when_the_weighted_are_capped() -> None:
    tree = _tree([-1, 0, 0, 0], [1, 1, 0, 0], upper=[UNBOUNDED, 40, UNBOUNDED, UNBOUNDED])
    assert allocate(tree, 100).tolist() == [100, 40, 30, 30]
    assert allocate(tree, 30).tolist() == [30, 30, 0, 0]


def test_phase_sums_exactly_in_every_month_and_follows_profiles() -> None:
    tree = _tree([-1, 0, 0], [1, 1, 1])
    annual = allocate(tree, 1201)
    profiles = np.array([[1, 1, 2], [1, 1, 2], [0, 1, 1]], float)  # u2 starts in month 2
    months = phase(tree, annual, profiles)
    assert months.sum(axis=1).tolist() == annual.tolist()
    assert (months[1] + months[2]).tolist() == months[0].tolist()
    assert months[2, 0] == 0 and months[0, 2] > months[0, 0]


# --------------------------------------------------------------------------- properties


@st.composite
def trees(draw: st.DrawFn) -> tuple[Tree, int, np.ndarray]:
    """A random company → region → team → rep tree with weights, floors, caps, locks, a total and
    profiles; the total is drawn inside the feasible range two times in three."""
    parents = [-1]
    frontier = [0]
    for _depth in range(3):
        nxt = []
        for p in frontier:
            for _ in range(draw(st.integers(1, 3))):
                parents.append(p)
                nxt.append(len(parents) - 1)
        frontier = nxt
    n = len(parents)
    weights = draw(st.lists(st.one_of(st.just(0.0), st.floats(0.01, 100)), min_size=n, max_size=n))
    scale = draw(st.sampled_from([1, 10, 1000, 10**6]))
    lower, upper, locks = [0] * n, [int(UNBOUNDED)] * n, [int(NO_LOCK)] * n
    for i in range(1, n):
        kind = draw(st.sampled_from(["free", "free", "bounded", "lock"]))
        if kind == "bounded":
            lo = draw(st.integers(0, 2 * scale))
            lower[i], upper[i] = lo, lo + draw(st.integers(0, 4 * scale))
        elif kind == "lock":
            locks[i] = draw(st.integers(0, 3 * scale))
    tree = _tree(parents, weights, lower, upper, locks)
    low, high = feasible_range(tree)
    if low[0] <= high[0] and draw(st.integers(0, 2)):
        total = draw(st.integers(int(low[0]), int(min(high[0], low[0] + 40 * scale))))
    else:
        total = draw(st.integers(0, 40 * scale))
    profiles = np.array(
        draw(
            st.lists(
                st.lists(st.one_of(st.just(0.0), st.floats(0.1, 5)), min_size=12, max_size=12), min_size=n, max_size=n
            )
        )
    )
    return tree, total, profiles


def _naive_feasible(tree: Tree, total: int) -> bool:
    """An independent check: each unit's reachable range from its subtree, recursively."""
    kids = {i: [j for j in range(tree.size) if tree.parent[j] == i] for i in range(tree.size)}

    def reach(i: int) -> tuple[int, float]:
        ranges = [reach(k) for k in kids[i]]
        lo = sum(r[0] for r in ranges) if ranges else 0
        hi = sum(r[1] for r in ranges) if ranges else float("inf")
        if tree.lock[i] != NO_LOCK:
            lock = int(tree.lock[i])
            return (lock, lock) if lo <= lock <= hi else (1, 0)
        own_hi = float("inf") if tree.upper[i] >= UNBOUNDED else int(tree.upper[i])
        return max(int(tree.lower[i]), lo), min(own_hi, hi)

    ranges = [reach(i) for i in range(tree.size)]
    return all(lo <= hi for lo, hi in ranges) and ranges[0][0] <= total <= ranges[0][1]


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_children_sum_exactly_to_parents_in_the_year_and_every_month(case: tuple[Tree, int, np.ndarray]) -> None:
    tree, total, profiles = case
    try:
        annual = allocate(tree, total)
    except TargetSplitError:
        assert not _naive_feasible(tree, total), "an error was raised for a feasible split"
        return
    assert _naive_feasible(tree, total)
    months = phase(tree, annual, profiles)
    assert annual[0] == total and (annual >= 0).all() and (months >= 0).all()
    assert (months.sum(axis=1) == annual).all()
    for i, kids in enumerate(tree.children()):
        if kids.size:
            assert annual[kids].sum() == annual[i]
            assert (months[kids].sum(axis=0) == months[i]).all()
    locked = tree.lock != NO_LOCK
    assert (annual[locked] == tree.lock[locked]).all()
    free = ~locked
    assert (annual[free] >= tree.lower[free]).all() and (annual[free] <= tree.upper[free]).all()


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10**12), st.lists(st.floats(0, 1e6), min_size=1, max_size=30))
def test_largest_remainder_is_exact_non_negative_and_within_one_step(total: int, weights: list[float]) -> None:
    parts = largest_remainder(total, np.array(weights))
    assert parts.sum() == total and (parts >= 0).all()
    w = np.array(weights) if sum(weights) > 0 else np.ones(len(weights))
    assert np.abs(parts - total * w / w.sum()).max() < 1 + 1e-6 * max(1, total)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_feasible_range_contains_every_allocation(data: st.DataObject) -> None:
    tree, total, _ = data.draw(trees())
    low, high = feasible_range(tree)
    if not _naive_feasible(tree, total):
        return
    annual = allocate(tree, total)
    assert ((annual >= low) & (annual <= high)).all()
