"""Mapping v2: join, group_by + agg, distinct, stage_dates, top-level ``source:``, subfolders, Excel sheets, .xls.

Every test writes its own small export in ``tmp_path`` (the .xls fixture is committed: nothing
here can write one) and checks the canonical rows, or the error a user gets.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import yaml

from salesops_lib.data import connect, load_mapping
from salesops_lib.data.mapping import json_schema, parse_mapping
from salesops_lib.data.validation import validate
from salesops_lib.errors import MappingError, SourceError

ROOT = Path(__file__).resolve().parents[1]
XLS = ROOT / "tests" / "fixtures" / "crm_export.xls"
STAGES = {"open_stages": ["Prospecting", "Engaging"], "won": "Won", "lost": "Lost"}

DEALS = """deal_id,lead_id,region_code,sales_agent,deal_stage,engage_date,close_date,close_value
D1,L1,E,Anna,Won,2024-01-05,2024-02-01,1200
D2,L2,W,Bob,Lost,2024-01-10,2024-03-01,0
D3,L1,E,Anna,Engaging,2024-02-10,,
D4,L9,E,Cara,Won,2024-02-11,2024-04-01,500
"""
LEADS = """id,region_code,company
L1,E,Acme
L2,W,Beta
L1,W,Acme West
"""
ORDER_LINES = """ORDERNUMBER,ORDERDATE,SALES,CUSTOMERNAME,PRODUCTLINE
100,10/1/2003 0:00,10.5,Zed,Cars
100,9/5/2003 0:00,20,Acme,Cars
100,9/5/2003 0:00,1.25,Acme,Planes
101,5/7/2003 0:00,7,Beta,Ships
102,12/24/2003 0:00,"1,000.5",Acme,Cars
"""


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def _mapping(path: Path, tables: dict[str, Any], **top: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"stages": STAGES, **top, "tables": tables}, allow_unicode=True), encoding="utf-8")
    return path


def _opportunities(**extra: Any) -> dict[str, Any]:
    columns = {
        "opp_id": "deal_id",
        "rep_id": "sales_agent",
        "created_at": "engage_date",
        "status": {"from": "deal_stage", "values": {"Won": "won", "Lost": "lost", "Engaging": "open"}},
        "closed_at": "close_date",
        "amount": {"expr": "TRY_CAST(close_value AS DOUBLE)"},
    }
    return {"from": "deals.csv", "columns": columns, **extra}


def _frame(ds: Any, table: str, order: str) -> pd.DataFrame:
    return ds.table(table).execute().sort_values(order).reset_index(drop=True)


# --- join -------------------------------------------------------------------------------------


def test_join_composite_key_reads_alias_columns_everywhere(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"deals.csv": DEALS, "leads.csv": LEADS})
    table = _opportunities(
        join=[{"from": "leads.csv", "as": "lead", "on": {"lead_id": "id", "region_code": "region_code"}}],
        where="lead.company IS NULL OR lead.company <> 'Nobody'",
    )
    table["columns"]["customer_id"] = "lead.company"
    table["columns"]["lost_reason"] = {"expr": "concat(lead.company, '/', region_code)"}
    ds = connect(src, _mapping(tmp_path / "m.yaml", {"opportunities": table}))
    frame = _frame(ds, "opportunities", "opp_id")
    assert frame.customer_id.fillna("-").tolist() == [
        "Acme",
        "Beta",
        "Acme",
        "-",
    ]  # D4's lead L9 is not in leads.csv: left
    assert frame.lost_reason.tolist()[:2] == ["Acme/E", "Beta/W"]


def test_inner_join_drops_rows_without_a_match(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"deals.csv": DEALS, "leads.csv": LEADS})
    join = {"from": "leads.csv", "as": "lead", "on": {"lead_id": "id", "region_code": "region_code"}, "how": "inner"}
    ds = connect(src, _mapping(tmp_path / "m.yaml", {"opportunities": _opportunities(join=[join])}))
    assert sorted(ds.table("opportunities").opp_id.execute()) == ["D1", "D2", "D3"]


def test_join_on_a_duplicated_key_is_refused_with_file_key_count_and_examples(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"deals.csv": DEALS, "leads.csv": LEADS})
    table = _opportunities(join=[{"from": "leads.csv", "as": "lead", "on": {"lead_id": "id"}}])
    with pytest.raises(MappingError) as info:
        connect(src, _mapping(tmp_path / "m.yaml", {"opportunities": table}))
    err = info.value
    assert "leads.csv" in err.message and "1 duplicated key" in err.message
    assert err.column == "id" and err.rows == 1 and err.examples == ("L1 (2 rows)",)
    assert "tables.opportunities.join.0.on" in (err.where or "")
    assert "de-duplicate leads.csv" in (err.fix or "") and "group_by" in (err.fix or "")


def test_join_key_missing_names_the_key_path_and_suggests(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"deals.csv": DEALS, "leads.csv": LEADS})
    table = _opportunities(join=[{"from": "leads.csv", "as": "lead", "on": {"lead_id": "idd"}}])
    with pytest.raises(MappingError) as info:
        connect(src, _mapping(tmp_path / "m.yaml", {"opportunities": table}))
    assert "tables.opportunities.join.0.on" in (info.value.where or "")
    assert "did you mean 'id'?" in (info.value.fix or "")


def test_unknown_alias_and_foreign_qualifier_are_refused(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"deals.csv": DEALS, "leads.csv": LEADS.replace("L1,W,Acme West\n", "")})
    table = _opportunities(join=[{"from": "leads.csv", "as": "lead", "on": {"lead_id": "id"}}])
    table["columns"]["customer_id"] = "leed.company"
    with pytest.raises(MappingError) as info:
        connect(src, _mapping(tmp_path / "m.yaml", {"opportunities": table}))
    assert "no join is named 'leed'" in (info.value.fix or "") and "did you mean 'lead.company'?" in (
        info.value.fix or ""
    )
    assert "tables.opportunities.columns.customer_id" in (info.value.where or "")
    table["columns"]["customer_id"] = {"expr": "other.company"}
    with pytest.raises(MappingError) as info:
        parse_mapping({"tables": {"opportunities": table}})
    assert "the joins here are lead" in (info.value.fix or "")


def test_chinese_alias_and_a_dotted_source_column(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"商机.csv": "编号,线索号,Acct.No\nD1,L1,7\n", "线索.csv": "编号,公司\nL1,甲公司\n"})
    table = {
        "from": "商机.csv",
        "join": [{"from": "线索.csv", "as": "线索", "on": {"线索号": "编号"}}],
        "columns": {
            "customer_id": "编号",
            "name": "线索.公司",
            "segment": {"expr": "concat(线索.公司, '-', \"Acct.No\")"},
        },
    }
    ds = connect(src, _mapping(tmp_path / "m.yaml", {"customers": table}))
    assert ds.table("customers").execute()[["name", "segment"]].values.tolist() == [["甲公司", "甲公司-7"]]
    table["columns"]["region"] = "Acct.No"  # a column whose own name holds a dot
    ds = connect(src, _mapping(tmp_path / "n.yaml", {"customers": table}))
    assert ds.table("customers").region.execute().tolist() == ["7"]


def test_unquoted_yaml_on_key_is_the_join_key(tmp_path: Path) -> None:
    text = "tables:\n  customers:\n    from: a.csv\n    join: [{from: b.csv, as: b, on: {x: y}}]\n    columns: {customer_id: x}\n"
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    mapping = load_mapping(tmp_path / "m.yaml")
    assert mapping.tables["customers"].parts()[0].join[0].on == {"x": "y"}


def test_join_of_database_tables(tmp_path: Path) -> None:
    db = tmp_path / "crm.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE deals AS SELECT * FROM (VALUES ('D1', 7), ('D2', 8)) t(deal_id, acct)")
        con.execute("CREATE TABLE accounts AS SELECT * FROM (VALUES (7, 'Acme'), (8, 'Beta')) t(id, name)")
    table = {
        "from": "deals",
        "join": [{"from": "accounts", "as": "a", "on": {"acct": "id"}}],
        "columns": {"customer_id": "deal_id", "name": "a.name"},
    }
    ds = connect(db, _mapping(tmp_path / "m.yaml", {"customers": table}))
    assert _frame(ds, "customers", "customer_id").name.tolist() == ["Acme", "Beta"]


# --- group_by + agg ---------------------------------------------------------------------------


def _orders(**extra: Any) -> dict[str, Any]:
    return {
        "from": "order_lines.csv",
        "group_by": ["ORDERNUMBER"],
        "columns": {
            "order_id": "ORDERNUMBER",
            "ordered_at": {"from": "ORDERDATE", "agg": "min", "format": "%m/%d/%Y %H:%M"},
            "amount": {"expr": "TRY_CAST(replace(SALES, ',', '') AS DOUBLE)", "agg": "sum"},
            "customer_id": {"from": "CUSTOMERNAME", "agg": "any"},
            "rep_id": {"const": "house"},
            "cost": {"from": "PRODUCTLINE", "agg": "count_distinct"},
        },
        **extra,
    }


def test_order_lines_group_into_orders_as_plain_sql_says(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"order_lines.csv": ORDER_LINES})
    ds = connect(src, _mapping(tmp_path / "m.yaml", {"orders": _orders()}))
    got = _frame(ds, "orders", "order_id")
    want = (
        duckdb.sql(
            f"""SELECT ORDERNUMBER::VARCHAR AS order_id, sum(replace(SALES::VARCHAR, ',', '')::DOUBLE) AS amount,
                   min(strptime(ORDERDATE, '%m/%d/%Y %H:%M'))::DATE AS ordered_at, min(CUSTOMERNAME) AS customer_id,
                   count(DISTINCT PRODUCTLINE)::DOUBLE AS cost
            FROM read_csv('{src / "order_lines.csv"}', all_varchar = true) GROUP BY ORDERNUMBER ORDER BY 1"""
        )
        .df()
        .reset_index(drop=True)
    )
    assert got.order_id.tolist() == want.order_id.tolist() == ["100", "101", "102"]
    assert got.amount.tolist() == pytest.approx(want.amount.tolist())
    assert got.amount.tolist() == pytest.approx([31.75, 7.0, 1000.5])
    # the minimum of dates, not of their text ("10/1/2003" < "9/5/2003" as text)
    assert [str(d)[:10] for d in got.ordered_at] == ["2003-09-05", "2003-05-07", "2003-12-24"]
    assert [str(d)[:10] for d in want.ordered_at] == ["2003-09-05", "2003-05-07", "2003-12-24"]
    assert got.customer_id.tolist() == want.customer_id.tolist() == ["Acme", "Beta", "Acme"]
    assert got.cost.tolist() == want.cost.tolist() == [2.0, 1.0, 1.0]
    assert validate(ds).ok


def test_every_agg(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"lines.csv": "k,v\na,1\na,3\na,3\nb,5\n"})
    for agg, want in {
        "sum": [7.0, 5.0],
        "min": [1.0, 5.0],
        "max": [3.0, 5.0],
        "mean": [7 / 3, 5.0],
        "count": [3.0, 1.0],
        "count_distinct": [2.0, 1.0],
        "any": [1.0, 5.0],
    }.items():
        table = {
            "from": "lines.csv",
            "group_by": ["k"],
            "columns": {"product_id": "k", "list_price": {"from": "v", "agg": agg}},
        }
        ds = connect(src, _mapping(tmp_path / f"{agg}.yaml", {"products": table}))
        assert _frame(ds, "products", "product_id").list_price.tolist() == pytest.approx(want), agg


def test_a_value_that_does_not_parse_is_reported_for_its_group(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"lines.csv": "k,v\na,1\na,oops\nb,5\n"})
    table = {
        "from": "lines.csv",
        "group_by": ["k"],
        "columns": {"product_id": "k", "list_price": {"from": "v", "agg": "sum"}},
    }
    report = validate(connect(src, _mapping(tmp_path / "m.yaml", {"products": table})))
    text = json.dumps(report.to_dict(), ensure_ascii=False)
    assert "oops" in text


def test_group_by_needs_agg_on_other_columns(tmp_path: Path) -> None:
    table = _orders()
    table["columns"]["customer_id"] = "CUSTOMERNAME"
    with pytest.raises(MappingError) as info:
        parse_mapping({"tables": {"orders": table}}, origin="m.yaml")
    err = info.value
    assert "'orders'" in err.message and "'customer_id'" in err.message and "no `agg:`" in err.message
    assert "tables.orders.columns.customer_id" in (err.where or "")
    assert "agg: any" in (err.fix or "")


def test_agg_without_group_by_and_unknown_agg_are_refused() -> None:
    table = _opportunities()
    table["columns"]["amount"] = {"from": "close_value", "agg": "sum"}
    with pytest.raises(MappingError, match="no `group_by`"):
        parse_mapping({"tables": {"opportunities": table}})
    table = _orders()
    table["columns"]["amount"] = {"from": "SALES", "agg": "total"}
    with pytest.raises(MappingError) as info:
        parse_mapping({"tables": {"orders": table}})
    assert "tables.orders.columns.amount.agg" in (info.value.where or "")


def test_reps_and_customers_from_a_fact_file(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"deals.csv": DEALS})
    reps = {
        "from": "deals.csv",
        "group_by": ["sales_agent"],
        "columns": {"rep_id": "sales_agent", "team": {"const": "all"}, "region": {"from": "region_code", "agg": "any"}},
    }
    customers = {"from": "deals.csv", "distinct": True, "columns": {"customer_id": "lead_id"}}
    ds = connect(src, _mapping(tmp_path / "m.yaml", {"reps": reps, "customers": customers}))
    assert _frame(ds, "reps", "rep_id")[["rep_id", "region"]].values.tolist() == [
        ["Anna", "E"],
        ["Bob", "W"],
        ["Cara", "E"],
    ]
    assert sorted(ds.table("customers").customer_id.execute()) == ["L1", "L2", "L9"]


# --- distinct, stage_dates --------------------------------------------------------------------


def test_distinct_drops_duplicate_output_rows(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"deals.csv": DEALS})
    reps = {
        "from": "deals.csv",
        "distinct": True,
        "columns": {"rep_id": "sales_agent", "name": "sales_agent", "team": {"const": "t"}, "region": "region_code"},
    }
    ds = connect(src, _mapping(tmp_path / "m.yaml", {"reps": reps}))
    assert ds.table("reps").count().execute() == 3
    without = {**reps, "distinct": False}
    assert connect(src, _mapping(tmp_path / "n.yaml", {"reps": without})).table("reps").count().execute() == 4


def test_stage_dates_one_row_per_stage_with_a_date(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"deals.csv": DEALS.replace("2024-04-01", "01/04/2024")})
    history = {
        "from": "deals.csv",
        "stage_dates": {
            "Engaging": "engage_date",
            "Won": {"from": "close_date", "where": "deal_stage = 'Won'", "format": "%Y-%m-%d"},
            "Lost": {"from": "close_date", "where": "deal_stage = 'Lost'"},
        },
        "columns": {"opp_id": "deal_id"},
    }
    ds = connect(src, _mapping(tmp_path / "m.yaml", {"stage_history": history}))
    rows = ds.table("stage_history").execute()
    got = sorted(
        (r.opp_id, r.stage, None if pd.isna(r.entered_at) else str(r.entered_at)[:10]) for r in rows.itertuples()
    )
    assert got == [
        ("D1", "Engaging", "2024-01-05"),
        ("D1", "Won", "2024-02-01"),
        ("D2", "Engaging", "2024-01-10"),
        ("D2", "Lost", "2024-03-01"),
        ("D3", "Engaging", "2024-02-10"),
        ("D4", "Engaging", "2024-02-11"),
        ("D4", "Won", None),  # 01/04/2024 is not %Y-%m-%d: validation reports it
    ]


def test_stage_dates_is_for_stage_history_only() -> None:
    table = _opportunities(stage_dates={"Won": "close_date"})
    with pytest.raises(MappingError, match="stage_history only"):
        parse_mapping({"tables": {"opportunities": table}})


def test_union_parts_take_join_and_group_by(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "src", {"order_lines.csv": ORDER_LINES, "old/orders.csv": "id,day,total,cust\n9,2002-01-01,5,Old\n"}
    )
    old = {
        "from": "old/orders.csv",
        "columns": {
            "order_id": "id",
            "ordered_at": "day",
            "amount": "total",
            "customer_id": "cust",
            "rep_id": {"const": "house"},
        },
    }
    ds = connect(src, _mapping(tmp_path / "m.yaml", {"orders": {"union": [_orders(), old]}}))
    assert _frame(ds, "orders", "order_id").order_id.tolist() == ["100", "101", "102", "9"]
    with pytest.raises(MappingError, match="inside each `union:` part"):
        parse_mapping({"tables": {"orders": {"union": [old], "distinct": True}}})


# --- source:, subfolders, paths ---------------------------------------------------------------


def test_source_is_relative_to_the_mapping_file_and_from_may_name_subfolders(tmp_path: Path) -> None:
    _write(tmp_path / "data" / "crm", {"exports/deals.csv": DEALS})
    mapping = _mapping(
        tmp_path / "maps" / "m.yaml",
        {"opportunities": _opportunities(**{"from": "exports/deals.csv"})},
        source="../data/crm",
    )
    ds = connect(None, mapping)
    assert ds.table("opportunities").count().execute() == 4
    assert ds.source == str(tmp_path / "maps" / ".." / "data" / "crm")
    # --source overrides it
    other = _write(
        tmp_path / "other", {"exports/deals.csv": DEALS.splitlines()[0] + "\n" + DEALS.splitlines()[1] + "\n"}
    )
    assert connect(other, mapping).table("opportunities").count().execute() == 1


def test_no_source_anywhere_is_a_clear_error(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path / "m.yaml", {"opportunities": _opportunities()})
    with pytest.raises(SourceError) as info:
        connect(None, mapping)
    assert info.value.message == "no source given" and "source:" in (info.value.fix or "")


@pytest.mark.parametrize("name", ["/etc/passwd", "../secret.csv", "exports/../../secret.csv"])
def test_from_cannot_leave_the_source_folder(tmp_path: Path, name: str) -> None:
    _write(tmp_path, {"secret.csv": DEALS, "src/deals.csv": DEALS})
    mapping = _mapping(tmp_path / "src" / "m.yaml", {"opportunities": _opportunities(**{"from": name})}, source=".")
    with pytest.raises(SourceError, match="outside the source folder"):
        connect(None, mapping)


def test_a_link_out_of_the_source_folder_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, {"secret.csv": DEALS, "src/x.txt": ""})
    (tmp_path / "src" / "deals.csv").symlink_to(tmp_path / "secret.csv")
    with pytest.raises(SourceError, match="outside the source folder"):
        connect(tmp_path / "src", _mapping(tmp_path / "m.yaml", {"opportunities": _opportunities()}))


def test_a_joined_file_cannot_leave_the_folder_either(tmp_path: Path) -> None:
    _write(tmp_path, {"src/deals.csv": DEALS, "leads.csv": LEADS})
    table = _opportunities(join=[{"from": "../leads.csv", "as": "lead", "on": {"lead_id": "id"}}])
    with pytest.raises(SourceError, match="outside the source folder"):
        connect(tmp_path / "src", _mapping(tmp_path / "m.yaml", {"opportunities": table}))


def test_missing_file_in_a_subfolder_lists_that_subfolder(tmp_path: Path) -> None:
    _write(tmp_path / "src", {"exports/deals_2024.csv": DEALS})
    with pytest.raises(SourceError) as info:
        connect(
            tmp_path / "src",
            _mapping(tmp_path / "m.yaml", {"opportunities": _opportunities(**{"from": "exports/deals.csv"})}),
        )
    assert "exports/deals_2024.csv" in (info.value.fix or "")


# --- Excel ------------------------------------------------------------------------------------


def _workbook(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        pd.DataFrame(
            {"Rep": ["Anna", "Bob", "Cara"], "Region": ["East", "West", "East"], "Team": ["A", "B", "A"]}
        ).to_excel(book, sheet_name="Reps", index=False)
        pd.DataFrame({"Region": ["East", "West"], "Person": ["王芳", "Sam"]}).to_excel(
            book, sheet_name="Managers", index=False
        )
    return path


def test_two_sheets_of_one_workbook_do_not_overwrite_each_other(tmp_path: Path) -> None:
    _workbook(tmp_path / "src" / "crm.xlsx")
    reps = {
        "from": "crm.xlsx",
        "sheet": "Reps",
        "join": [{"from": "crm.xlsx", "sheet": "Managers", "as": "mgr", "on": {"Region": "Region"}}],
        "columns": {"rep_id": "Rep", "team": "Team", "region": "Region", "name": "mgr.Person"},
    }
    managers = {"from": "crm.xlsx", "sheet": "Managers", "columns": {"customer_id": "Person", "region": "Region"}}
    ds = connect(tmp_path / "src", _mapping(tmp_path / "m.yaml", {"reps": reps, "customers": managers}))
    assert _frame(ds, "reps", "rep_id").name.tolist() == ["王芳", "Sam", "王芳"]
    assert sorted(ds.table("customers").customer_id.execute()) == ["Sam", "王芳"]


def test_xls_is_read_with_its_sheets(tmp_path: Path) -> None:
    shutil.copy(XLS, tmp_path / "crm_export.xls")
    reps = {
        "from": "crm_export.xls",
        "sheet": 0,
        "group_by": ["owner"],
        "join": [{"from": "crm_export.xls", "sheet": "Managers", "as": "m", "on": {"region": "region"}}],
        "columns": {
            "rep_id": "owner",
            "team": {"from": "m.Person", "agg": "any"},
            "region": {"from": "region", "agg": "any"},
        },
    }
    opps = {
        "from": "crm_export.xls",
        "sheet": "Deals",
        "columns": {
            "opp_id": "deal_id",
            "rep_id": "owner",
            "amount": "amount",
            "created_at": "created",
            "status": {"from": "stage", "values": {"Won": "won", "Lost": "lost", "Open": "open"}},
        },
    }
    ds = connect(tmp_path, _mapping(tmp_path / "m.yaml", {"reps": reps, "opportunities": opps}))
    assert _frame(ds, "reps", "rep_id")[["rep_id", "team"]].values.tolist() == [["Li Na", "Sam Ray"], ["张伟", "王芳"]]
    frame = _frame(ds, "opportunities", "opp_id")
    assert frame.amount.tolist() == [1200.0, 800.5, 300.0]
    assert [str(d)[:10] for d in frame.created_at] == ["2024-01-05", "2024-02-10", "2024-03-01"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 broken \xff\xfe", "cannot read the workbook"),
        (b"<html><table><tr><td>Rep</td></tr></table></html>", "it holds an HTML page under an Excel name"),
        ("销售\t区域\n张伟\t华东\n".encode("gbk"), "it holds a text file under an Excel name"),
    ],
    ids=["broken", "html", "gbk-text"],
)
def test_a_bad_xls_never_gets_the_latin1_hint(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "crm.xls").write_bytes(content)
    reps = {"from": "crm.xls", "columns": {"rep_id": "Rep", "team": "Team", "region": "Region"}}
    with pytest.raises(SourceError) as info:
        connect(tmp_path, _mapping(tmp_path / "m.yaml", {"reps": reps}))
    assert message in info.value.message
    assert "latin-1" not in info.value.render()
    assert "crm.xls" in (info.value.where or "")


def test_an_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    shutil.copy(XLS, tmp_path / "crm_export.xls")
    reps = {
        "from": "crm_export.xls",
        "sheet": "Reps",
        "columns": {"rep_id": "owner", "team": "owner", "region": "region"},
    }
    with pytest.raises(SourceError) as info:
        connect(tmp_path, _mapping(tmp_path / "m.yaml", {"reps": reps}))
    assert "sheets: Deals, Managers" in (info.value.fix or "")


# --- the format itself ------------------------------------------------------------------------


def test_committed_json_schema_is_current() -> None:
    committed = json.loads((ROOT / "docs" / "mapping.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "regenerate it with salesops_lib.data.mapping.write_json_schema()"


def test_unknown_v2_keys_keep_did_you_mean(tmp_path: Path) -> None:
    table = _orders()
    table["group"] = table.pop("group_by")
    with pytest.raises(MappingError) as info:
        parse_mapping({"tables": {"orders": table}}, origin="m.yaml")
    assert "did you mean `group_by`?" in (info.value.fix or "")
    join = {"from": "leads.csv", "as": "lead", "on": {"lead_id": "id"}, "hwo": "left"}
    with pytest.raises(MappingError) as info:
        parse_mapping({"tables": {"opportunities": _opportunities(join=[join])}}, origin="m.yaml")
    assert "tables.opportunities.join.0.hwo" in (info.value.where or "")
    assert "did you mean `how`?" in (info.value.fix or "")


@pytest.mark.parametrize("path", sorted((ROOT / "parameters" / "sources").glob("*.yaml")), ids=lambda p: p.name)
def test_existing_mappings_still_load(path: Path) -> None:
    assert load_mapping(path).tables


def test_review_config_takes_the_mapping_source(tmp_path: Path) -> None:
    from salesops_lib.runner.config import ReviewConfig

    mapping = _mapping(tmp_path / "maps" / "m.yaml", {"opportunities": _opportunities()}, source="../data")
    config = ReviewConfig.model_validate({"mapping": str(mapping), "period": "2024-02"})
    assert config.source == str(tmp_path / "maps" / ".." / "data")
    assert ReviewConfig.model_validate({"mapping": str(mapping), "source": "x", "period": "2024-02"}).source == "x"
    assert ReviewConfig.model_validate({"period": "2024-02"}).source == "demo"


def test_fingerprint_covers_files_in_subfolders(tmp_path: Path) -> None:
    from salesops_lib.data.sources import source_fingerprint

    src = _write(tmp_path / "src", {"exports/deals.csv": DEALS})
    mapping = _mapping(tmp_path / "m.yaml", {"opportunities": _opportunities(**{"from": "exports/deals.csv"})})
    before = source_fingerprint(src, mapping)
    (src / "exports" / "deals.csv").write_text(DEALS + "D5,L1,E,Anna,Won,2024-03-05,2024-04-01,9\n", encoding="utf-8")
    assert source_fingerprint(src, mapping) != before


def test_cli_validate_takes_the_mapping_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_bad_inputs import run_in_process

    _write(tmp_path / "data", {"deals.csv": DEALS})
    mapping = _mapping(tmp_path / "maps" / "m.yaml", {"opportunities": _opportunities()}, source="../data")
    code, output = run_in_process(["validate", "--mapping", str(mapping)], monkeypatch, capsys)
    assert code == 0, output
    assert "opportunities" in output and "4" in output


def _doc_mappings() -> list[str]:
    """The YAML examples of docs/mapping.md that are whole tables (fragments hold `…` or `{...}`)."""
    import re

    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "mapping.md").read_text(encoding="utf-8"), re.S)
    whole = [b for b in blocks if re.match(r"  \S", b) or re.search(r"^tables:", b, re.M)]  # a table or a file
    return [b for b in whole if "{...}" not in b and "<canonical" not in b]


@pytest.mark.parametrize("block", _doc_mappings())
def test_the_reference_examples_are_valid_mappings(block: str) -> None:
    raw = yaml.safe_load(block if "tables:" in block else "tables:\n" + block)
    assert raw["tables"]
    parse_mapping(raw)


def test_a_missing_join_key_names_it_and_the_keys_allowed() -> None:
    join = {"from": "leads.csv", "on": {"lead_id": "id"}}
    with pytest.raises(MappingError) as info:
        parse_mapping({"tables": {"opportunities": _opportunities(join=[join])}}, origin="m.yaml")
    assert info.value.message == "the mapping misses the key `as`"
    assert "m.yaml at `tables.opportunities.join.0.as`" in (info.value.where or "")
    assert "from, as, on, how" in (info.value.fix or "")
