"""The display-name layer (report/names.py): names from the data's name columns, the fixed
vocabularies, departed reps marked, unknown codes passed through, and findings worded by name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from salesops_lib.analyses.findings import Finding
from salesops_lib.data.roster import with_derived_roster
from salesops_lib.report import names as names_module
from salesops_lib.report.findings_text import finding_text
from salesops_lib.report.i18n import catalogue_at
from salesops_lib.report.names import (
    LookedUpNames,
    Names,
    any_name,
    display,
    named,
    names_list,
    run_names,
    unit_name,
    use_names,
    vocabulary,
)
from tests.builders import dataset_from_frames, reps_frame

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def installed() -> Iterator[None]:
    """Restore the process's names after a test installs some."""
    before = run_names()
    yield
    use_names(before)


def _roster(tmp_path: Path) -> Names:
    reps = reps_frame(
        [("R1", "north-01", "north"), ("R2", "north-01", "north"), ("R3", "east-01", "east")],
        exit={"R2": "2025-05-31", "R3": "2025-08-31"},
    ).assign(
        name=["张三", "李四", "王五"],
        team_name=["华北一组", "华北一组", None],
        region_name=["华北", "华北", "华东"],
    )
    customers = pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["东方机械", None]})
    data = dataset_from_frames(tmp_path, {"reps": reps, "customers": customers})
    return Names.of(data, AS_OF)


def test_names_come_from_the_canonical_name_columns(tmp_path: Path) -> None:
    names = _roster(tmp_path)
    assert display("region", "north", "zh", names) == "华北"
    assert display("team", "north-01", "en", names) == "华北一组"
    assert display("rep", "R1", "zh", names) == "张三"
    assert display("customer", "C1", "zh", names) == "东方机械"
    # no name in the data: the code itself
    assert display("team", "east-01", "zh", names) == "east-01"
    assert display("customer", "C2", "zh", names) == "C2"


def test_names_of_a_large_table_are_looked_up_when_asked_with_the_same_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a million customers are not read whole into every kernel: past EAGER_NAMES rows a kind's
    # names are looked up in the engine per code (or per column, by named()), same answers
    eager = _roster(tmp_path)
    monkeypatch.setattr(names_module, "EAGER_NAMES", 0)
    lazy = _roster(tmp_path / "lazy")
    assert isinstance(lazy.names["customer"], LookedUpNames)
    assert not isinstance(eager.names["customer"], LookedUpNames)
    for kind, code in [("customer", "C1"), ("customer", "C2"), ("customer", "C9"), ("rep", "R2"), ("region", "north")]:
        assert display(kind, code, "zh", lazy) == display(kind, code, "zh", eager)
    frame = pd.DataFrame({"customer": ["C1", "C2", None, "C1"]})
    assert named(frame, {"customer": "customer"}, "zh", lazy).equals(
        named(frame, {"customer": "customer"}, "zh", eager)
    )
    assert dict(lazy.names["customer"]) == {"C1": "东方机械"}


def test_a_rep_who_left_by_the_period_end_is_marked(tmp_path: Path) -> None:
    names = _roster(tmp_path)
    assert display("rep", "R2", "zh", names) == "李四（已离职）"
    assert display("rep", "R2", "en", names) == "李四 (left)"
    assert display("rep", "R3", "zh", names) == "王五"  # leaves after the period: still on the team
    assert names.departed == frozenset({"R2"})


def test_vocabulary_words_and_unknown_codes_pass_through() -> None:
    assert display("stage", "follow-up", "zh", Names()) == "跟进"
    assert display("channel", "referral", "en", Names()) == "referral"
    assert display("campaign_type", "expo", "zh", Names()) == "展会"
    assert display("segment", "mid-market", "zh", Names()) == "中型企业"
    assert display("channel", "抖音直播", "zh", Names()) == "抖音直播"  # a real export's own word
    assert display("stage", "Closed Won", "zh", Names()) == "Closed Won"
    assert display("region", "unassigned", "zh", Names()) == "未分配"  # a derived roster's region
    assert display("region", None, "zh", Names()) == "未知"
    assert unit_name("company", "company", "en", Names()) == "Company"


def test_lists_and_frames_are_named(tmp_path: Path) -> None:
    names = _roster(tmp_path)
    assert names_list("R1, R2", "rep", "zh", names) == "张三、李四（已离职）"
    assert names_list("north, north-01", None, "en", names) == "华北, 华北一组"
    assert any_name("north-01", "zh", names=names) == "华北一组"
    use_names(names)
    try:
        frame = named(
            pd.DataFrame({"region": ["north", "x"], "stage": ["won", "lost"]}),
            {"region": "region", "stage": "stage"},
            "zh",
        )
    finally:
        use_names(Names())
    assert frame.values.tolist() == [["华北", "赢单"], ["x", "流失"]]


def test_findings_name_their_unit_and_coded_facts(tmp_path: Path, installed: None) -> None:
    use_names(_roster(tmp_path))
    team = Finding(
        "team_efficiency", "low_efficiency", "high", "team", "north-01", "revenue_per_fte", 1.0, 2.0, "2025-06"
    )
    assert "华北一组" in finding_text(team, "zh") and "north-01" not in finding_text(team, "zh")
    account = Finding(
        "forecast",
        "key_account_decline",
        "medium",
        "customer",
        "C1",
        "revenue",
        1.0,
        2.0,
        "2025-06",
        facts={"account": "东方机械", "owner": "R2", "cause_text": "x"},
    )
    text = finding_text(account, "zh")
    assert "李四（已离职）" in text and "R2" not in text


def test_a_derived_roster_has_no_names_to_give(tmp_path: Path) -> None:
    orders = pd.DataFrame(
        {
            "order_id": ["O1"],
            "customer_id": ["C1"],
            "rep_id": ["Alice"],
            "ordered_at": [dt.date(2025, 6, 1)],
            "amount": [10.0],
        }
    )
    data = with_derived_roster(dataset_from_frames(tmp_path, {"orders": orders}))
    names = Names.of(data, AS_OF)
    assert display("rep", "Alice", "zh", names) == "Alice"
    assert display("team", "unassigned", "zh", names) == "未分配"


def test_every_vocabulary_entry_has_both_languages() -> None:
    from importlib.resources import files

    words = catalogue_at(files("salesops_lib.report") / "vocabulary.yaml", "vocabulary").words
    assert words == vocabulary() and {"stage", "channel", "segment", "industry", "campaign_type"} <= set(words)
    for table in words.values():
        assert all(zh and en for zh, en in table.values())


def test_a_real_exports_own_names_pass_through(maven, installed: None) -> None:  # type: ignore[no-untyped-def]
    """Maven CRM: reps are named by their id (the agent's name), teams are managers, regions are
    offices, stages are its own: every name reaches the page as the export writes it."""
    from salesops_lib.analyses.kpi_overview import SPEC
    from salesops_lib.config.scope import RunScope
    from salesops_lib.report.kpi_overview import regions

    names = Names.of(maven, dt.date(2017, 12, 31))
    use_names(names)
    reps = maven.table("reps").execute()
    rep, team, region = reps.iloc[0][["rep_id", "team", "region"]]
    assert display("rep", rep, "zh") == rep
    assert display("team", team, "zh") == team
    assert display("region", region, "zh") == region
    for stage in maven.stages.open_stages:
        assert display("stage", stage, "zh") == stage
    scope = RunScope(source="maven", period="2017-12", lang="zh")
    result = SPEC.run(maven, scope)
    page = regions(result, "zh").html
    assert all(str(r) in page for r in reps["region"].dropna().unique())
