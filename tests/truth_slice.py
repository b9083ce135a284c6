"""The truth battery's fast slice in the suite: five seeds, each at another month-end, none of
them a seed the analyses were developed on (the benchmark runs the full battery)."""

from __future__ import annotations

from typing import Any

from tests.truth_battery import AS_OF_DATES, run_world

SEEDS = (2, 8, 14, 26, 44)
WORLDS = tuple((seed, AS_OF_DATES[(i + 1) % len(AS_OF_DATES)]) for i, seed in enumerate(SEEDS))
"""(seed, as-of date) of the slice's worlds."""


def worlds(variant: str) -> list[dict[str, Any]]:
    """The slice's worlds of ``variant``, run in this process."""
    return [run_world(seed, variant, as_of) for seed, as_of in WORLDS]
