"""The review's multiplicity policy: Benjamini–Hochberg, the same numbers as statsmodels."""

from __future__ import annotations

import numpy as np
from statsmodels.stats.multitest import multipletests

from salesops_lib.analyses.multiplicity import FDR, bh_adjust, discoveries


def test_bh_matches_statsmodels_on_random_p_values() -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        p = rng.uniform(size=int(rng.integers(1, 40))) ** 3
        assert np.allclose(bh_adjust(p), multipletests(p, method="fdr_bh")[1])


def test_nan_is_not_a_test_and_never_a_discovery() -> None:
    p = np.array([0.001, np.nan, 0.5])
    assert np.allclose(bh_adjust(p)[[0, 2]], multipletests(p[[0, 2]], method="fdr_bh")[1])
    assert discoveries(p).tolist() == [True, False, False]


def test_uniform_p_values_rarely_survive() -> None:
    rng = np.random.default_rng(11)
    false = sum(discoveries(rng.uniform(size=20), FDR).any() for _ in range(2000)) / 2000
    assert false < FDR + 0.02
