"""Null worlds of the truth battery's fast slice: the same noisy worlds without planted effects
raise at most 0.2 medium-or-high findings per review on average, and no high one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.truth_battery import score
from tests.truth_slice import worlds

pytestmark = pytest.mark.slow  # five small demo worlds, every analysis


@pytest.fixture(scope="module")
def null() -> list[dict[str, Any]]:
    return worlds("null")


def test_null_reviews_are_quiet(null: list[dict[str, Any]]) -> None:
    result = score(null)
    assert result.false_high == 0, result.table()
    assert result.false_per_review <= 0.2, result.table()
