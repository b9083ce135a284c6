"""Metrics on the real Maven CRM export equal independent SQL written by hand on the raw CSVs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from salesops_lib.data import Dataset
from salesops_lib.metrics import Grain, compute_metric


def _sql(folder: Path, query: str) -> pd.DataFrame:
    con = duckdb.connect()
    for name in ("sales_pipeline", "sales_teams", "accounts", "products"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_csv_auto('{folder / (name + '.csv')}')")
    return con.execute(query).df()


HAND_SQL = """
SELECT t.{group} AS unit,
       count(*) FILTER (WHERE p.deal_stage = 'Won')                     AS won_deals,
       count(*)                                                        AS closed_deals,
       sum(p.close_value) FILTER (WHERE p.deal_stage = 'Won')           AS won_value,
       avg(p.close_value) FILTER (WHERE p.deal_stage = 'Won')           AS avg_deal,
       avg(date_diff('day', p.engage_date, p.close_date))
           FILTER (WHERE p.deal_stage = 'Won')                         AS cycle_days
FROM sales_pipeline p JOIN sales_teams t USING (sales_agent)
WHERE p.deal_stage IN ('Won', 'Lost')
GROUP BY 1 ORDER BY 1
"""


@pytest.mark.parametrize(
    ("level", "group"), [("region", "regional_office"), ("team", "manager"), ("rep", "sales_agent")]
)
def test_pipeline_metrics_equal_hand_sql(maven: Dataset, maven_folder: Path, level: str, group: str) -> None:
    expected = _sql(maven_folder, HAND_SQL.format(group=group)).set_index("unit")
    grain = Grain(period="all", level=level)  # type: ignore[arg-type]
    win = compute_metric(maven, "win_rate", grain).set_index("unit")
    value = compute_metric(maven, "won_value", grain).set_index("unit")
    size = compute_metric(maven, "avg_deal_size", grain).set_index("unit")
    cycle = compute_metric(maven, "sales_cycle_days", grain).set_index("unit")
    assert sorted(win.index) == sorted(expected.index)
    np.testing.assert_allclose(win.loc[expected.index, "numerator"], expected["won_deals"])
    np.testing.assert_allclose(win.loc[expected.index, "denominator"], expected["closed_deals"])
    np.testing.assert_allclose(win.loc[expected.index, "value"], expected["won_deals"] / expected["closed_deals"])
    np.testing.assert_allclose(value.loc[expected.index, "value"], expected["won_value"])
    np.testing.assert_allclose(size.loc[expected.index, "value"], expected["avg_deal"], rtol=1e-12)
    np.testing.assert_allclose(cycle.loc[expected.index, "value"], expected["cycle_days"], rtol=1e-12)


def test_company_figures_match_published_totals(maven: Dataset) -> None:
    grain = Grain(period="all", level="company")
    win = compute_metric(maven, "win_rate", grain).iloc[0]
    won = compute_metric(maven, "won_value", grain).iloc[0]
    assert (win["numerator"], win["denominator"]) == (4238, 6711)
    assert won["value"] == 10_005_534


def test_monthly_win_rate_by_product_equals_hand_sql(maven: Dataset, maven_folder: Path) -> None:
    expected = _sql(
        maven_folder,
        """
        SELECT date_trunc('month', close_date) AS period, product,
               count(*) FILTER (WHERE deal_stage = 'Won') AS won, count(*) AS closed
        FROM sales_pipeline WHERE deal_stage IN ('Won', 'Lost') GROUP BY ALL ORDER BY ALL""",
    )
    got = compute_metric(maven, "win_rate", Grain(period="month", level="company", dimension="product"))
    merged = got.merge(expected.assign(period=pd.to_datetime(expected["period"])), on=["period", "product"])
    assert len(merged) == len(expected) == len(got)
    np.testing.assert_allclose(merged["numerator"], merged["won"])
    np.testing.assert_allclose(merged["denominator"], merged["closed"])


def test_window_limits_the_events(maven: Dataset) -> None:
    import datetime as dt

    q3 = Grain(period="all", level="company", start=dt.date(2017, 7, 1), end=dt.date(2017, 9, 30))
    months = compute_metric(maven, "won_value", Grain(period="month", level="company"))
    in_q3 = months[(months["period"] >= "2017-07-01") & (months["period"] <= "2017-09-01")]["value"].sum()
    assert compute_metric(maven, "won_value", q3)["value"].iloc[0] == pytest.approx(in_q3)


def test_revenue_falls_back_to_won_deals_without_orders(maven: Dataset) -> None:
    grain = Grain(period="year", level="region")
    revenue = compute_metric(maven, "revenue", grain)["value"].to_numpy()
    won = compute_metric(maven, "won_value", grain)["value"].to_numpy()
    np.testing.assert_allclose(revenue, won)


def test_gross_profit_needs_costs(maven: Dataset) -> None:
    from salesops_lib.errors import MissingTableError

    with pytest.raises(MissingTableError, match="orders"):
        compute_metric(maven, "gross_profit_per_fte", Grain())


def test_bundled_example_is_the_shared_dataset() -> None:
    from tests.conftest import MAVEN_BUNDLED, MAVEN_SHARED

    if not MAVEN_SHARED.is_dir():
        pytest.skip("../shared/datasets is not beside this checkout")
    for file in MAVEN_SHARED.glob("*.csv"):
        assert (MAVEN_BUNDLED / file.name).read_bytes() == file.read_bytes(), file.name
