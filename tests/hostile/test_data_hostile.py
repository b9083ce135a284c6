"""Hostile data (issue 16): non-finite numbers, ambiguous number text, mixed encodings, lost rows.

Each test plants one thing a real export can carry and checks that validation (or reading)
says so — table or file, column, rows and fix — instead of letting it through silently.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import duckdb
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from salesops_lib.data import connect, parse_mapping
from salesops_lib.data.canonical import TABLES
from salesops_lib.data.encoding import utf8_path
from salesops_lib.data.validation import MAX_EXAMPLES, Issue, QualityReport, validate, validate_for_run
from salesops_lib.errors import DataValidationError, SourceError

HEADER = "id,owner,value,opened,stage\n"
DEALS = {
    "tables": {
        "opportunities": {
            "from": "deals.csv",
            "columns": {
                "opp_id": "id",
                "rep_id": "owner",
                "amount": "value",
                "created_at": "opened",
                "status": "stage",
            },
        }
    }
}
REPS = {
    "tables": {
        "reps": {"from": "reps.csv", "columns": {"rep_id": "工号", "name": "姓名", "team": "团队", "region": "大区"}}
    }
}


def _deals(folder: Path, values: list[str], mapping: dict[str, Any] = DEALS) -> QualityReport:
    rows = "".join(f'D{i},R1,"{v}",2024-01-0{i % 9 + 1},open\n' for i, v in enumerate(values, start=1))
    (folder / "deals.csv").write_text(HEADER + rows, encoding="utf-8")
    return validate(connect(folder, parse_mapping(mapping)))


def _only(report: QualityReport, rule: str) -> Issue:
    found = [i for i in report.issues if i.rule == rule]
    assert len(found) == 1, [i.describe() for i in report.issues]
    return found[0]


# --- 1. NaN and infinity -------------------------------------------------------------------


def test_non_finite_text_in_a_csv_amount_is_an_error_naming_file_rows_and_fix(tmp_path: Path) -> None:
    report = _deals(tmp_path, ["100", "NaN", "nan", "inf", "-Infinity", "1e400", ""])
    issue = _only(report, "non_finite")
    assert (issue.table, issue.column, issue.severity, issue.count) == ("opportunities", "amount", "error", 5)
    assert "deals.csv" in issue.message and "NaN or ±infinity" in issue.message
    assert [e["amount"] for e in issue.examples] == ["NaN", "nan", "inf", "-Infinity", "1e400"]
    assert issue.examples[0]["opp_id"] == "D2"
    assert "leave the cell empty" in issue.fix
    # -Infinity is reported once (not again as "below 0"); the empty cell is a missing value, not NaN
    assert [i.rule for i in report.errors] == ["non_finite"]


def test_an_empty_amount_is_missing_not_nan(tmp_path: Path) -> None:
    report = _deals(tmp_path, ["100", "", " "])
    assert report.ok and not [i for i in report.issues if i.column == "amount"], [i.describe() for i in report.issues]
    assert [p.nulls["amount"] for p in report.profiles] == [2]


def test_real_nan_and_infinity_in_parquet_are_errors(tmp_path: Path) -> None:
    table = pa.table(
        {
            "opp_id": ["D1", "D2", "D3", "D4"],
            "rep_id": ["R1"] * 4,
            "amount": pa.array([1.0, float("nan"), float("inf"), None], type=pa.float64()),  # NaN stays NaN
            "created_at": [dt.date(2024, 1, 1)] * 4,
            "status": ["won"] * 4,
        }
    )
    pq.write_table(table, tmp_path / "opportunities.parquet")
    issue = _only(validate(connect(tmp_path)), "non_finite")
    assert (issue.column, issue.count) == ("amount", 2)
    assert "opportunities.parquet" in issue.message
    assert [e["opp_id"] for e in issue.examples] == ["D2", "D3"]
    assert [e["amount"] for e in issue.examples] == ["nan", "inf"]


def test_real_nan_in_a_duckdb_table_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE campaigns AS SELECT * FROM (VALUES ('C1', DATE '2024-01-01', 100.0), "
        "('C2', DATE '2024-02-01', 'NaN'::DOUBLE), ('C3', DATE '2024-03-01', '-inf'::DOUBLE)) "
        "t(campaign_id, start_date, cost)"
    )
    con.close()
    report = validate(connect(path))
    issue = _only(report, "non_finite")
    assert (issue.table, issue.column, issue.count) == ("campaigns", "cost", 2)
    assert "campaigns" in issue.message and not [i for i in report.issues if i.rule == "range"]


FLOAT_COLUMNS = [(t.name, c.name) for t in TABLES.values() for c in t.columns if c.kind == "float"]


@pytest.mark.parametrize(("table", "column"), FLOAT_COLUMNS, ids=[f"{t}.{c}" for t, c in FLOAT_COLUMNS])
def test_nan_is_an_error_in_every_float_column(tmp_path: Path, table: str, column: str) -> None:
    spec = TABLES[table]
    values: dict[str, Any] = {}
    for col in spec.columns:
        if col.kind == "float":
            values[col.name] = pa.array([1.0, float("nan")], type=pa.float64())
        elif col.kind == "date":
            values[col.name] = pa.array([dt.date(2024, 1, 1)] * 2)
        else:
            values[col.name] = pa.array([f"{col.name}-1", f"{col.name}-2"])
    pq.write_table(pa.table(values), tmp_path / f"{table}.parquet")
    report = validate(connect(tmp_path))
    found = [i for i in report.errors if i.rule == "non_finite" and i.column == column]
    assert found and found[0].count == 1 and found[0].table == table


# --- 2. decimal commas and thousands separators --------------------------------------------


@pytest.mark.parametrize("text", ["1.234,50", "12,5", "0,99", "1.234.567", "-1.234,5", "1,23,4", "¥ 1.234,00"])
def test_ambiguous_number_text_is_an_error_not_a_misread(tmp_path: Path, text: str) -> None:
    issue = _only(_deals(tmp_path, ["100", text]), "number_format")
    assert (issue.column, issue.count, issue.severity) == ("amount", 1, "error")
    assert "deals.csv" in issue.message and "decimal comma" in issue.message
    assert issue.examples == ({"opp_id": "D2", "amount": text},)
    assert "replace(replace(<source column>, '.', ''), ',', '.')" in issue.fix


def test_thousands_commas_are_read_and_not_flagged(tmp_path: Path) -> None:
    values = ["1,234.50", "1,234", "12,345,678", "12,34,567.00", "¥1,200", "-2,500.5", "1_000"]
    report = _deals(tmp_path, values)
    assert not [i for i in report.issues if i.rule in ("number_format", "type")], [i.describe() for i in report.issues]
    amounts = connect(tmp_path, parse_mapping(DEALS)).table("opportunities").order_by("opp_id").amount.execute()
    assert amounts.tolist() == [1234.5, 1234.0, 12345678.0, 1234567.0, 1200.0, -2500.5, 1000.0]


def test_the_suggested_expr_reads_a_decimal_comma_column(tmp_path: Path) -> None:
    mapping = {
        "tables": {
            "opportunities": {
                **DEALS["tables"]["opportunities"],
                "columns": {
                    **DEALS["tables"]["opportunities"]["columns"],
                    "amount": {"expr": "replace(replace(value, '.', ''), ',', '.')"},
                },
            }
        }
    }
    report = _deals(tmp_path, ["1.234,50", "12,5", "7"], mapping)
    assert report.ok and not [i for i in report.issues if i.column == "amount"], [i.describe() for i in report.issues]
    amounts = connect(tmp_path, parse_mapping(mapping)).table("opportunities").order_by("opp_id").amount.execute()
    assert amounts.tolist() == [1234.5, 12.5, 7.0]


def test_text_that_is_no_number_is_still_a_type_error(tmp_path: Path) -> None:
    issue = _only(_deals(tmp_path, ["about 500", "1,2 k"]), "type")
    assert issue.count == 2 and not [i for i in _deals(tmp_path, ["about 500"]).issues if i.rule == "number_format"]


# --- 3. mixed encodings and lost rows ------------------------------------------------------

REPS_LINES = [
    "工号,姓名,团队,大区\n",
    "R1,张伟,华东一组,华东\n",
    "R2,李娜,华南一组,华南\n",
    "R3,赵敏,华南二组,华南\n",
]


def _write(path: Path, parts: list[tuple[str, str]]) -> Path:
    path.write_bytes(b"".join(text.encode(encoding) for text, encoding in parts))
    return path


def test_utf8_file_with_a_gbk_line_names_the_line_and_columns(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "reps.csv",
        [(REPS_LINES[0], "utf-8"), (REPS_LINES[1], "utf-8"), (REPS_LINES[2], "gbk"), (REPS_LINES[3], "utf-8")],
    )
    with pytest.raises(SourceError) as info:
        connect(tmp_path, parse_mapping(REPS))
    error = info.value
    assert error.where == str(path) and error.rows == 1
    assert "1 line(s) are GBK (line 3)" in error.message and "are UTF-8" in error.message
    assert error.column == "姓名, 团队, 大区"
    assert error.examples == ("line 3: R2,李娜,华南一组,华南",)
    assert "re-save the whole file in one encoding" in (error.fix or "")


def test_gbk_file_with_a_utf8_line_is_refused_too(tmp_path: Path) -> None:
    _write(
        tmp_path / "reps.csv",
        [(REPS_LINES[0], "gbk"), (REPS_LINES[1], "gbk"), (REPS_LINES[2], "gbk"), (REPS_LINES[3], "utf-8")],
    )
    for encoding in ("auto", "gbk", "utf-8"):
        with pytest.raises(SourceError) as info:
            connect(tmp_path, parse_mapping({**REPS, "encoding": encoding}))
        assert "1 line(s) are UTF-8 (line 4)" in info.value.message, encoding
        assert info.value.examples == ("line 4: R3,赵敏,华南二组,华南",)


def test_mixed_line_far_into_a_large_file_is_found(tmp_path: Path) -> None:
    body = "".join(f"R{i},张伟{i},华东一组,华东\n" for i in range(60_000))  # > 1 MiB: several chunks
    gbk_line = ("X1,李娜,华南一组,华南\n", "gbk")
    path = _write(tmp_path / "reps.csv", [(REPS_LINES[0], "utf-8"), (body, "utf-8"), gbk_line])
    with pytest.raises(SourceError) as info:
        utf8_path(path)
    assert "(line 60002)" in info.value.message


@pytest.mark.parametrize("name", ["女", "洹颁啊", "隆隆"])
def test_gbk_text_that_happens_to_be_valid_utf8_is_still_gbk(tmp_path: Path, name: str) -> None:
    # these GBK bytes are valid UTF-8 ("Ů", "䡰䰡", "¡¡"): the file is GBK all the same
    (tmp_path / "reps.csv").write_bytes(("".join(REPS_LINES) + f"R4,{name},华东一组,华东\n").encode("gbk"))
    frame = connect(tmp_path, parse_mapping(REPS)).table("reps").order_by("rep_id").execute()
    assert frame["name"].tolist() == ["张伟", "李娜", "赵敏", name]


def test_utf8_file_declared_gbk_is_refused(tmp_path: Path) -> None:
    (tmp_path / "reps.csv").write_text("".join(REPS_LINES), encoding="utf-8")
    with pytest.raises(SourceError) as info:
        connect(tmp_path, parse_mapping({**REPS, "encoding": "gbk"}))
    assert "it is UTF-8 (line 1 reads as UTF-8" in info.value.message and "encoding: utf-8" in (info.value.fix or "")


def test_a_short_row_past_the_sniffed_sample_is_an_error_with_its_line(tmp_path: Path) -> None:
    rows = "".join(f"D{i},R1,{i},2024-01-05,won\n" for i in range(30_000))
    (tmp_path / "deals.csv").write_text(HEADER + rows + "X1,R1\n" + "X2,R1,5,2024-01-05,won\n", encoding="utf-8")
    with pytest.raises(SourceError) as info:
        validate(connect(tmp_path, parse_mapping(DEALS)))
    assert "Line: 30002" in info.value.message and info.value.examples == ("X1,R1",)


def test_blank_lines_are_no_rows_and_nothing_else_is_skipped(tmp_path: Path) -> None:
    rows = "D1,R1,5,2024-01-05,won\n\n#D2,R1,6,2024-01-05,won\n"  # a blank line; a line that looks like a comment
    (tmp_path / "deals.csv").write_text(HEADER + rows, encoding="utf-8")
    frame = connect(tmp_path, parse_mapping(DEALS)).table("opportunities").execute()
    assert frame["opp_id"].tolist() == ["D1", "#D2"]


def test_excel_text_stays_text_and_nan_text_is_an_error(tmp_path: Path) -> None:
    pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["T1", "T2"], "region": ["NA", "EU"]}).to_excel(
        tmp_path / "reps.xlsx", index=False
    )
    pd.DataFrame(
        {"campaign_id": ["C1", "C2", "C3"], "start_date": ["2024-01-01"] * 3, "cost": ["100", "NaN", None]}
    ).to_excel(tmp_path / "campaigns.xlsx", index=False)
    ds = connect(tmp_path)
    assert ds.table("reps").order_by("rep_id").region.execute().tolist() == ["NA", "EU"]  # North America, not missing
    report = validate(ds)
    issue = _only(report, "non_finite")
    assert (issue.table, issue.count) == ("campaigns", 1)
    assert [i.rule for i in report.errors] == ["non_finite", "missing"]  # the empty cell is missing, not NaN


# --- 4. the check before a run -------------------------------------------------------------


def test_validate_for_run_raises_every_error_with_rows_and_fix(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text(
        HEADER + 'D1,R1,NaN,2024-01-05,won\nD2,R1,"1.234,5",2024-01-05,won\n', encoding="utf-8"
    )
    with pytest.raises(DataValidationError) as info:
        validate_for_run(connect(tmp_path, parse_mapping(DEALS)))
    text = info.value.render()
    assert info.value.exit_code == 2 and "the data has 2 error(s)" in text
    assert "opportunities.amount: 1 value(s) are not finite numbers" in text and "opp_id=D1, amount=NaN" in text
    assert "decimal comma" in text and "opp_id=D2, amount=1.234,5" in text
    assert "salesops validate" in text and str(tmp_path) in text


def test_validate_for_run_returns_the_warnings_and_pulls_no_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 3_000
    pq.write_table(
        pa.table(
            {
                "opp_id": [f"D{i}" for i in range(n)],
                "rep_id": ["R1"] * n,
                "customer_id": [None] * n,
                "amount": pa.array([float(i) for i in range(n)]),
                "created_at": [dt.date(2024, 1, 1)] * n,
                "status": ["open"] * n,
            }
        ),
        tmp_path / "opportunities.parquet",
    )
    largest = [0]
    original = ir.Expr.execute

    def counting(self: ir.Expr, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        largest[0] = max(largest[0], len(result) if isinstance(result, pd.DataFrame | pd.Series) else 1)
        return result

    monkeypatch.setattr(ir.Expr, "execute", counting)
    report = validate_for_run(connect(tmp_path))
    assert report.ok and [w.rule for w in report.warnings] == ["missing"]
    assert report.warnings[0].describe().startswith(f"opportunities.customer_id: {n:,} row(s) have no customer_id")
    assert largest[0] <= MAX_EXAMPLES  # aggregates and examples only
    assert not math.isnan(report.profiles[0].rows)
