"""Dashboard without a browser: scope rules, views on a hand-built cube, the cube against the
analyses it comes from, widget callbacks, and the server's safety checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from salesops_lib.analyses.findings import Finding
from salesops_lib.dashboard import views
from salesops_lib.dashboard.build import recent_periods
from salesops_lib.dashboard.cube import DashboardCube, load_cube, save_cube
from salesops_lib.dashboard.scope import Scope, children, contains, resolve
from salesops_lib.dashboard.server import ServerOptions, check_options, is_loopback, url, voila_argv
from salesops_lib.errors import ConfigError
from tests.conftest import SMALL_DEMO_AS_OF as AS_OF

PERIOD = AS_OF[:7]
"""Demo data are pinned: the planted effects sit in the as-of month whatever today is."""

ORG = pd.DataFrame(
    {
        "rep_id": ["r1", "r2", "r3", "r4"],
        "name": ["甲", "乙", "<b>丙</b>", "丁"],
        "team": ["n-1", "n-1", "n-2", "s-1"],
        "region": ["north", "north", "north", "south"],
    }
)


def _finding(level: str, unit: str, at_stake: float = 0.0, severity: str = "medium") -> Finding:
    return Finding(
        analysis="target_tracking",
        kind="pace_behind",
        severity=severity,
        level=level,
        unit=unit,
        metric="attainment",
        value=0.8,
        baseline=1.0,
        period="2026-10",
        at_stake=at_stake,
    )


def hand_cube() -> DashboardCube:
    """Two regions, three teams, four reps; revenue adds up the org tree."""
    revenue = {
        ("company", "company"): 100.0,
        ("region", "north"): 70.0,
        ("region", "south"): 30.0,
        ("team", "n-1"): 50.0,
        ("team", "n-2"): 20.0,
        ("team", "s-1"): 30.0,
        ("rep", "r1"): 30.0,
        ("rep", "r2"): 20.0,
        ("rep", "r3"): 20.0,
        ("rep", "r4"): 30.0,
    }
    tiles = pd.DataFrame(
        [
            {
                "level": lv,
                "unit": u,
                "metric": m,
                "unit_kind": "currency" if m == "revenue" else "ratio",
                "higher_is_better": True,
                "value": v if m == "revenue" else v / 100,
                "previous": v * 0.9,
                "last_year": v * 0.8,
                "change_prev": 1 / 0.9 - 1,
                "change_yoy": 0.25,
                "target": v * 1.1 if m == "revenue" else float("nan"),
            }
            for (lv, u), v in revenue.items()
            for m in ("revenue", "attainment", "win_rate")
        ]
    )
    forecast = pd.DataFrame(
        [
            {
                "level": lv,
                "unit": u,
                "forecast": v * 3,
                "lo80": v * 2.7,
                "hi80": v * 3.3,
                "target": v * 3.2,
                "attainment": 3 / 3.2,
                "p_hit": 0.3,
            }
            for (lv, u), v in revenue.items()
        ]
    )
    efficiency = pd.DataFrame(
        [
            {
                "level": "rep",
                "unit": r,
                "name": n,
                "team": tm,
                "region": rg,
                "fte": 1.0,
                "revenue": 1.0,
                "revenue_per_fte": rpf,
                "win_rate": 0.3,
                "benchmark": 25.0,
                "gap": rpf / 25 - 1,
                "flagged": rpf < 20,
                "eligible": True,
            }
            for (r, n, tm, rg), rpf in zip(ORG.itertuples(index=False), [30.0, 20.0, 10.0, 40.0], strict=True)
        ]
    )
    funnel = pd.DataFrame(
        {
            "level": ["company"] * 3 + ["region"] * 3,
            "unit": ["company"] * 3 + ["north"] * 3,
            "step": ["lead", "proposal", "won"] * 2,
            "k": [0, 1, 2] * 2,
            "reached": [100.0, 50.0, 20.0, 60.0, 30.0, 15.0],
        }
    )
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["c1", "c2", "c3"],
            "type": ["expo", "online", "expo"],
            "region": ["north", "north", "south"],
            "cost": [10.0, 20.0, 30.0],
            "won_revenue": [5.0, 60.0, 60.0],
            "low_roi": [True, False, False],
        }
    )
    findings = (
        _finding("company", "company", 5),
        _finding("region", "south", 50, "high"),
        _finding("team", "n-2", 10),
        _finding("rep", "r1", 1),
        _finding("campaign", "c1", 3),
    )
    return DashboardCube(
        period="2026-10",
        source="hand",
        fingerprint="hand",
        built_at="2026-11-01T00:00:00",
        org=ORG.assign(region_name=["华北", "华北", "华北", "华南"], departed=False),
        tiles=tiles,
        pacing=pd.DataFrame(),
        monthly=pd.DataFrame(),
        forecast=forecast,
        efficiency=efficiency,
        funnel=funnel,
        campaigns=campaigns,
        expense_units=pd.DataFrame(),
        findings=findings,
        forecast_target="2026Q4",
    )


def test_scope_levels_children_and_consistency() -> None:
    assert Scope().level == "company" and Scope("north", "n-1").unit == "n-1"
    assert children(ORG, Scope()) == ["north", "south"]
    assert children(ORG, Scope("north")) == ["n-1", "n-2"]
    assert children(ORG, Scope("north", "n-1")) == ["r1", "r2"]
    assert resolve(ORG, "south", "n-1", "r1") == Scope("south")  # a team outside the region is dropped
    assert resolve(ORG, "north", "n-1", "r4") == Scope("north", "n-1")
    assert resolve(ORG, "mars") == Scope()
    assert contains(ORG, Scope("north"), "rep", "r3") and not contains(ORG, Scope("north"), "rep", "r4")
    assert not contains(ORG, Scope("north", "n-1"), "region", "north")  # a parent is not inside its child


def test_views_cut_the_cube_to_the_scope() -> None:
    cube = hand_cube()
    tiles = views.tiles(cube, Scope("north"))
    assert tiles.set_index("metric").loc["revenue", "value"] == 70.0
    table = views.breakdown(cube, Scope("north"))
    assert list(table["unit"]) == ["n-2", "n-1"]  # weakest attainment first
    assert table.set_index("unit").loc["n-1", "revenue"] == 50.0
    assert views.breakdown(cube, Scope("north", "n-1", "r1")).empty  # a rep has no children
    ranking = views.ranking(cube, Scope("north", "n-1", "r2"))
    assert list(ranking["unit"]) == ["r1", "r2"] and ranking["selected"].tolist() == [False, True]
    assert views.outlook(cube, Scope("south"))["forecast"] == 90.0
    funnel = views.funnel(cube, Scope("north"))
    assert funnel["conversion"].round(2).tolist()[1:] == [0.5, 0.5]


def test_campaign_roi_follows_the_expense_analysis_definition() -> None:
    cube = hand_cube()
    company = views.campaign_roi(cube, Scope()).set_index("type")
    assert company.loc["expo", "cost"] == 40.0 and company.loc["expo", "roi"] == pytest.approx(65 / 40 - 1)
    north = views.campaign_roi(cube, Scope("north")).set_index("type")
    assert north.loc["expo", "roi"] == pytest.approx(-0.5) and north.loc["expo", "low_roi"] == 1


def test_alerts_stay_inside_the_scope() -> None:
    cube = hand_cube()
    everything = views.alerts(cube, Scope())
    assert len(everything) == 5 and everything[0].unit == "south"  # most severe first
    north = {(f.level, f.unit) for f in views.alerts(cube, Scope("north"))}
    assert north == {("team", "n-2"), ("rep", "r1"), ("campaign", "c1")}
    assert {(f.level, f.unit) for f in views.alerts(cube, Scope("north", "n-1"))} == {("rep", "r1")}
    assert views.alerts(cube, Scope("south", "s-1", "r4")) == []


def test_panels_escape_names_from_the_data() -> None:
    from salesops_lib.dashboard.app import render_page

    page = render_page(hand_cube(), Scope("north", "n-2"), "zh")
    assert "<b>丙</b>" not in page and "&lt;b&gt;丙&lt;/b&gt;" in page
    assert "data-scope='team:n-2'" in page


def test_widget_callbacks_requery_and_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from salesops_lib.dashboard.app import CubeStore, LeadershipDashboard

    save_cube(hand_cube(), tmp_path)
    dash = LeadershipDashboard(CubeStore(tmp_path), "2026-10", "en")
    assert "data-scope='company:company'" in dash.page.value
    dash.region.value = "north"
    assert [v for _, v in dash.team.options] == ["", "n-1", "n-2"] and "data-scope='region:north'" in dash.page.value
    dash.team.value = "n-1"
    assert [v for _, v in dash.rep.options] == ["", "r1", "r2"]
    dash.rep.value = "r2"
    assert dash.scope == Scope("north", "n-1", "r2") and "data-scope='rep:r2'" in dash.page.value
    dash.region.value = "south"  # team and rep outside the new region are dropped
    assert dash.scope == Scope("south") and dash.team.value == "" and dash.rep.value == ""
    before = len(dash.cache._items)
    dash.region.value = "north"
    assert len(dash.cache._items) == before  # already rendered: served from the cache


def test_the_first_view_is_plain_html_kept_beside_the_cube(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 22: ten viewers at once waited for Voila's ~90 scripts and a kernel each before any
    figure showed; the first view now comes as plain HTML in the page itself, rendered once per cube.
    """
    from salesops_lib.dashboard import snapshot

    folder = save_cube(hand_cube(), tmp_path)
    written = snapshot.ensure(folder, "en")
    html = written.read_text(encoding="utf-8")
    assert html.count(f"id='{snapshot.SNAPSHOT_ID}'") == 1 and "data-scope='company:company'" in html
    assert "so-tile' data-metric='revenue'" in html and "Sales leadership dashboard" in html
    assert "Filters are loading" in html and snapshot.SWAP_SCRIPT in html  # replaced by the live page
    assert "<script src" not in html and "<img src='http" not in html  # nothing to fetch: charts are inline
    kept = written.stat().st_mtime_ns
    assert snapshot.ensure(folder, "en").stat().st_mtime_ns == kept  # rendered once per cube
    save_cube(hand_cube(), tmp_path)  # a rebuilt cube gets a new snapshot
    assert snapshot.ensure(folder, "en").stat().st_mtime_ns > kept
    snapshot.served.cache_clear()
    monkeypatch.setenv(snapshot.CUBES_ENV, str(tmp_path))
    monkeypatch.setenv(snapshot.PERIOD_ENV, folder.name)
    monkeypatch.setenv(snapshot.LANG_ENV, "en")
    try:
        assert snapshot.served() == written.read_text(encoding="utf-8")
        snapshot.served.cache_clear()
        monkeypatch.setenv(snapshot.LANG_ENV, "zh")  # none written for zh: the page renders as before
        assert snapshot.served() == ""
    finally:
        snapshot.served.cache_clear()


def test_cube_round_trips_through_storage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cube = hand_cube()
    loaded = load_cube(save_cube(cube, tmp_path))
    pd.testing.assert_frame_equal(loaded.tiles, cube.tiles, check_dtype=False)
    assert loaded.findings == cube.findings and loaded.forecast_target == "2026Q4"
    with pytest.raises(ConfigError, match="no dashboard data"):
        load_cube(tmp_path / "2030-01")


def test_recent_periods() -> None:
    assert recent_periods("2026-02", 3) == ["2026-02", "2026-01", "2025-12"]


@pytest.mark.slow
def test_cube_holds_what_the_analyses_found(small_demo_cube: DashboardCube) -> None:
    """Built on the small demo: tiles are the monthly review's, the rest the analyses' own frames."""
    from salesops_lib.catalog import CATALOG
    from salesops_lib.config.scope import RunScope
    from salesops_lib.data import connect
    from salesops_lib.metrics import Grain, compute_metric

    ds = connect(f"demo:small:{AS_OF}")
    cube = small_demo_cube
    assert cube.skipped == {}
    scope = RunScope(source=ds.source, period=PERIOD)
    review = CATALOG["monthly_review"].spec.run(ds, scope)
    mine = views.tiles(cube, Scope()).set_index("metric")
    for row in review.tiles.itertuples():
        assert mine.loc[row.metric, "value"] == pytest.approx(row.value, nan_ok=True), row.metric
    assert mine.loc["revenue", "target"] == pytest.approx(review.tiles.set_index("metric").loc["revenue", "target"])
    start, end = dt.date(2025, 6, 1), dt.date.fromisoformat(AS_OF)
    teams = compute_metric(ds, "win_rate", Grain(period="month", level="team", start=start, end=end))
    some = teams.iloc[0]
    region = ds.table("reps").filter(lambda t: t.team == some["unit"]).select("region").execute()["region"].iloc[0]
    scoped = views.tiles(cube, Scope(region, some["unit"])).set_index("metric")
    assert scoped.loc["win_rate", "value"] == pytest.approx(some["value"])
    pace = CATALOG["target_tracking"].spec.run(ds, scope).pacing
    assert len(cube.pacing) == len(pace)
    assert {f.analysis for f in cube.findings} >= {"target_tracking", "team_efficiency", "forecast"}
    won = cube.funnel[cube.funnel["step"] == "won"].groupby("level")["reached"].sum()
    assert won["region"] == won["company"] == won["team"] == won["rep"]  # every unit funnel ends with won
    deals = cube.deals
    assert len(deals) > 0 and deals.groupby("rep_id").size().max() <= 10
    assert set(deals["stage"]) <= set(ds.stages.open_stages) and (deals["days_in_stage"] >= 0).all()
    assert set(deals["rep_id"]) <= set(cube.org["rep_id"]) and cube.org["departed"].any()


def test_server_is_safe_by_default() -> None:
    check_options(ServerOptions())  # loopback without a token is fine
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3")
    with pytest.raises(ConfigError, match="without a token"):
        check_options(ServerOptions(host="0.0.0.0"))
    with pytest.raises(ConfigError, match="too weak"):
        check_options(ServerOptions(host="0.0.0.0", token="short"))
    check_options(ServerOptions(host="0.0.0.0", token="Zq3-mX8rT1vL0pK7wY2nB5cJ9hF4dG6s"))
    argv = voila_argv(ServerOptions(pool=3, cull_idle=120))
    joined = " ".join(argv)
    assert "--strip_sources=True" in argv and "--template=salesops" in argv and "--Voila.ip=127.0.0.1" in argv
    assert "--pool_size=3" in joined and "cull_idle_timeout=120" in joined and "--preheat_kernel=True" in argv
    assert "max_kernels=8" in joined and "cull_unconnected=60" in joined
    assert "--preheat_kernel=True" not in voila_argv(ServerOptions(pool=0))
    assert url(ServerOptions(token="Zq3-mX8rT1vL0pK7wY2nB5cJ9hF4dG6s")) == "http://127.0.0.1:8866/"  # never the token


@pytest.mark.slow
def test_cli_refuses_an_exposed_host_without_a_token() -> None:
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "salesops_lib.cli", "dashboard", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and "without a token" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_outside_voila(tmp_path, small_demo_cube) -> None:  # type: ignore[no-untyped-def]
    """What an analyst gets in JupyterLab: the notebook finds the period's stored cube (built by
    the fixture, not again) and shows the widgets."""
    import papermill as pm

    from salesops_lib.config import project_root
    from salesops_lib.dashboard.server import NOTEBOOK

    out = tmp_path / "leadership.ipynb"
    pm.execute_notebook(
        str(project_root() / "notebooks" / NOTEBOOK),
        str(out),
        kernel_name="salesops",
        parameters={"source": f"demo:small:{AS_OF}", "period": PERIOD, "lang": "en"},
        progress_bar=False,
    )
    import nbformat

    outputs = [o for c in nbformat.read(out, 4).cells if c.cell_type == "code" for o in c.get("outputs", [])]
    kinds = {k for o in outputs for k in o.get("data", {})}
    assert "application/vnd.jupyter.widget-view+json" in kinds
    assert any("Sales leadership dashboard" in o.get("data", {}).get("text/html", "") for o in outputs)
    assert not any("building dashboard data" in o.get("text", "") for o in outputs)  # loaded, not rebuilt


# ------------------------------------------------------------------ issue 21: drill state, names, deals, charts


def test_drill_clears_the_levels_below_and_resolve_never_goes_deeper_than_the_filters() -> None:
    deep = Scope("north", "n-1", "r1")
    assert deep.drill("team", "") == Scope("north")  # drilling up from a rep: the team's "all" clears the rep
    assert deep.drill("region", "") == Scope()
    assert deep.drill("region", "south") == Scope("south")
    assert Scope("north").drill("team", "n-2") == Scope("north", "n-2")
    assert resolve(ORG, "north", "", "r1") == Scope("north")  # a rep under "all teams" is no scope
    assert deep.path() == [("company", "company"), ("region", "north"), ("team", "n-1"), ("rep", "r1")]
    with pytest.raises(ValueError, match="drill level"):
        deep.drill("company", "")


def test_drilling_up_from_a_rep_shows_what_the_filters_say(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Regression: choosing 全部 as team while a rep was shown left the page on that rep."""
    from salesops_lib.dashboard.app import CubeStore, LeadershipDashboard

    save_cube(hand_cube(), tmp_path)
    dash = LeadershipDashboard(CubeStore(tmp_path), "2026-10", "zh")
    dash.region.value = "north"
    dash.team.value = "n-1"
    dash.rep.value = "r2"
    assert dash.crumb_text() == "全部 › 华北 › n-1 › 乙" and "data-scope='rep:r2'" in dash.page.value
    dash.team.value = ""  # up: all teams of north
    assert dash.scope == Scope("north") and dash.rep.value == "" and dash.rep.options == (("全部", ""),)
    assert "data-scope='region:north'" in dash.page.value and dash.crumb_text() == "全部 › 华北"
    dash.team.value = "n-1"
    dash.rep.value = "r1"
    dash.crumbs[0].click()  # the breadcrumb 全部: back to the company, every filter on all
    assert dash.scope == Scope() and (dash.region.value, dash.team.value, dash.rep.value) == ("", "", "")
    assert "data-scope='company:company'" in dash.page.value and dash.crumb_text() == "全部"
    dash.select(region="north", team="n-1", rep="r1")
    dash.crumbs[1].click()  # 华北
    assert dash.scope == Scope("north") and dash.team.value == "" and "data-scope='region:north'" in dash.page.value


def test_names_for_codes_go_through_one_lookup() -> None:
    """The dashboard names codes as the pages do (report.names): the data's names, the shared
    vocabulary; no guessing of a team's name from its code."""
    from salesops_lib.dashboard.labels import display_name, display_words

    cube = replace(
        hand_cube(),
        org=ORG.assign(
            team_name=["北一组", "北一组", None, None], region_name="华北", departed=[False, True, False, False]
        ),
    )
    names = cube.names
    assert (
        display_name("region", "north", "zh", names) == "华北" and display_name("team", "n-1", "zh", names) == "北一组"
    )
    assert display_name("team", "southwest-05", "zh", names) == "southwest-05"  # no name in the data: the code
    assert display_name("rep", "r2", "zh", names) == "乙（已离职）" and display_name("rep", "r1", "en", names) == "甲"
    assert (
        display_name("stage", "negotiation", "zh") == "谈判" and display_name("campaign_type", "expo", "zh") == "展会"
    )
    assert {"北一组", "华北", "谈判", "展会"} <= set(display_words(names))
    page = __import__("salesops_lib.dashboard.app", fromlist=["render_page"]).render_page(hand_cube(), Scope(), "zh")
    assert "华北" in page and ">north<" not in page and "展会" in page and ">expo<" not in page


@pytest.mark.slow
def test_the_dashboard_names_units_as_the_pages_do(small_demo_cube: DashboardCube) -> None:
    """Issue 21: the dashboard guessed team names from codes (north-02 → 华北2组) while the pages
    name them from the data (华北二组); both now go through report.names on the same data."""
    from salesops_lib.core.periods import period_bounds
    from salesops_lib.dashboard.labels import display_name
    from salesops_lib.data import connect
    from salesops_lib.report.names import Names, display

    cube = small_demo_cube
    pages = Names.of(connect(f"demo:small:{AS_OF}"), period_bounds(PERIOD)[1])
    org = cube.org
    for kind, column in (("region", "region"), ("team", "team"), ("rep", "rep_id")):
        for code in org[column].unique():
            for lang in ("zh", "en"):
                assert display_name(kind, code, lang, cube.names) == display(kind, code, lang, pages), (kind, code)
    team = org["team"].iloc[0]
    assert display_name("team", team, "zh", cube.names) != team and org["team_name"].notna().all()
    assert any("（已离职）" in display_name("rep", rep, "zh", cube.names) for rep in org["rep_id"])
    texts = " ".join(texts["zh"] for texts in cube.finding_texts.values())
    assert texts and not any(f"{code}" in texts for code in org["region"].unique())  # findings name their regions


def test_unit_funnels_end_with_the_won_row() -> None:
    """The segment comparison stops at the last conversion: the cube adds each unit's won step."""
    from types import SimpleNamespace

    from salesops_lib.dashboard.build import _funnel

    company = pd.DataFrame({"step": ["lead", "proposal", "won"], "k": [0, 1, 2], "reached": [100.0, 50.0, 20.0]})
    segments = pd.DataFrame(
        {
            "dimension": ["region", "region", "rep", "rep", "channel"],
            "segment": ["north", "north", "r1", "r1", "web"],
            "step": ["lead", "proposal", "lead", "proposal", "proposal"],
            "k": [0, 1, 0, 1, 1],
            "reached": [60.0, 30.0, 10.0, 5.0, 9.0],
            "advanced": [30.0, 15.0, 5.0, 2.0, 4.0],
        }
    )
    frame = _funnel(SimpleNamespace(funnel=company, segments=segments))  # type: ignore[arg-type]
    north = frame[(frame["level"] == "region") & (frame["unit"] == "north")]
    assert north["step"].tolist() == ["lead", "proposal", "won"] and north["reached"].tolist() == [60.0, 30.0, 15.0]
    rep = frame[frame["unit"] == "r1"]
    assert rep["step"].iloc[-1] == "won" and rep["reached"].iloc[-1] == 2.0
    assert "web" not in set(frame["unit"])
    shown = views.funnel(replace(hand_cube(), funnel=frame), Scope("north"))
    assert shown["step"].iloc[-1] == "won" and shown["conversion"].iloc[-1] == pytest.approx(0.5)


def _deals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rep_id": ["r1", "r1", "r1", "r2"],
            "opp_id": ["o1", "o2", "o3", "o4"],
            "customer": ["<i>甲公司</i>", "乙公司", "丙公司", "丁公司"],
            "amount": [10.0, 300.0, 20.0, 99.0],
            "stage": ["proposal", "negotiation", "lead", "lead"],
            "expected_close": ["2026-11-20", "2026-12-01", "", "2026-11-02"],
            "days_in_stage": [12, 40, 3, 1],
        }
    )


def test_a_reps_open_deals_are_listed_at_rep_scope_only() -> None:
    from salesops_lib.dashboard import panels

    cube = replace(hand_cube(), deals=_deals())
    listed = views.deals(cube, Scope("north", "n-1", "r1"))
    assert listed["opp_id"].tolist() == ["o2", "o3", "o1"]  # largest first
    assert views.deals(cube, Scope("north", "n-1", "r1"), limit=2)["opp_id"].tolist() == ["o2", "o3"]
    assert views.deals(cube, Scope("north", "n-1")).empty and panels.deals(cube, Scope("north"), "zh") == ""
    html = panels.deals(cube, Scope("north", "n-1", "r1"), "zh")
    assert "谈判" in html and "2026-12-01" in html and "&lt;i&gt;甲公司" in html and "<i>" not in html
    assert "class='so-scroll'" in html  # scrolls inside its container on a phone
    assert "没有在手商机" in panels.deals(cube, Scope("south", "s-1", "r4"), "zh")


def test_bridge_steps_add_up_from_target_to_actual() -> None:
    cube = hand_cube()
    steps = views.bridge(cube, Scope("north"))
    assert steps["item"].tolist()[0] == "target" and steps["item"].tolist()[-1] == "actual"
    assert steps["value"].iloc[0] == pytest.approx(77.0) and steps["value"].iloc[-1] == pytest.approx(70.0)
    inner = steps[steps["kind"] != "total"]
    assert inner["value"].sum() == pytest.approx(70.0 - 77.0)
    assert set(inner["item"]) == {"n-1", "n-2"}
    few = views.bridge(cube, Scope(), most=1)  # the smaller region's gap goes into "other"
    assert few["item"].tolist() == ["target", "north", "other", "actual"] and few.iloc[2]["units"] == 1
    assert views.bridge(cube, Scope("north", "n-1", "r1")).empty
    bars = views.target_vs_actual(cube, Scope())
    assert bars.set_index("unit").loc["south", "target"] == pytest.approx(33.0)


def test_charts_sit_beside_the_tables() -> None:
    from salesops_lib.dashboard.app import render_page

    page = render_page(hand_cube(), Scope("north"), "zh")
    assert "data-plot='bars'" in page and "data-plot='bridge'" in page
    assert page.count("<div class='so-scroll'>") >= 3


def test_the_latest_period_is_served_before_the_others_are_built(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Order and state, not speed: after the first step only the latest cube exists and the dashboard
    serves it, offering the others with an ETA; the background step then adds them."""
    from salesops_lib.dashboard.app import CubeStore, LeadershipDashboard
    from salesops_lib.dashboard.background import build_latest, build_pending, pending
    from salesops_lib.dashboard.cube import available_periods

    built: list[str] = []

    def build(period: str) -> DashboardCube:
        built.append(period)
        return replace(hand_cube(), period=period)

    periods = ["2026-10", "2026-09", "2026-08"]
    later = build_latest(tmp_path, periods, build)
    assert built == ["2026-10"] and later == ["2026-09", "2026-08"]
    assert available_periods(tmp_path) == ["2026-10"] and list(pending(tmp_path)) == ["2026-09", "2026-08"]
    dash = LeadershipDashboard(CubeStore(tmp_path), "2026-10", "zh")
    labels = {v: k for k, v in dash.period.options}
    assert labels["2026-10"] == "2026-10" and "生成中" in labels["2026-09"] and "分钟" in labels["2026-08"]
    dash.period.value = "2026-09"  # not ready: the page stays on the latest and says when
    assert dash.cube.period == "2026-10" and dash.period.value == "2026-10" and "2026-09" in dash.notice.value

    assert build_pending(tmp_path, build) == ["2026-09", "2026-08"]
    assert built == periods and available_periods(tmp_path) == periods and pending(tmp_path) == {}
    dash.refresh()
    assert [v for _, v in dash.period.options] == periods and all(k == v for k, v in dash.period.options)
    dash.period.value = "2026-08"
    assert dash.cube.period == "2026-08" and dash.notice.value == ""
    assert build_latest(tmp_path, periods, build) == [] and built == periods  # all stored: nothing rebuilt
