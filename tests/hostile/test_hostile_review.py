"""A whole review of a tiny hostile CRM export (issue 18): a CSV folder with a mapping, whose last
window booked nothing, with months of zero sales, blank amounts and an
account without a region. Every page publishes, and no page shows nan, None, inf or a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from salesops_lib.runner.config import ReviewConfig
from salesops_lib.runner.review import run_review

PERIOD = "2025-06"
REPORTS = ("kpi_overview", "team_efficiency", "target_split", "collections_customers", "forecast", "monthly_review")
BAD = re.compile(r"\b(nan|NaN|None|inf|-inf|NaT)\b|Traceback|Error:")

MAPPING = """\
name: tiny hostile export
stages:
  open_stages: [Prospecting, Engaging]
  won: Won
  lost: Lost
tables:
  reps:
    from: agents.csv
    columns: {rep_id: agent, name: agent, team: manager, region: office}
  customers:
    from: accounts.csv
    columns: {customer_id: account, name: account, industry: sector, region: office}
  opportunities:
    from: deals.csv
    columns:
      opp_id: deal
      customer_id: account
      rep_id: agent
      amount: value
      created_at: {from: engaged, format: "%Y-%m-%d"}
      status:
        from: stage
        values: {Won: won, Lost: lost, Engaging: open, Prospecting: open}
      closed_at: {from: closed, format: "%Y-%m-%d"}
"""


def _deals() -> pd.DataFrame:
    """Won deals every month of 2024 (July and August worth 0, one with a blank value), none since
    March 2025; a lost deal and an open one in June 2025 keep the month inside the data."""
    rows = []
    agents = ("Ann", "Bo", "Cy", "Di")
    for i, month in enumerate(pd.date_range("2024-01-01", "2025-02-01", freq="MS")):
        for k, agent in enumerate(agents):
            value: float | None = 0.0 if month.month in (7, 8) and month.year == 2024 else 100.0 * (k + 1)
            if i == 3 and k == 0:
                value = None  # a blank value
            created = (month - pd.Timedelta(days=20)).date()
            rows.append((f"d{i}-{k}", agent, f"acc{k}", "Won", created, (month + pd.Timedelta(days=9)).date(), value))
    rows.append(("lost-june", "Ann", "acc0", "Lost", dt.date(2025, 5, 2), dt.date(2025, 6, 3), 0.0))
    rows.append(("open-june", "Bo", "acc1", "Engaging", dt.date(2025, 6, 5), None, None))
    return pd.DataFrame(rows, columns=["deal", "agent", "account", "stage", "engaged", "closed", "value"])


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("hostile-export")
    pd.DataFrame(
        {
            "agent": ["Ann", "Bo", "Cy", "Di"],
            "manager": ["M1", "M1", "M2", "M2"],
            "office": ["East", "East", "West", "West"],
        }
    ).to_csv(folder / "agents.csv", index=False)
    pd.DataFrame(
        {
            "account": ["acc0", "acc1", "acc2", "acc3"],
            "sector": ["retail", None, "tech", "tech"],
            "office": ["East", None, "West", "West"],
        }
    ).to_csv(folder / "accounts.csv", index=False)
    _deals().to_csv(folder / "deals.csv", index=False)
    (folder / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    config = ReviewConfig.model_validate(
        {
            "source": str(folder),
            "mapping": str(folder / "mapping.yaml"),
            "period": PERIOD,
            "lang": "zh",
            "output_dir": str(tmp_path_factory.mktemp("published")),
            "jobs": 2,
            "timeout_seconds": 900,
            "reports": REPORTS,
        }
    )
    return run_review(config)


def _text(page: Path) -> str:
    html = page.read_text(encoding="utf-8")
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"data:[^\"')]+", " ", html)  # embedded fonts and figures
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.slow
def test_every_page_of_a_hostile_export_publishes_without_nan_none_inf_or_traceback(review) -> None:  # type: ignore[no-untyped-def]
    status = {o.name: (o.status, o.error) for o in review.outcomes}
    assert all(s == "published" for s, _ in status.values()), status
    pages = [review.path / "index.html", *(review.path / f"{name}.html" for name in REPORTS)]
    for page in pages:
        found = BAD.search(_text(page))
        assert found is None, f"{page.name}: …{_text(page)[max(0, found.start() - 80) : found.end() + 40]}…"
