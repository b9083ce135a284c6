"""The week grain, the metric filter, rep names and the options of `salesops metrics`.

Filtered figures on the small demo are checked against plain DuckDB SQL on the demo file, which
shares nothing with the engine but the file (weeks there are computed from ISODOW, not DATE_TRUNC).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesops_lib.core.periods import week_label, window_day
from salesops_lib.data import Dataset, connect
from salesops_lib.errors import MetricError
from salesops_lib.metrics import METRICS, Grain, compute_metric, metric_summary
from salesops_lib.metrics.filters import where_sql
from salesops_lib.metrics.grain import Period
from tests.builders import d, dataset_from_frames, reps_frame
from tests.conftest import PLANTED, SMALL_DEMO_AS_OF
from tests.test_bad_inputs import run_in_process

REPS = reps_frame([("r1", "t1", "north"), ("r2", "t1", "north"), ("r3", "t2", "south")])
DEAL_METRICS = ("win_rate", "won_value", "avg_deal_size", "sales_cycle_days")
PERIODS: tuple[Period, ...] = ("week", "month", "all")
MONDAY = dt.date(2024, 1, 1)  # a Monday: windows of whole weeks start here

# --------------------------------------------------------------------------- week grain (property)

deal = st.tuples(
    st.sampled_from(["r1", "r2", "r3"]),
    st.sampled_from(["won", "lost", "open"]),
    st.integers(0, 120),  # created, days after MONDAY
    st.integers(0, 60),  # cycle days
    st.one_of(st.none(), st.floats(0, 1e5, allow_nan=False)),
    st.sampled_from(["A", "B"]),
)


def _deals(deals: list[tuple[str, str, int, int, float | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opp_id": [f"o{i}" for i in range(len(deals))],
            "rep_id": [x[0] for x in deals],
            "status": [x[1] for x in deals],
            "created_at": [MONDAY + dt.timedelta(days=x[2]) for x in deals],
            "closed_at": [MONDAY + dt.timedelta(days=x[2] + x[3]) if x[1] != "open" else None for x in deals],
            "amount": [x[4] for x in deals],
            "product": [x[5] for x in deals],
        }
    )


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.slow
@given(st.lists(deal, min_size=1, max_size=50), st.integers(0, 20), st.integers(1, 20))
def test_weeks_add_up_to_months_and_to_the_window(
    deals: list[tuple[str, str, int, int, float | None, str]], first_week: int, weeks: int
) -> None:
    """Over a window of whole weeks, the weeks' parts sum to the window's and to its months' parts;
    each week is named by its Monday and holds what a plain day-by-day count puts in it."""
    frame = _deals(deals)
    start = MONDAY + dt.timedelta(weeks=first_week)
    end = start + dt.timedelta(weeks=weeks, days=-1)  # a Sunday
    with tempfile.TemporaryDirectory() as tmp:
        ds = dataset_from_frames(Path(tmp), {"reps": REPS, "opportunities": frame})
        for name in ("win_rate", "won_value", "sales_cycle_days"):
            for where in (None, "product = 'A'"):
                parts = {
                    period: compute_metric(
                        ds, name, Grain(period=period, level="team", start=start, end=end, where=where)
                    )
                    for period in PERIODS
                }
                totals = {p: f[["numerator", "denominator"]].sum(min_count=1) for p, f in parts.items()}
                pd.testing.assert_series_equal(totals["week"], totals["all"], check_exact=False, rtol=1e-9)
                pd.testing.assert_series_equal(totals["month"], totals["all"], check_exact=False, rtol=1e-9)
                assert (parts["week"]["period"].dt.day_of_week == 0).all()
        # the weekly win-rate parts from a plain count of closed deals by the Monday of their close
        closed = frame[frame["status"] != "open"].copy()
        closed["closed_at"] = pd.to_datetime(closed["closed_at"])
        closed = closed[closed["closed_at"].between(pd.Timestamp(start), pd.Timestamp(end))]
        monday = closed["closed_at"] - pd.to_timedelta(closed["closed_at"].dt.day_of_week, unit="D")
        expected = closed.groupby(monday)["status"].agg(won=lambda s: float((s == "won").sum()), closed="size")
        got = compute_metric(ds, "win_rate", Grain(period="week", start=start, end=end)).set_index("period")
        assert got["numerator"].tolist() == expected["won"].tolist()
        assert got["denominator"].tolist() == expected["closed"].astype(float).tolist()


def test_week_labels_and_window_days() -> None:
    assert week_label(dt.date(2026, 1, 26)) == "2026-W05"
    assert week_label(dt.date(2024, 12, 30)) == "2025-W01"  # ISO year of the Monday's week
    assert window_day("2026-W05") == dt.date(2026, 1, 26)
    assert window_day("2026-W05", end=True) == dt.date(2026, 2, 1)
    assert window_day("2024-02", end=True) == dt.date(2024, 2, 29)
    for bad in ("2024-02-30", "2024-13", "2021-W53", "June"):
        with pytest.raises(ValueError, match="not a"):
            window_day(bad)


# --------------------------------------------------------------------------- filters and rep names, unit cases


@pytest.fixture
def deals(tmp_path: Path) -> Dataset:
    opps = pd.DataFrame(
        {
            "opp_id": ["o1", "o2", "o3", "o4", "o5"],
            "customer_id": ["c1", "c2", "c1", None, "c2"],
            "rep_id": ["r1", "r2", "r3", "r1", "r9"],  # r9 is not in the reps table
            "product": ["A", "A", "B", "A", "B"],
            "amount": [100.0, 50.0, 80.0, 10.0, 30.0],
            "created_at": [d("2024-01-01")] * 5,
            "status": ["won", "lost", "won", "won", "won"],
            "closed_at": [d("2024-01-02"), d("2024-01-09"), d("2024-01-10"), d("2024-01-14"), d("2024-01-15")],
        }
    )
    customers = pd.DataFrame({"customer_id": ["c1", "c2"], "segment": ["smb", "enterprise"]})
    return dataset_from_frames(tmp_path / "src", {"reps": REPS, "opportunities": opps, "customers": customers})


def test_rep_rows_carry_name_team_and_region(deals: Dataset) -> None:
    got = compute_metric(deals, "won_value", Grain(period="all", level="rep")).set_index("unit")
    assert list(got.columns[:4]) == ["period", "name", "team", "region"]
    assert got.loc["r3", ["name", "team", "region"]].tolist() == ["r3", "t2", "south"]
    assert got.loc["r9", "name"] == "r9" and pd.isna(got.loc["r9", "team"])  # missing from reps: its id
    assert "name" not in compute_metric(deals, "won_value", Grain(level="team")).columns


def test_week_rows_are_named_by_their_monday(deals: Dataset) -> None:
    got = compute_metric(deals, "won_value", Grain(period="week")).set_index("period")["value"]
    # 2024-01-14 is a Sunday: the last day of the week of Monday 8 January
    assert got.to_dict() == {
        pd.Timestamp("2024-01-01"): 100,
        pd.Timestamp("2024-01-08"): 80 + 10,
        pd.Timestamp("2024-01-15"): 30,
    }


def test_structured_and_sql_filters_agree(deals: Dataset) -> None:
    grain = Grain(period="all", level="company")
    by_sql = compute_metric(deals, "won_value", grain, where="segment = 'smb' OR product = 'A'")
    assert by_sql["value"].iloc[0] == 100 + 80 + 10
    smb = compute_metric(deals, "won_value", grain, where={"segment": ["smb"]})
    assert smb["value"].iloc[0] == 100 + 80
    both = compute_metric(
        deals, "won_value", grain.model_copy(update={"where": "product = 'A'"}), where={"segment": "smb"}
    )
    assert both["value"].iloc[0] == 100  # the argument is ANDed with the grain's filter
    none = compute_metric(deals, "won_value", grain, where={"segment": None})
    assert none["value"].iloc[0] == 10  # o4 has no customer
    by_segment = compute_metric(deals, "win_rate", Grain(period="all", dimension="segment")).set_index("segment")
    assert by_segment.loc["enterprise", "value"] == pytest.approx(0.5)
    assert where_sql({"product": ["A", "B"]}) == "\"product\" IN ('A', 'B')"


@pytest.mark.parametrize(
    ("where", "phrase"),
    [
        ("colour = 'red'", "names 'colour', which is not a column"),
        ('product = "A"', "text values go in single quotes"),
        ("read_csv('/etc/passwd') IS NOT NULL", "calls `read_csv`, which a filter may not use"),
        ("product IN (SELECT product FROM opportunities)", "contains a query"),
        ("product = 'A'; DROP TABLE reps", "more than one SQL statement"),
        ("product = ", "does not compile"),
        ("amount", "is not a condition"),
    ],
)
def test_a_bad_filter_is_a_metric_error_naming_the_valid_columns(deals: Dataset, where: str, phrase: str) -> None:
    with pytest.raises(MetricError) as caught:
        compute_metric(deals, "won_value", Grain(), where=where)
    assert phrase in caught.value.message
    assert caught.value.fix and "filter won_value on: opp_id" in caught.value.fix and "segment" in caught.value.fix


def test_filters_and_summaries_respect_what_a_metric_can_take(deals: Dataset) -> None:
    with pytest.raises(MetricError, match="cannot be filtered"):
        compute_metric(deals, "revenue_per_fte", Grain(), where="product = 'A'")
    with pytest.raises(MetricError, match="no metric can be broken down by 'colour'") as caught:
        metric_summary(deals, None, Grain(period="all", dimension="colour"))
    assert caught.value.fix and "product" in caught.value.fix and "segment" in caught.value.fix
    summary = metric_summary(deals, None, Grain(period="all", level="rep"), where="product = 'A'")
    # revenue has no product column and revenue_per_fte takes no filter: both are left out
    assert list(summary.columns) == [*("period", "unit", "name", "team", "region"), *DEAL_METRICS]
    with pytest.raises(MetricError, match="cannot be broken down"):
        metric_summary(deals, ["revenue_per_fte"], Grain(period="all", dimension="product"))


def test_every_declared_filter_column_and_dimension_runs() -> None:
    """What the dictionary promises (``filters``, ``dimensions``) the facts carry, on the demo."""
    ds = connect(PLANTED)
    window = Grain(period="all", level="region", start=dt.date(2025, 6, 1), end=dt.date(2025, 6, 30))
    for metric in METRICS.values():
        if not metric.filters or not metric.available(ds):
            continue
        everything = " AND ".join(f"({c} IS NULL OR {c} IS NOT NULL)" for c in metric.filters)
        grain = window if "region" in metric.levels else window.model_copy(update={"level": "company"})
        plain = compute_metric(ds, metric.name, grain)
        kept = compute_metric(ds, metric.name, grain, where=everything)
        pd.testing.assert_frame_equal(kept, plain)
        for dimension in metric.dimensions:
            parts = compute_metric(ds, metric.name, grain.model_copy(update={"dimension": dimension}))
            assert len(parts) >= len(plain), (metric.name, dimension)


# --------------------------------------------------------------------------- the demo against plain SQL


def _demo_sql(query: str) -> pd.DataFrame:
    from salesops_lib.data.demo.cache import demo_source_path

    connect(PLANTED)  # generates the file into this session's cache if needed
    path = demo_source_path("small", "planted", as_of=SMALL_DEMO_AS_OF, show_progress=False)
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(query).df()


def test_filtered_win_rate_by_region_equals_plain_sql() -> None:
    truth = _demo_sql(
        """
        SELECT r.region AS unit, count(*) FILTER (WHERE o.status = 'won') AS won, count(*) AS closed
        FROM opportunities o LEFT JOIN customers c ON c.customer_id = o.customer_id
             LEFT JOIN reps r ON r.rep_id = o.rep_id
        WHERE o.status IN ('won', 'lost') AND o.closed_at BETWEEN DATE '2025-01-01' AND DATE '2025-06-30'
          AND c.segment = 'smb' AND o.amount > 5000 AND o.product IN ('P01', 'P02')
        GROUP BY 1 ORDER BY 1
        """
    )
    ds = connect(PLANTED)
    grain = Grain(period="all", level="region", start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 30))
    by_sql = compute_metric(
        ds, "win_rate", grain, where="segment = 'smb' AND amount > 5000 AND product IN ('P01', 'P02')"
    )
    by_map = compute_metric(
        ds,
        "win_rate",
        grain.model_copy(update={"where": "amount > 5000"}),
        where={"segment": "smb", "product": ["P01", "P02"]},
    )
    pd.testing.assert_frame_equal(by_map, by_sql)
    assert by_sql["unit"].tolist() == truth["unit"].tolist()
    np.testing.assert_allclose(by_sql["numerator"], truth["won"])
    np.testing.assert_allclose(by_sql["denominator"], truth["closed"])


def test_weekly_filtered_revenue_by_rep_equals_plain_sql() -> None:
    truth = _demo_sql(
        """
        SELECT CAST(o.ordered_at - CAST(isodow(o.ordered_at) - 1 AS INTEGER) AS DATE) AS monday,
               o.rep_id, r.name, r.team, sum(o.amount) AS revenue
        FROM orders o JOIN customers c ON c.customer_id = o.customer_id JOIN reps r ON r.rep_id = o.rep_id
        WHERE o.ordered_at BETWEEN DATE '2025-05-05' AND DATE '2025-06-29' AND c.industry = 'manufacturing'
        GROUP BY ALL ORDER BY 1, 2
        """
    )
    ds = connect(PLANTED)
    grain = Grain(period="week", level="rep", start=dt.date(2025, 5, 5), end=dt.date(2025, 6, 29))
    got = compute_metric(ds, "revenue", grain, where={"industry": "manufacturing"})
    assert len(got) == len(truth) > 20
    assert got["period"].dt.date.tolist() == pd.to_datetime(truth["monday"]).dt.date.tolist()
    assert got[["unit", "name", "team"]].values.tolist() == truth[["rep_id", "name", "team"]].values.tolist()
    np.testing.assert_allclose(got["value"], truth["revenue"])


# --------------------------------------------------------------------------- the command line


def test_cli_options_round_trip(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """What `salesops metrics` prints for a week × rep × filter query is the API's frame, labelled."""
    args = ["metrics", "--source", PLANTED, "--grain", "week", "--level", "rep", "--start", "2025-W26"]
    args += ["--end", "2025-06-29", "--metrics", "won_value", "--where", "segment = 'smb'", "--dimension", "product"]
    code, output = run_in_process(args, monkeypatch, capsys)
    assert code == 0, output
    frame = compute_metric(
        connect(PLANTED),
        "won_value",
        Grain(period="week", level="rep", dimension="product", start=dt.date(2025, 6, 23), end=dt.date(2025, 6, 29)),
        where="segment = 'smb'",
    )
    assert "week × rep × product, 2025-06-23 to 2025-06-29" in output and "where segment = 'smb'" in output
    assert len(frame) > 8  # printed long: one line per rep × week × product
    lines = [line for line in output.splitlines() if "2025-W26" in line]
    assert len(lines) == len(frame)
    for line, (_, row) in zip(lines, frame.iterrows(), strict=True):
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        assert cells == [
            "2025-W26",
            row["unit"],
            row["name"],
            row["team"],
            row["region"],
            row["product"],
            f"{row['value']:,.0f}",
        ]


def test_cli_few_columns_print_one_row_per_metric(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["metrics", "--source", PLANTED, "--period", "month", "--level", "company", "--start", "2025-05"]
    args += ["--end", "2025-06", "--metrics", "win_rate,revenue", "--dimension", "segment"]
    code, output = run_in_process(args, monkeypatch, capsys)
    assert code == 0, output
    assert "Win rate" in output and "Revenue" in output and "smb" in output and "2025-06" in output
    code, output = run_in_process(["metrics", "--source", PLANTED], monkeypatch, capsys)
    assert code == 0, output  # the default (period all) leaves out DSO, which needs calendar periods
    assert "Collection rate" in output and "Days sales outstanding" not in output


def test_metric_catalogue_doc_is_generated() -> None:
    from salesops_lib.metrics.dictionary import describe_markdown
    from tests.conftest import ROOT

    assert (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8") == describe_markdown(), (
        "regenerate: python -c 'import salesops_lib.metrics; from salesops_lib.metrics.dictionary import "
        'describe_markdown as d; open("docs/metrics.md", "w", encoding="utf-8").write(d())\''
    )


def test_every_metric_at_the_rep_level_carries_names() -> None:
    """Rep rows get name/team/region for every metric, including those whose expression ends in
    a join of its own (the expense ratio's spend ⟗ revenue broke the dashboard's cube)."""
    ds = connect(PLANTED)
    grain = Grain(period="month", level="rep", start=d("2025-04-01"), end=d(SMALL_DEMO_AS_OF))
    for name, metric in METRICS.items():
        if not (metric.available(ds) and metric.fits(grain)):
            continue
        frame = compute_metric(ds, name, grain)
        ranked = frame[frame["unit"].notna()]
        assert {"name", "team", "region"} <= set(frame.columns), name
        assert ranked["name"].notna().all(), name
