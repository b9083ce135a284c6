"""Query results shared by the processes of one review run (data/shared_results.py)."""

from __future__ import annotations

import os
import pickle
from dataclasses import replace

import pandas as pd

from salesops_lib.data import connect
from salesops_lib.data.shared_results import ENV, sharing_results

SOURCE = "demo:small:2025-06-30"


def _won_by_region(source: str) -> pd.DataFrame:
    o = connect(source).table("opportunities")
    won = o.filter(o.status == "won")
    return won.group_by("rep_id").agg(value=won.amount.sum()).order_by("rep_id").execute()


def test_a_query_asked_again_in_the_run_is_read_from_the_share_and_only_within_it() -> None:
    truth = _won_by_region(SOURCE)
    with sharing_results() as folder:
        assert os.environ[ENV] == str(folder)
        first = _won_by_region(SOURCE)
        stored = list(folder.glob("*.pickle"))
        assert stored, "the first asker stores its result"
        pd.testing.assert_frame_equal(first, truth)
        # another process of the run (a fresh connection) reads what is stored, not the engine
        planted = pd.DataFrame({"rep_id": ["R-planted"], "value": [1.0]})
        for path in stored:
            path.write_bytes(pickle.dumps(planted))
        pd.testing.assert_frame_equal(_won_by_region(SOURCE), planted)
    assert ENV not in os.environ and not folder.exists()
    pd.testing.assert_frame_equal(_won_by_region(SOURCE), truth)  # outside a run: the engine


def test_another_source_does_not_read_the_first_ones_results() -> None:
    with sharing_results():
        small = _won_by_region(SOURCE)
        other = _won_by_region("demo:small:2025-03-31")
    assert not small.equals(other)


def test_an_analysis_run_again_in_the_run_is_read_not_recomputed() -> None:
    # the monthly review asks for the forecast analysis' result the forecast report computed
    from salesops_lib.analyses import kpi_overview
    from salesops_lib.config.scope import RunScope

    calls: list[str] = []

    def counted(data, scope, params):  # type: ignore[no-untyped-def]
        calls.append(scope.period)
        return kpi_overview.SPEC.compute(data, scope, params)

    spec = replace(kpi_overview.SPEC, compute=counted)
    data, scope = connect(SOURCE), RunScope(source=SOURCE, period="2025-06")
    with sharing_results():
        first = spec.run(data, scope)
        again = spec.run(connect(SOURCE), scope)
        other = spec.run(data, RunScope(source=SOURCE, period="2025-05"))
    assert calls == ["2025-06", "2025-05"]
    pd.testing.assert_frame_equal(first.tiles, again.tiles)
    assert not first.tiles.equals(other.tiles)
    spec.run(data, scope)  # outside a run: computed
    assert calls == ["2025-06", "2025-05", "2025-06"]
