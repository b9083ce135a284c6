"""The real-data corpus: every real dataset in ``../shared/datasets/`` that fits a sales source,
onboarded by a mapping under ``parameters/sources/``, runs the whole review end to end.

For each: ``salesops review`` exits 0; the index names every report, and each report is either
published or skipped with its reason; no page shows ``nan``, ``None``, ``inf`` or a traceback;
and the headline revenue equals a plain SQL over the raw export written here, sharing nothing
with the engine (no mapping, no canonical tables).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from salesops_lib.catalog import CATALOG
from tests.conftest import ROOT, SALESOPS, SHARED
from tests.page_text import leaked_values, visible_text

pytestmark = pytest.mark.slow


def _revenue_sql(sql: str, *, lines: tuple[str, str] | None = None) -> Callable[[Path], float]:
    """A function of the dataset folder: the month's revenue by ``sql`` (``{dir}`` = the folder).

    ``lines`` = (file, encoding) of an export DuckDB cannot decode: read as text by the standard
    library and given to the SQL as the table ``lines``.
    """

    def revenue(folder: Path) -> float:
        con = duckdb.connect()
        if lines is not None:
            with (folder / lines[0]).open(encoding=lines[1], newline="") as fh:
                rows = list(csv.DictReader(fh))
            con.register("lines", pd.DataFrame(rows, dtype=str))
        row = con.sql(sql.replace("{dir}", str(folder))).fetchone()
        return float(row[0]) if row and row[0] is not None else 0.0

    return revenue


@dataclass(frozen=True)
class RealSource:
    """One real dataset, its review configuration, and the truth about its headline."""

    name: str
    folder: Path
    config: str
    must_publish: frozenset[str]
    revenue: Callable[[Path], float]


CORPUS = (
    RealSource(
        "maven_crm",
        SHARED / "maven_crm_sales_opportunities",
        "parameters/maven_review.yaml",
        frozenset({"kpi_overview", "monthly_review", "team_efficiency", "funnel_diagnosis", "forecast"}),
        _revenue_sql(
            """SELECT sum(TRY_CAST(close_value AS DOUBLE))
               FROM read_csv('{dir}/sales_pipeline.csv', all_varchar = true)
               WHERE deal_stage = 'Won' AND close_date >= '2017-12-01' AND close_date < '2018-01-01'"""
        ),
    ),
    RealSource(
        "souvenirs_monthly",
        SHARED / "rdatasets_small_real_business",
        "parameters/souvenirs_review.yaml",
        frozenset({"kpi_overview", "monthly_review", "forecast"}),
        _revenue_sql(
            """SELECT sum(Sales) FROM read_csv('{dir}/fpp3_souvenirs_monthly_sales.csv')
               WHERE Month = '1993 Dec'"""
        ),
    ),
    RealSource(
        "robyn_mmm",
        SHARED / "robyn_simulated_mmm",
        "parameters/robyn_review.yaml",
        frozenset({"kpi_overview", "monthly_review", "expense_roi", "forecast"}),
        _revenue_sql(
            """SELECT sum(revenue) FROM read_csv('{dir}/dt_simulated_weekly.csv')
               WHERE DATE >= DATE '2019-10-01' AND DATE < DATE '2019-11-01'"""
        ),
    ),
    RealSource(
        "kaggle_sample_sales",
        SHARED / "kaggle_sample_sales_data",
        "parameters/kaggle_review.yaml",
        frozenset({"kpi_overview", "monthly_review", "forecast", "collections_customers"}),
        _revenue_sql(
            """SELECT sum(TRY_CAST(SALES AS DOUBLE)) FROM lines
               WHERE STATUS <> 'Cancelled'
                 AND strptime(ORDERDATE, '%m/%d/%Y %H:%M') >= DATE '2005-05-01'
                 AND strptime(ORDERDATE, '%m/%d/%Y %H:%M') < DATE '2005-06-01'""",
            lines=("sales_data_sample.csv", "cp850"),  # a DOS code page DuckDB's reader does not know
        ),
    ),
)


@pytest.fixture(scope="module", params=CORPUS, ids=lambda s: s.name)
def published(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[RealSource, Path]:
    """The source's review, published once into a fresh folder: (source, period folder)."""
    source: RealSource = request.param
    if not source.folder.is_dir():
        pytest.skip(f"{source.folder} is not available")
    out = tmp_path_factory.mktemp(source.name)
    env = {**os.environ, "SALESOPS_CACHE": str(out / "cache")}
    done = subprocess.run(
        [str(SALESOPS), "review", "-c", source.config, "--source", str(source.folder), "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    (period,) = [p for p in out.iterdir() if p.is_dir() and p.name[:4].isdigit()]
    return source, period


def test_every_report_is_published_or_skipped_with_its_reason(published: tuple[RealSource, Path]) -> None:
    source, period = published
    manifest = json.loads((period / "manifest.json").read_text(encoding="utf-8"))
    status = {r["name"]: r for r in manifest["reports"]}
    assert set(status) == set(CATALOG)
    ran = {name for name, r in status.items() if r["status"] == "published"}
    assert source.must_publish <= ran, f"not published: {source.must_publish - ran}"
    index = visible_text((period / "index.html").read_text(encoding="utf-8"))
    for name, report in status.items():
        assert report["status"] in ("published", "skipped"), f"{name}: {report['status']} {report['error']}"
        if report["status"] == "skipped":
            assert report["error"], f"{name} skipped without a reason"
            assert report["error"].split(":")[0] in index, f"the index does not say why {name} was skipped"


def test_no_page_shows_nan_none_inf_or_a_traceback(published: tuple[RealSource, Path]) -> None:
    _, period = published
    leaks = {
        page.name: found for page in sorted(period.glob("*.html")) if (found := leaked_values(page.read_text("utf-8")))
    }
    assert not leaks, leaks


def test_the_month_revenue_equals_plain_sql_on_the_export(published: tuple[RealSource, Path]) -> None:
    source, period = published
    regions = pd.read_excel(period / "kpi_overview.xlsx", sheet_name=0, header=None, engine="openpyxl")
    labels = regions.iloc[:, 0].astype(str)
    revenue_rows = regions[labels.isin(["Revenue", "收入", "营收", "销售额"])]
    assert len(revenue_rows) == 1, labels.tolist()
    shown = pd.to_numeric(revenue_rows.iloc[0, 1:], errors="coerce").fillna(0).sum()
    assert shown == pytest.approx(source.revenue(source.folder), abs=0.5)


def test_the_kaggle_mapping_is_the_onboard_draft_with_two_edits(tmp_path: Path) -> None:
    """`salesops onboard` drafts the committed mapping of the order-lines export but for its two
    hand edits (the rep, the cancelled orders): the onboarding path is the one users take."""
    folder = SHARED / "kaggle_sample_sales_data"
    if not folder.is_dir():
        pytest.skip(f"{folder} is not available")
    draft_file = tmp_path / "kaggle.yaml"
    done = subprocess.run(
        [str(SALESOPS), "onboard", str(folder), "--out", str(draft_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "SALESOPS_CACHE": str(tmp_path / "cache")},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    draft = yaml.safe_load(draft_file.read_text(encoding="utf-8"))
    committed = yaml.safe_load((ROOT / "parameters/sources/kaggle_sample_sales.yaml").read_text(encoding="utf-8"))
    draft["tables"]["orders"]["columns"]["rep_id"] = {"const": "company"}  # edit 1
    draft["tables"]["orders"]["where"] = "STATUS <> 'Cancelled'"  # edit 2
    assert draft["tables"] == committed["tables"]
    assert draft["absent"] == committed["absent"]
