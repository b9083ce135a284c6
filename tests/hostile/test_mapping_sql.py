"""Hostile mappings (issue 16): the SQL in `expr:`/`where:` must not reach files, URLs or the environment.

Two layers are checked: the mapping's SQL is parsed and allow-listed (``sql_guard``), and the
DuckDB connections of the data layer cannot open other files, fetch extensions or change their
settings even if some SQL slipped through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from salesops_lib.data import connect, load_mapping
from salesops_lib.data.mapping import ColumnRule, Mapping, TableMapping
from salesops_lib.data.sql_guard import FUNCTIONS, checked_sql
from salesops_lib.errors import MappingError, SalesOpsError, SourceError
from tests.conftest import MAVEN_MAPPING, ROOT
from tests.test_bad_inputs import CORPUS, run_in_process

REPS_CSV = "sales_agent,manager,regional_office\nAnna,Dustin,Central\nCecily,Dustin,East\n"

HOSTILE = {
    "read_csv": ("read_csv('/etc/passwd')", "read_csv"),
    "glob": ("glob('/*')", "glob"),
    "read_text_url": ("read_text('http://127.0.0.1:9/x')", "read_text"),
    "getenv": ("getenv('HOME')", "getenv"),
    "subquery": ("(SELECT 1)", "query (SELECT"),
    "two_statements": ("1; DROP TABLE x", "more than one SQL statement"),
    "schema_qualified": ("main.read_csv('/etc/passwd')", "read_csv"),
    "quoted_name": ("\"read_csv\"('/etc/passwd')", "read_csv"),
    "subquery_in_list": ("regional_office IN (SELECT * FROM read_csv('/etc/passwd'))", "query (SELECT"),
    "from_first": ("(FROM read_csv('/etc/passwd'))", "query (SELECT"),
    "current_setting": ("current_setting('allowed_paths')", "current_setting"),
    "table_qualified": ("t.regional_office", "refers to `t.regional_office`"),
    "star": ("*", "`*`"),
    "aggregate": ("string_agg(regional_office, ',')", "string_agg"),
    "nested": ("upper(coalesce(regional_office, read_text('/etc/hostname')))", "read_text"),
}


def _folder(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "sales_teams.csv").write_text(REPS_CSV, encoding="utf-8")
    return tmp_path


def _reps(region: Any = "regional_office", where: str | None = None) -> dict[str, Any]:
    table: dict[str, Any] = {
        "from": "sales_teams.csv",
        "columns": {"rep_id": "sales_agent", "team": "manager", "region": region},
    }
    if where is not None:
        table["where"] = where
    return {"name": "hostile", "tables": {"reps": table}}


def _write(tmp_path: Path, mapping: dict[str, Any]) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("expr", "named"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_expr_is_refused_naming_file_table_column_and_function(tmp_path: Path, expr: str, named: str) -> None:
    path = _write(tmp_path, _reps({"expr": expr}))
    with pytest.raises(MappingError) as info:
        connect(_folder(tmp_path), path)
    error = info.value
    assert error.column == "region"
    assert str(path) in (error.where or "") and "tables.reps.columns.region" in (error.where or "")
    assert "reps.region" in error.message and named in error.message
    assert error.fix
    assert "/etc/passwd\n" not in error.render() and "root:" not in error.render()


@pytest.mark.parametrize(("expr", "named"), list(HOSTILE.values())[:6], ids=list(HOSTILE)[:6])
def test_hostile_where_filter_is_refused(tmp_path: Path, expr: str, named: str) -> None:
    path = _write(tmp_path, _reps(where=f"regional_office = {expr}" if "SELECT" not in expr else expr))
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    assert "`where:` filter for table 'reps'" in info.value.message
    assert "tables.reps.where" in (info.value.where or "")


def test_refusal_lists_the_allowed_functions(tmp_path: Path) -> None:
    path = _write(tmp_path, _reps({"expr": "read_csv('/etc/passwd')"}))
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    fix = info.value.fix or ""
    assert all(name in fix for name in ("lower", "coalesce", "try_strptime", "regexp_replace", "CASE", "TRY_CAST"))


def test_union_part_location_is_named(tmp_path: Path) -> None:
    part = _reps()["tables"]["reps"]
    hostile = {**part, "columns": {**part["columns"], "region": {"expr": "glob('/*')"}}}
    mapping = {"tables": {"reps": {"union": [part, hostile]}}}
    with pytest.raises(MappingError) as info:
        load_mapping(_write(tmp_path, mapping))
    assert "tables.reps.union.1.columns.region" in (info.value.where or "")


def test_conform_checks_again_when_the_mapping_was_not_validated(tmp_path: Path) -> None:
    """Defence in depth: a Mapping built without validation still cannot run hostile SQL."""
    table = TableMapping.model_construct(
        source="sales_teams.csv",
        encoding=None,
        sheet=None,
        delimiter=None,
        where=None,
        union=None,
        columns={"rep_id": "sales_agent", "team": "manager", "region": ColumnRule(expr="read_csv('/etc/passwd')")},
    )
    plan = Mapping.model_construct(
        name="raw", description="", encoding="auto", stages=None, tables={"reps": table}, absent={}, origin="raw.yaml"
    )
    with pytest.raises(MappingError) as info:
        connect(_folder(tmp_path), plan)
    assert info.value.column == "region" and "read_csv" in info.value.message


def test_cli_prints_the_refusal_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _reps({"expr": "read_csv('/etc/passwd')"}))
    code, output = run_in_process(
        ["validate", "--source", str(_folder(tmp_path)), "--mapping", str(path)], monkeypatch, capsys
    )
    assert code == 2 and "Traceback" not in output
    assert "calls `read_csv`" in output and "column: region" in output and str(path) in output


# --- the engine itself: no other files, no extension downloads, settings locked ---------------


def _sql_fails(ds: Any, sql: str) -> str:
    with pytest.raises(duckdb.Error) as info:
        ds.backend.con.execute(sql).fetchall()
    return str(info.value)


def test_folder_connection_reads_only_its_export_files(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "src")
    (tmp_path / "other.csv").write_text("secret\n42\n", encoding="utf-8")
    ds = connect(folder, load_mapping(_write(tmp_path, _reps())))
    assert sorted(ds.table("reps").region.execute()) == ["Central", "East"]  # the lazy view still reads its file
    assert "Permission" in _sql_fails(ds, "SELECT * FROM read_csv('/etc/passwd')")
    assert "Permission" in _sql_fails(ds, f"SELECT * FROM read_csv('{tmp_path / 'other.csv'}')")
    assert "Permission" in _sql_fails(ds, "SELECT * FROM glob('/*')")
    _sql_fails(ds, "SELECT * FROM read_text('http://127.0.0.1:9/x')")  # no httpfs download either
    assert "locked" in _sql_fails(ds, "SET enable_external_access = true")
    assert "locked" in _sql_fails(ds, "SET autoinstall_known_extensions = true")
    settings = dict(
        ds.backend.con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('autoinstall_known_extensions', 'autoload_known_extensions', 'enable_external_access', 'lock_configuration')"
        ).fetchall()
    )
    assert settings == {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "enable_external_access": "false",
        "lock_configuration": "true",
    }


def test_gbk_transcode_and_excel_still_read_after_sealing(tmp_path: Path) -> None:
    import pandas as pd

    (tmp_path / "sales_teams.csv").write_bytes("sales_agent,manager,regional_office\n张伟,王芳,华东\n".encode("gbk"))
    pd.DataFrame({"customer_id": ["C1"], "name": ["甲"]}).to_excel(tmp_path / "customers.xlsx", index=False)
    mapping = _reps()
    customers = {"customer_id": "customer_id", "name": "name"}
    mapping["tables"]["customers"] = {"from": "customers.xlsx", "columns": customers}
    ds = connect(tmp_path, load_mapping(_write(tmp_path, mapping)))
    assert ds.table("reps").region.execute().tolist() == ["华东"]
    assert ds.table("customers").name.execute().tolist() == ["甲"]


def test_duckdb_file_source_is_sealed_and_shareable(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE reps AS SELECT 'R1' AS rep_id, 'T1' AS team, 'north' AS region")
    first = connect(path)
    second = connect(path)  # a second dataset on the same file in the same process
    with duckdb.connect(str(path), read_only=True) as plain:  # e.g. the demo truth reader
        assert plain.execute("SELECT count(*) FROM reps").fetchone() == (1,)
    assert first.table("reps").count().execute() == 1 and second.table("reps").count().execute() == 1
    assert "Permission" in _sql_fails(first, "SELECT * FROM read_csv('/etc/passwd')")
    assert "locked" in _sql_fails(first, "SET enable_external_access = true")
    assert "read-only" in _sql_fails(first, "CREATE TABLE x AS SELECT 1")


def test_duckdb_file_with_views_keeps_file_access_but_is_locked(tmp_path: Path) -> None:
    (tmp_path / "reps.csv").write_text("rep_id,team,region\nR1,T1,north\n", encoding="utf-8")
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE VIEW reps AS SELECT * FROM read_csv('{tmp_path / 'reps.csv'}')")
    ds = connect(path)
    assert ds.table("reps").region.execute().tolist() == ["north"]
    assert "locked" in _sql_fails(ds, "SET autoload_known_extensions = true")


def test_mapping_cannot_name_a_file_outside_the_folder(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "src")
    for name in ("/etc/passwd", "../mapping.yaml", "sub/../../mapping.yaml"):
        mapping = _reps()
        mapping["tables"]["reps"]["from"] = name
        with pytest.raises(SourceError) as info:
            connect(folder, load_mapping(_write(tmp_path, mapping)))
        assert "outside the source folder" in info.value.message


# --- negative controls: legitimate SQL keeps working ------------------------------------------


def _mapping_sql(node: Any) -> list[tuple[str, str]]:
    """Every (kind, text) of `expr:` and `where:` in a parsed mapping file."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "where") and isinstance(value, str):
                found.append((key, value))
            else:
                found += _mapping_sql(value)
    elif isinstance(node, list):
        for item in node:
            found += _mapping_sql(item)
    return found


MAPPING_FILES = sorted([*(ROOT / "parameters" / "sources").glob("*.yaml"), *CORPUS.glob("*/mapping.yaml")])


def test_every_expression_of_the_bundled_mappings_and_the_corpus_passes() -> None:
    seen = 0
    for file in MAPPING_FILES:
        try:
            raw = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError):
            continue  # the corpus' not-UTF-8 and invalid-YAML cases
        for kind, text in _mapping_sql(raw):
            checked_sql(text, kind=kind, table="t", column="c", where=str(file))  # type: ignore[arg-type]
            seen += 1
    assert seen >= 15


def test_bundled_mappings_load() -> None:
    for file in (ROOT / "parameters" / "sources").glob("*.yaml"):
        load_mapping(file)


def test_maven_mapping_runs_its_case_and_filters(maven_folder: Path) -> None:
    ds = connect(maven_folder, MAVEN_MAPPING)
    segments = set(ds.table("customers").segment.execute().dropna())
    assert segments <= {"enterprise", "mid-market", "smb"} and segments
    stages = set(ds.table("stage_history").stage.execute())
    assert stages == {"Engaging", "Won", "Lost"}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_every_allowed_function_runs_on_duckdb(name: str) -> None:
    sql = checked_sql(FUNCTIONS[name], kind="expr", table="t", column="c", where="test")
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE s AS SELECT 'Ab c' AS name, 'a' AS first_name, 'b' AS last_name, 'r' AS region, 't' AS team,"
        " 'CN123' AS code, '+86 123' AS phone, '1234.5' AS amount, '2024-01-05' AS opened, '2024-02-01' AS closed,"
        " 'x/y' AS owner"
    )
    if name in ("strptime", "try_strptime"):
        con.execute("UPDATE s SET opened = '05/01/2024'")
    con.execute(f"SELECT {sql} FROM s").fetchall()


def test_comments_do_not_reach_the_engine() -> None:
    assert (
        checked_sql("upper(x) -- */ read_csv('/etc/passwd')", kind="expr", table="t", column="c", where="w")
        == "UPPER(x)"
    )


def test_a_typo_still_reports_the_engine_message(tmp_path: Path) -> None:
    path = _write(tmp_path, _reps({"expr": "TRY_CAST(regional_office AS DOUBL)"}))
    with pytest.raises(SalesOpsError) as info:
        connect(_folder(tmp_path), path)
    assert "does not compile" in info.value.message and "DOUBL" in info.value.message
