"""Each KPI on small hand-built tables with known answers (and the negative cases)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from salesops_lib.errors import MetricError
from salesops_lib.metrics import METRICS, Grain, compute_metric
from tests.builders import d, dataset_from_frames, reps_frame

REPS = reps_frame(
    [("r1", "t1", "north"), ("r2", "t1", "north"), ("r3", "t2", "south")],
    hire={"r2": "2024-01-16"},  # mid-month hire: 16 of 31 January days
    exit={"r3": "2024-02-14"},  # mid-month exit: 14 of 29 February days
)


def _orders(rows: list[tuple[str, str, str, str, float, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "rep_id", "ordered_at", "amount", "cost"]).assign(
        ordered_at=lambda f: f["ordered_at"].map(d), opp_id=None
    )


@pytest.fixture
def sales(tmp_path: Path):  # type: ignore[no-untyped-def]
    orders = _orders(
        [
            ("o1", "c1", "r1", "2024-01-10", 100.0, 60.0),
            ("o2", "c2", "r2", "2024-01-20", 50.0, 20.0),
            ("o3", "c1", "r3", "2024-02-05", 80.0, None),
            ("o4", "c3", "r1", "2024-02-25", 40.0, 10.0),
        ]
    )
    customers = pd.DataFrame({"customer_id": ["c1", "c2", "c3"]})
    return dataset_from_frames(tmp_path / "src", {"reps": REPS, "orders": orders, "customers": customers})


def test_fte_is_prorated_by_day_for_hires_and_exits(sales) -> None:  # type: ignore[no-untyped-def]
    got = compute_metric(sales, "revenue_per_fte", Grain(period="month", level="region")).set_index(["period", "unit"])
    jan_north = got.loc[(pd.Timestamp("2024-01-01"), "north")]
    assert jan_north["denominator"] == pytest.approx(1 + 16 / 31)
    assert jan_north["value"] == pytest.approx(150 / (1 + 16 / 31))
    feb_south = got.loc[(pd.Timestamp("2024-02-01"), "south")]
    assert feb_south["denominator"] == pytest.approx(14 / 29)
    # a unit with FTE but no revenue appears with zero, not missing
    assert got.loc[(pd.Timestamp("2024-01-01"), "south"), "numerator"] == 0


def test_gross_profit_treats_missing_cost_as_unknown_zero(sales) -> None:  # type: ignore[no-untyped-def]
    got = compute_metric(sales, "gross_profit_per_fte", Grain(period="all", level="company")).iloc[0]
    assert got["numerator"] == pytest.approx((100 - 60) + (50 - 20) + 80 + (40 - 10))


def test_new_customers_are_credited_to_the_first_booking(sales) -> None:  # type: ignore[no-untyped-def]
    got = compute_metric(sales, "new_customers_per_fte", Grain(period="month", level="rep")).set_index(
        ["period", "unit"]
    )
    assert got.loc[(pd.Timestamp("2024-01-01"), "r1"), "numerator"] == 1  # c1
    assert got.loc[(pd.Timestamp("2024-02-01"), "r3"), "numerator"] == 0  # c1 again: not new
    assert got.loc[(pd.Timestamp("2024-02-01"), "r1"), "numerator"] == 1  # c3


def test_customer_ltv_is_cohort_gross_profit_per_customer(sales) -> None:  # type: ignore[no-untyped-def]
    got = compute_metric(sales, "customer_ltv", Grain(period="month", level="company")).set_index("period")
    jan = got.loc[pd.Timestamp("2024-01-01")]
    assert jan["denominator"] == 2  # c1 and c2 first bought in January
    assert jan["numerator"] == pytest.approx((40 + 80) + 30)  # c1's whole history counts


def test_attainment_uses_level_targets_or_rolls_up_rep_targets(tmp_path: Path) -> None:
    orders = _orders([("o1", "c1", "r1", "2024-01-10", 90.0, 0.0), ("o2", "c1", "r3", "2024-01-11", 30.0, 0.0)])
    targets = pd.DataFrame(
        {
            "period": [d("2024-01-01")] * 3,
            "level": ["rep"] * 3,
            "unit_id": ["r1", "r2", "r3"],
            "amount": [100.0, 50.0, 60.0],
        }
    )
    ds = dataset_from_frames(tmp_path / "src", {"reps": REPS, "orders": orders, "targets": targets})
    reps = compute_metric(ds, "attainment", Grain(level="rep")).set_index("unit")["value"]
    assert reps.to_dict() == pytest.approx({"r1": 0.9, "r2": 0.0, "r3": 0.5})
    region = compute_metric(ds, "attainment", Grain(level="region")).set_index("unit")["value"]
    assert region["north"] == pytest.approx(90 / 150)


def test_collection_rate_partial_over_payment_credit_note_and_no_due_date(tmp_path: Path) -> None:
    orders = _orders([("o1", "c1", "r1", "2024-01-01", 300.0, 0.0)])
    invoices = pd.DataFrame(
        {
            "invoice_id": ["i1", "i2", "i3", "i4"],
            "order_id": ["o1"] * 4,
            "issued_at": [d("2024-01-01"), d("2024-01-05"), d("2024-01-20"), d("2024-01-07")],
            "due_at": [d("2024-01-31"), d("2024-01-31"), None, d("2024-01-31")],
            "amount": [100.0, 100.0, 50.0, -20.0],  # i4 is a credit note
        }
    )
    payments = pd.DataFrame(
        {
            "payment_id": ["p1", "p2", "p3", "p4"],
            "invoice_id": ["i1", "i2", "i2", "i3"],
            "paid_at": [d("2024-01-15"), d("2024-01-20"), d("2024-02-03"), d("2024-01-25")],
            "amount": [40.0, 100.0, 30.0, 80.0],  # i1 partial, i2 on time then extra, i3 over-paid
        }
    )
    ds = dataset_from_frames(
        tmp_path / "src", {"reps": REPS, "orders": orders, "invoices": invoices, "payments": payments}
    )
    got = compute_metric(ds, "collection_rate", Grain(period="month")).iloc[0]
    assert got["denominator"] == 250  # credit note excluded; i3 due on issue (January)
    assert got["numerator"] == 40 + 100 + 50  # i2's February money is late; i3 capped at its amount
    assert got["value"] == pytest.approx(190 / 250)


def test_dso_from_period_end_receivables(tmp_path: Path) -> None:
    orders = _orders([("o1", "c1", "r1", "2024-01-01", 300.0, 0.0)])
    invoices = pd.DataFrame(
        {
            "invoice_id": ["i1", "i2"],
            "order_id": ["o1", "o1"],
            "issued_at": [d("2024-01-10"), d("2024-02-10")],
            "due_at": [None, None],
            "amount": [310.0, 290.0],
        }
    ).astype({"due_at": "object"})
    payments = pd.DataFrame(
        {"payment_id": ["p1"], "invoice_id": ["i1"], "paid_at": [d("2024-02-05")], "amount": [310.0]}
    )
    ds = dataset_from_frames(
        tmp_path / "src", {"reps": REPS, "orders": orders, "invoices": invoices, "payments": payments}
    )
    got = compute_metric(ds, "dso", Grain(period="month")).set_index("period")["value"]
    assert got[pd.Timestamp("2024-01-01")] == pytest.approx(310 / 310 * 31)
    assert got[pd.Timestamp("2024-02-01")] == pytest.approx(290 / 290 * 29)
    with pytest.raises(MetricError, match="calendar periods"):
        compute_metric(ds, "dso", Grain(period="all"))


def test_funnel_and_marketing_metrics(tmp_path: Path) -> None:
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["expo", "web", "free"],
            "name": ["Expo", "Web", "Free"],
            "type": ["expo", "online", "online"],
            "start_date": [d("2024-01-05"), d("2024-01-10"), d("2024-01-12")],
            "end_date": [None, None, None],
            "region": ["north", "south", "south"],
            "cost": [100.0, 10.0, 0.0],
        }
    ).astype({"end_date": "object"})
    leads = pd.DataFrame(
        {
            "lead_id": ["l1", "l2", "l3", "l4"],
            "created_at": [d("2024-01-06")] * 4,
            "channel": ["expo", "expo", "web", "web"],
            "campaign_id": ["expo", "expo", "web", None],
            "rep_id": ["r1", "r1", "r3", "r3"],
            "customer_id": [None] * 4,
        }
    )
    opps = pd.DataFrame(
        {
            "opp_id": ["o1", "o2", "o3"],
            "lead_id": ["l1", "l3", None],
            "customer_id": [None] * 3,
            "rep_id": ["r1", "r3", "r3"],
            "product": [None] * 3,
            "amount": [20.0, 50.0, 70.0],
            "created_at": [d("2024-01-07")] * 3,
            "status": ["won", "won", "lost"],
            "closed_at": [d("2024-02-01"), d("2024-03-01"), d("2024-03-02")],
        }
    )
    ds = dataset_from_frames(
        tmp_path / "src", {"reps": REPS, "campaigns": campaigns, "leads": leads, "opportunities": opps}
    )
    conv = compute_metric(ds, "lead_conversion_rate", Grain(period="all", dimension="channel")).set_index("channel")
    assert conv["value"].to_dict() == {"expo": 0.5, "web": 0.5}
    roi = compute_metric(ds, "campaign_roi", Grain(period="all", level="company", dimension="campaign_id"))
    roi = roi.set_index("campaign_id")["value"]
    assert roi["expo"] == pytest.approx((20 - 100) / 100)
    assert roi["web"] == pytest.approx((50 - 10) / 10)
    assert pd.isna(roi["free"])  # zero cost: no ratio, never a division error
    cpl = compute_metric(ds, "cost_per_lead", Grain(period="all", level="region")).set_index("unit")["value"]
    assert cpl["north"] == pytest.approx(50.0)
    assert cpl["south"] == pytest.approx(10.0)  # the free campaign adds no cost and no lead
    with pytest.raises(MetricError, match="rep level"):
        compute_metric(ds, "campaign_roi", Grain(level="rep"))


def test_expense_ratio_nets_refunds(tmp_path: Path) -> None:
    orders = _orders([("o1", "c1", "r1", "2024-01-10", 200.0, 0.0)])
    expenses = pd.DataFrame(
        {
            "expense_id": ["e1", "e2", "e3"],
            "spent_at": [d("2024-01-03"), d("2024-01-04"), d("2024-01-05")],
            "region": ["north", "north", "south"],
            "team": ["t1", "t1", "t2"],
            "rep_id": ["r1", "r1", "r3"],
            "category": ["travel"] * 3,
            "amount": [30.0, -10.0, 5.0],
            "campaign_id": [None] * 3,
        }
    )
    ds = dataset_from_frames(tmp_path / "src", {"reps": REPS, "orders": orders, "expenses": expenses})
    got = compute_metric(ds, "expense_ratio", Grain(level="region")).set_index("unit")
    assert got.loc["north", "value"] == pytest.approx(20 / 200)
    assert pd.isna(got.loc["south", "value"])  # spend without revenue: no ratio


def test_every_metric_is_documented() -> None:
    for metric in METRICS.values():
        assert metric.label_zh and metric.label_en and metric.definition.endswith(".")
        assert any(word in metric.definition for word in ("Period", "Cohort")), metric.name


def test_unknown_metric_and_dimension_are_clear_errors(sales) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MetricError, match="known metrics"):
        compute_metric(sales, "nope")
    with pytest.raises(MetricError, match="dimensions for revenue"):
        compute_metric(sales, "revenue", Grain(dimension="channel"))


def test_gross_profit_needs_order_costs_not_just_an_orders_table(tmp_path: Path) -> None:
    """An export without order costs has no gross profit: it would equal revenue (issue 18)."""
    from salesops_lib.data import connect
    from salesops_lib.metrics.dictionary import get_metric

    (tmp_path / "reps.csv").write_text("rep_id,name,team,region\nr1,Ann,t1,north\n", encoding="utf-8")
    orders = "order_id,customer_id,rep_id,ordered_at,amount{}\no1,c1,r1,2025-01-05,100{}\no2,c1,r1,2025-01-09,50{}\n"
    (tmp_path / "orders.csv").write_text(orders.format("", "", ""), encoding="utf-8")
    gross_profit, revenue = get_metric("gross_profit_per_fte"), get_metric("revenue_per_fte")
    without_cost = connect(tmp_path)
    assert revenue.available(without_cost)
    assert not gross_profit.available(without_cost)
    (tmp_path / "orders.csv").write_text(orders.format(",cost", ",60", ","), encoding="utf-8")
    assert gross_profit.available(connect(tmp_path))
