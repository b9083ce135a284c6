"""Sources, encodings, mapping and conform on small hand-made exports (positive paths)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from salesops_lib.data import connect, parse_mapping
from salesops_lib.data.encoding import utf8_path
from salesops_lib.data.validation import validate
from salesops_lib.errors import SourceError

REPS_CSV = "工号,姓名,团队,大区\nR1,张伟,华东一组,华东\nR2,李娜,华南一组,华南\n"
REPS_MAPPING = {
    "tables": {
        "reps": {"from": "reps.csv", "columns": {"rep_id": "工号", "name": "姓名", "team": "团队", "region": "大区"}}
    }
}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_chinese_exports_in_every_common_encoding(tmp_path: Path, encoding: str) -> None:
    (tmp_path / "reps.csv").write_bytes(REPS_CSV.encode(encoding))
    ds = connect(tmp_path, parse_mapping(REPS_MAPPING))
    frame = ds.table("reps").order_by("rep_id").execute()
    assert frame["name"].tolist() == ["张伟", "李娜"]
    assert frame["region"].tolist() == ["华东", "华南"]


def test_gbk_declared_as_utf8_names_file_line_and_fix(tmp_path: Path) -> None:
    (tmp_path / "reps.csv").write_bytes(REPS_CSV.encode("gbk"))
    mapping = parse_mapping({**REPS_MAPPING, "encoding": "utf-8"})
    with pytest.raises(SourceError) as info:
        connect(tmp_path, mapping)
    text = info.value.render()
    assert "reps.csv" in text and "not valid UTF-8" in text and "line 1" in text and "encoding: gbk" in text


def test_transcoding_is_cached_and_streams(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESOPS_CACHE", str(tmp_path / "cache"))
    big = tmp_path / "big.csv"
    big.write_bytes(("a,b\n" + "中文,1\n" * 300_000).encode("gbk"))  # > 1 chunk
    first = utf8_path(big, "auto")
    assert first != big and first.read_text(encoding="utf-8").count("中文") == 300_000
    assert utf8_path(big, "auto") == first


def test_values_constants_expressions_filters_and_formats(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text(
        "id,owner,stage,value,opened,closed\n"
        'D1,R1,赢单,"1,234.50",2024/01/05,2024年2月1日\n'
        "D2,R1,输单,¥300,2024-01-06,2024-02-03\n"
        "D3,R2,跟进中,,20240107,\n"
        "D4,R2,作废,5,2024-01-08,\n",
        encoding="utf-8",
    )
    (tmp_path / "reps.csv").write_bytes(REPS_CSV.encode("gbk"))
    mapping = parse_mapping(
        {
            **REPS_MAPPING,
            "tables": {
                **REPS_MAPPING["tables"],
                "opportunities": {
                    "from": "deals.csv",
                    "where": "stage <> '作废'",
                    "columns": {
                        "opp_id": "id",
                        "rep_id": "owner",
                        "amount": "value",
                        "status": {"from": "stage", "values": {"赢单": "won", "输单": "lost", "跟进中": "open"}},
                        "created_at": "opened",
                        "closed_at": "closed",
                        "product": {"const": "widget"},
                        "lost_reason": {"expr": "CASE WHEN stage = '输单' THEN 'price' END"},
                    },
                },
            },
        }
    )
    ds = connect(tmp_path, mapping)
    frame = ds.table("opportunities").order_by("opp_id").execute()
    assert frame["opp_id"].tolist() == ["D1", "D2", "D3"]
    assert frame["status"].tolist() == ["won", "lost", "open"]
    assert frame["amount"].tolist()[:2] == [1234.5, 300.0] and pd.isna(frame["amount"].iloc[2])
    assert [x.date() if hasattr(x, "date") else x for x in frame["created_at"]] == [
        dt.date(2024, 1, 5),
        dt.date(2024, 1, 6),
        dt.date(2024, 1, 7),
    ]
    assert pd.Timestamp(frame["closed_at"].iloc[0]).date() == dt.date(2024, 2, 1)
    assert frame["product"].unique().tolist() == ["widget"]
    assert frame["lost_reason"].tolist()[1] == "price"
    report = validate(ds)
    assert report.ok, [i.message for i in report.errors]


@pytest.mark.slow
def test_canonical_views_have_the_expressions_types(tmp_path: Path, maven) -> None:  # type: ignore[no-untyped-def]
    """On DuckDB each canonical table is read through a temporary view whose types are taken from
    its expression; what DuckDB itself says of the view must be the same."""
    from salesops_lib.data.sources import staged_view_name

    mapped = tmp_path / "mapped"
    mapped.mkdir()
    (mapped / "reps.csv").write_text("id,team,region\nR1,T,north\n", encoding="utf-8")
    (mapped / "deals.csv").write_text(
        'id,rep,stage,value,opened,closed\nD1,R1,Won,"1,234.50",2024/01/05,\nD2,R1,Lost,x,2024/01/06,2024/02/01\n',
        encoding="utf-8",
    )
    mapping = parse_mapping(
        {
            "name": "t",
            "tables": {
                "reps": {"from": "reps.csv", "columns": {"rep_id": "id", "team": "team", "region": "region"}},
                "opportunities": {
                    "from": "deals.csv",
                    "columns": {
                        "opp_id": "id",
                        "rep_id": "rep",
                        "status": {"from": "stage", "values": {"Won": "won", "Lost": "lost"}},
                        "amount": "value",
                        "created_at": "opened",
                        "closed_at": "closed",
                    },
                },
            },
        }
    )
    for ds in (connect("demo:small:2025-06-30"), maven, connect(mapped, mapping)):
        for name, conformed in ds.tables.items():
            actual = ds.backend.table(staged_view_name(name), database="temp").schema()
            assert actual == conformed.staged.schema(), (ds.source, name)


def test_fingerprint_without_opening_equals_the_connections(tmp_path: Path, maven_folder: Path) -> None:
    from salesops_lib.data.sources import source_fingerprint
    from tests.conftest import MAVEN_MAPPING

    (tmp_path / "reps.csv").write_text("rep_id,team,region\nR1,T,north\n", encoding="utf-8")
    for source, mapping in ((maven_folder, MAVEN_MAPPING), ("demo:small:2025-06-30", None), (tmp_path, None)):
        assert source_fingerprint(source, mapping) == connect(source, mapping).fingerprint, source
    before = source_fingerprint(tmp_path)
    (tmp_path / "reps.csv").write_text("rep_id,team,region\nR1,T,south\n", encoding="utf-8")
    assert source_fingerprint(tmp_path) != before


def test_unmapped_values_can_become_null(tmp_path: Path) -> None:
    (tmp_path / "reps.csv").write_text("id,team,region\nR1,T,north\nR2,T,North \n", encoding="utf-8")
    mapping = parse_mapping(
        {
            "tables": {
                "reps": {
                    "from": "reps.csv",
                    "columns": {
                        "rep_id": "id",
                        "team": "team",
                        "region": {"from": "region", "values": {"north": "N", "North": "N"}, "unmapped": "null"},
                    },
                }
            }
        }
    )
    assert connect(tmp_path, mapping).table("reps").region.execute().tolist() == ["N", "N"]


def test_excel_and_parquet_exports(tmp_path: Path) -> None:
    reps = pd.DataFrame(
        {"rep_id": ["R1"], "team": ["T1"], "region": ["north"], "hire_date": [pd.Timestamp("2023-03-01")]}
    )
    reps.to_excel(tmp_path / "reps.xlsx", index=False)
    customers = pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["甲公司", "乙公司"]})
    customers.to_parquet(tmp_path / "customers.parquet")
    ds = connect(tmp_path)  # canonical file and column names: no mapping needed
    assert ds.table("reps").hire_date.execute().iloc[0] == pd.Timestamp("2023-03-01")
    assert ds.table("customers").name.execute().tolist() == ["甲公司", "乙公司"]
    assert "opportunities" in ds.missing


def test_duckdb_file_source_with_canonical_tables(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE reps AS SELECT 'R1' AS rep_id, 'T1' AS team, 'north' AS region, DATE '2020-01-01' AS hire_date"
    )
    con.execute("CREATE TABLE other_stuff AS SELECT 1 AS x")
    con.close()
    ds = connect(path)
    assert list(ds.tables) == ["reps"]
    assert ds.table("reps").schema()["hire_date"].is_date()
    assert ds.table("reps").exit_date.execute().isna().all()  # optional column filled with nulls


def test_fingerprint_changes_with_the_data(tmp_path: Path) -> None:
    (tmp_path / "reps.csv").write_text("rep_id,team,region\nR1,T,N\n", encoding="utf-8")
    first = connect(tmp_path).fingerprint
    (tmp_path / "reps.csv").write_text("rep_id,team,region\nR1,T,N\nR2,T,N\n", encoding="utf-8")
    assert connect(tmp_path).fingerprint != first


def test_url_password_is_refused_and_redacted() -> None:
    with pytest.raises(SourceError) as info:
        connect("postgres://me:hunter2@127.0.0.1:1/db")
    assert "hunter2" not in info.value.render() and "SALESOPS_DB_PASSWORD" in info.value.render()


@pytest.mark.parametrize("kind", ["folder", "duckdb"])
def test_no_progress_widget_reaches_a_page(kind: str, maven_folder: Path, tmp_path: Path) -> None:
    """DuckDB draws a progress widget in notebooks for slow queries; a page must not depend on load."""
    if kind == "folder":
        from tests.conftest import MAVEN_MAPPING

        ds = connect(maven_folder, MAVEN_MAPPING)
    else:
        path = tmp_path / "t.duckdb"
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE reps AS SELECT 'r1' AS rep_id, 't1' AS team, 'east' AS region")
        ds = connect(path)
    con = ds.backend.con  # type: ignore[attr-defined]
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0] is False
