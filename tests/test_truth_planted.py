"""Planted worlds of the truth battery's fast slice: every planted effect is really there at the
size users care about (plain SQL), and the review recalls it (right unit and direction) on at
least 90 % of the worlds."""

from __future__ import annotations

from typing import Any

import pytest

from tests.truth_battery import RECALL, score
from tests.truth_slice import worlds
from tests.truth_sql import DESIGNED

pytestmark = pytest.mark.slow  # five small demo worlds, every analysis


@pytest.fixture(scope="module")
def planted() -> list[dict[str, Any]]:
    return worlds("planted")


@pytest.mark.parametrize("kind", list(DESIGNED))
def test_planted_effect_is_there_in_plain_sql(planted: list[dict[str, Any]], kind: str) -> None:
    low, high = DESIGNED[kind]
    sizes = {(w["seed"], w["as_of"]): w["sql"][kind] for w in planted}
    assert all(size is not None and low <= size <= high for size in sizes.values()), sizes


@pytest.mark.parametrize("kind", list(RECALL))
def test_review_recalls_planted_effect(planted: list[dict[str, Any]], kind: str) -> None:
    result = score(planted).recall[kind]
    assert result.right_direction >= 0.9 * result.worlds, score(planted).table()
