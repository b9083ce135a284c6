"""Key-account churn risk: hand-built accounts, then the demo's planted account (and none on null)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from salesops_lib.analyses.churn import key_account_risk
from tests.builders import dataset_from_frames, reps_frame


def _orders(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(rows))],
            "customer_id": [r[0] for r in rows],
            "rep_id": ["r1"] * len(rows),
            "ordered_at": [dt.date.fromisoformat(r[1]) for r in rows],
            "amount": [r[2] for r in rows],
            "cost": [0.0] * len(rows),
        }
    )


def test_decline_silence_and_steady_accounts(tmp_path: Path) -> None:
    rows = []
    for month in range(1, 13):
        day = f"2024-{month:02d}-10"
        rows.append(("steady", day, 100.0))
        rows.append(("falling", day, 100.0 if month <= 6 else 30.0))
        if month <= 8:
            rows.append(("silent", day, 100.0))
    ds = dataset_from_frames(tmp_path / "src", {"reps": reps_frame([("r1", "t", "n")]), "orders": _orders(rows)})
    risk = key_account_risk(ds, dt.date(2024, 12, 31)).set_index("customer_id")
    assert set(risk.index) == {"falling", "silent"}
    assert risk.loc["falling", "reason"] == "decline"
    assert risk.loc["falling", "change"] == -0.7
    assert risk.loc["falling", "value_at_risk"] == (600 - 180) * 2
    assert risk.loc["silent", "reason"] in ("decline", "silence")
    assert risk.loc["falling", "owner"] == "r1"


def test_a_decline_of_a_few_lumpy_deals_is_a_watch_item_not_an_alert(tmp_path: Path) -> None:
    """Three deals then one, of uneven size: −60 % that chance explains; a weekly buyer's −60 % is not chance."""
    rows = [("lumpy", "2024-02-10", 500.0), ("lumpy", "2024-04-10", 100.0), ("lumpy", "2024-05-10", 400.0)]
    rows += [("lumpy", "2024-09-10", 400.0)]
    for week in range(52):
        day = (dt.date(2024, 1, 1) + dt.timedelta(weeks=week)).isoformat()
        rows.append(("weekly", day, 100.0 if week < 26 else 40.0))
    ds = dataset_from_frames(tmp_path / "src", {"reps": reps_frame([("r1", "t", "n")]), "orders": _orders(rows)})
    risk = key_account_risk(ds, dt.date(2024, 12, 31)).set_index("customer_id")
    assert risk.loc["lumpy", "reason"] == "decline" and risk.loc["weekly", "reason"] == "decline"
    assert not risk.loc["lumpy", "significant"] and risk.loc["lumpy", "p_value"] > 0.1
    assert risk.loc["weekly", "significant"] and risk.loc["weekly", "q_value"] < 0.01


def test_no_orders_gives_an_empty_frame(tmp_path: Path) -> None:
    ds = dataset_from_frames(
        tmp_path / "src", {"reps": reps_frame([("r1", "t", "n")]), "orders": _orders([("a", "2020-01-01", 1.0)])}
    )
    assert key_account_risk(ds, dt.date(2024, 12, 31)).empty


@pytest.mark.slow
def test_demo_planted_churn_account_is_found_and_null_is_quiet() -> None:
    from salesops_lib.data import connect
    from salesops_lib.data.demo import load_truth

    planted = connect("demo:small:2025-06-30")
    truth = load_truth(Path(planted.source)).effect("churn_risk")
    risk = key_account_risk(planted, dt.date(2025, 6, 30))
    assert risk["customer_id"].iloc[0] == truth.where["customer_id"]
    assert risk["owner"].iloc[0] == truth.where["owner_rep_id"]
    assert key_account_risk(connect("demo:small:null:2025-06-30"), dt.date(2025, 6, 30)).empty


def test_a_silence_is_judged_against_the_accounts_own_gaps(tmp_path: Path) -> None:
    """An account that orders in bursts with two-month pauses is not alarming after 70 quiet days;
    one that ordered every week for a year is."""
    rows = []
    for month in (1, 2, 5, 6, 9, 10):  # bursts, then ~2 months of nothing
        rows += [("bursty", f"2024-{month:02d}-{day:02d}", 100.0) for day in (3, 10, 17, 24)]
    for week in range(40):
        rows.append(("weekly", (dt.date(2024, 1, 1) + dt.timedelta(weeks=week)).isoformat(), 100.0))
    ds = dataset_from_frames(tmp_path / "src", {"reps": reps_frame([("r1", "t", "n")]), "orders": _orders(rows)})
    risk = key_account_risk(ds, dt.date(2024, 12, 31), decline=0.99).set_index("customer_id")
    assert risk.loc["weekly", "reason"] == "silence" and risk.loc["weekly", "significant"]
    assert "bursty" not in risk.index or not risk.loc["bursty", "significant"]
