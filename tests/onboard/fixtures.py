"""Small synthetic CRM exports for the onboarding tests, written into a folder on demand.

- ``chinese_crm``: one GBK-encoded deal export with Chinese headers (客户名称, 负责人, 签约日期 …);
- ``lead_funnel``: leads with SDR ids and lead source/origin, deals joined to them by lead id;
- ``order_lines``: one workbook with an order-lines sheet and a managers sheet (region → manager);
- ``chinese_roster``: a GBK deal file naming reps and customers by name, a staff workbook keyed by 工号;
- ``salesforce_funnel``: leads (SDR names), opportunities (owner names) and users keyed by User ID;
- ``order_lines_managers``: order lines with no rep column, the region's manager is the rep;
- ``chinese_orders_payments``: GBK orders and payments by order number, no invoices;
- ``weekly_mmm``: a marketing-mix export, one row per week: revenue, spend per channel (``*_S``)
  and context columns (impressions, competitor sales, events), as Robyn's demo data;
- ``closed_deals_funnel``: marketing-qualified leads and closed deals linked by mql_id (as Olist's);
- ``superstore``: order lines with a Profit column, a People sheet (region managers) and Returns;
- ``monthly_sales``: a folder of statistical series around one monthly sales series ("2020 Jan"),
  as the rdatasets folder: a time-indexed series, a cross-section, a help page, and a Chinese
  monthly series (月份, 销售额, 抖音投放费用) as the alternative.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

_REGIONS = ("华东", "华南", "华北")
_STAGES_ZH = ("初步接洽", "需求确认", "方案报价", "赢单", "输单")


def _day(n: int) -> str:
    return (date(2025, 1, 1) + timedelta(days=n)).isoformat()


def chinese_crm(folder: Path) -> Path:
    """商机导出.csv (GBK): 商机编号, 客户名称, 负责人, 区域, 行业, 创建日期, 签约日期, 金额, 阶段."""
    folder.mkdir(parents=True, exist_ok=True)
    reps = [("张伟", "华东"), ("王芳", "华东"), ("李娜", "华南"), ("刘洋", "华南"), ("陈静", "华北")]
    rows = []
    for i in range(60):
        rep, region = reps[i % len(reps)]
        stage = _STAGES_ZH[i % len(_STAGES_ZH)]
        closed = stage in ("赢单", "输单")
        created = date(2025, 1, 1) + timedelta(days=i * 3)
        rows.append(
            [
                f"SJ{1000 + i}",
                f"客户{i % 17:02d}有限公司",
                rep,
                region,
                ("制造", "零售", "金融")[i % 3],
                created.strftime("%Y/%m/%d"),
                (created + timedelta(days=30)).strftime("%Y/%m/%d") if closed else "",
                f"{(i + 1) * 1000:.2f}" if stage != "输单" else "0",
                stage,
            ]
        )
    path = folder / "商机导出.csv"
    with path.open("w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["商机编号", "客户名称", "负责人", "区域", "行业", "创建日期", "签约日期", "金额", "阶段"])
        writer.writerows(rows)
    return folder


def lead_funnel(folder: Path) -> Path:
    """leads.csv (Lead ID, Created Date, Lead Source, Origin, SDR ID, Company) and deals.csv
    (Deal ID, Lead ID, Opportunity Owner, Deal Stage, Amount, Close Date): the company lives in leads.
    """
    folder.mkdir(parents=True, exist_ok=True)
    leads = pd.DataFrame(
        {
            "Lead ID": [f"L-{i:04d}" for i in range(80)],
            "Created Date": [_day(i) for i in range(80)],
            "Lead Source": [("Web", "Referral", "Expo", "Webinar")[i % 4] for i in range(80)],
            "Origin": [("inbound", "outbound")[i % 2] for i in range(80)],
            "SDR ID": [f"SDR{i % 4}" for i in range(80)],
            "Company": [f"Company {i % 23}" for i in range(80)],
        }
    )
    leads.to_csv(folder / "leads.csv", index=False)
    stages = ("Qualification", "Proposal", "Closed Won", "Closed Lost", "Negotiation")
    deals = pd.DataFrame(
        {
            "Deal ID": [f"D-{i:04d}" for i in range(40)],
            "Lead ID": [f"L-{i * 2:04d}" for i in range(40)],
            "Opportunity Owner": [f"AE{i % 5}" for i in range(40)],
            "Deal Stage": [stages[i % 5] for i in range(40)],
            "Amount": [str(1000 + 50 * i) for i in range(40)],
            "Close Date": [_day(i * 2 + 40) if stages[i % 5].startswith("Closed") else "" for i in range(40)],
        }
    )
    deals.to_csv(folder / "deals.csv", index=False)
    return folder


def order_lines(folder: Path, *, with_reps: bool = True) -> Path:
    """orders.xlsx: sheet Order Lines (Order Number, Line, Product, Quantity, Sales, Order Date,
    Customer, Region, Sales Rep — unless not ``with_reps``) and sheet Managers (Region, Manager).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for order in range(30):
        for line in range(1, 1 + order % 3 + 1):
            rows.append(
                {
                    "Order Number": f"SO{5000 + order}",
                    "Line": line,
                    "Product": f"P{line}",
                    "Quantity": line * 2,
                    "Sales": 120.5 * line,
                    "Order Date": date(2025, 2, 1) + timedelta(days=order),
                    "Customer": f"Client {order % 9}",
                    "Region": ("North", "South", "West")[order % 3],
                    "Sales Rep": f"Rep {order % 6}",
                }
            )
    managers = pd.DataFrame({"Region": ["North", "South", "West"], "Manager": ["Ann Lee", "Bo Chen", "Cy Diaz"]})
    with pd.ExcelWriter(folder / "orders.xlsx") as writer:
        lines = pd.DataFrame(rows)
        (lines if with_reps else lines.drop(columns=["Sales Rep"])).to_excel(
            writer, sheet_name="Order Lines", index=False
        )
        managers.to_excel(writer, sheet_name="Managers", index=False)
    return folder


def crm_with_history(folder: Path) -> Path:
    """opportunities.csv, reps.csv (with a Rep ID and SDRs) and a stage_changes.csv history: a
    draft needing no mapping v2 feature.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stages = ("Discovery", "Proposal", "Won", "Lost")
    opps = pd.DataFrame(
        {
            "Opportunity ID": [f"O{i:03d}" for i in range(24)],
            "Owner ID": [f"R{i % 4}" for i in range(24)],
            "Stage": [stages[i % 4] for i in range(24)],
            "Amount": [f"{1000 + i * 10:,}.00" for i in range(24)],
            "Created Date": [_day(i) for i in range(24)],
            "Close Date": [_day(i + 30) if stages[i % 4] in ("Won", "Lost") else "" for i in range(24)],
        }
    )
    opps.to_csv(folder / "opportunities.csv", index=False)
    reps = pd.DataFrame(
        {
            "Rep ID": ["R0", "R1", "R2", "R3"],
            "Rep Name": ["Ann", "Ben", "Cy", "Di"],
            "Team": ["T1", "T1", "T2", "T2"],
            "Region": ["East", "East", "West", "West"],
        }
    )
    reps.to_csv(folder / "reps.csv", index=False)
    history = [
        (f"O{i:03d}", stage, _day(i + k * 10))
        for i in range(24)
        for k, stage in enumerate(stages[: (i % 4) + 1] if i % 4 < 3 else ("Discovery", "Lost"))
    ]
    pd.DataFrame(history, columns=["Opportunity ID", "Stage", "Changed At"]).to_csv(
        folder / "stage_changes.csv", index=False
    )
    return folder


def chinese_contracts(folder: Path) -> Path:
    """合同台账.csv (GBK): 合同号, 客户, 销售, 大区, 经理, 成交日期, 回款金额 (with thousands
    separators), 状态 (跟进中/谈判中/已签约/丢单); no creation date, unpadded dates.
    """
    folder.mkdir(parents=True, exist_ok=True)
    states = ("跟进中", "谈判中", "已签约", "丢单")
    rows = [["合同号", "客户", "销售", "大区", "经理", "成交日期", "回款金额", "状态"]]
    for i in range(40):
        state = states[i % 4]
        closed = f"2025/{1 + i % 12}/{1 + i % 27}" if state in ("已签约", "丢单") else ""
        rows.append(
            [
                f"HT-{i:03d}",
                f"客户{i % 7}",
                ("张三", "李四", "王五")[i % 3],
                ("华东", "华南")[i % 2],
                ("赵经理", "钱经理")[i % 2],
                closed,
                f"{i * 100:,}",
                state,
            ]
        )
    with (folder / "合同台账.csv").open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return folder


_NAMES_ZH = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊")


def chinese_roster(folder: Path, *, customers: bool = False, twin: bool = False, departed: bool = False) -> Path:
    """商机明细.csv (GBK) whose 销售负责人 holds a person's NAME and 客户名称 a company name, with
    销售人员.xlsx sheet 人员 (工号, 姓名, 所属团队, 大区, 入职日期) keyed by 工号; with ``customers``
    also 客户.csv (客户编号, 客户名称, 行业); with ``twin`` two people share a name (姓名 is no key);
    with ``departed`` the deals of 离职员工 name someone the staff sheet no longer lists.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stages = ("初步接洽", "需求确认", "商务谈判", "赢单", "输单")
    rows = [["商机编号", "客户名称", "销售负责人", "商机阶段", "预计金额(元)", "创建时间", "成交日期", "产品线"]]
    for i in range(50):
        stage = stages[i % 5]
        created = date(2025, 1, 1) + timedelta(days=i * 4)
        rows.append(
            [
                f"OP{i:05d}",
                f"客户{i % 11:03d}有限公司",
                "离职员工" if departed and i % 10 == 9 else _NAMES_ZH[i % 5],
                stage,
                f"{(i + 1) * 1234.5:,.2f}",
                created.strftime("%Y/%m/%d"),
                (created + timedelta(days=20)).strftime("%Y/%m/%d") if stage in ("赢单", "输单") else "",
                ("硬件", "软件", "服务")[i % 3],
            ]
        )
    with (folder / "商机明细.csv").open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)
    names = list(_NAMES_ZH) + (["张伟"] if twin else [])
    staff = pd.DataFrame(
        {
            "工号": [f"S{i + 1:03d}" for i in range(len(names))],
            "姓名": names,
            "所属团队": [("华东一组", "华东二组", "华北一组")[i % 3] for i in range(len(names))],
            "大区": [("华东", "华东", "华北")[i % 3] for i in range(len(names))],
            "入职日期": ["2022-01-01"] * len(names),
        }
    )
    with pd.ExcelWriter(folder / "销售人员.xlsx") as writer:
        staff.to_excel(writer, sheet_name="人员", index=False)
    if customers:
        accounts = pd.DataFrame(
            {
                "客户编号": [f"C{i:04d}" for i in range(11)],
                "客户名称": [f"客户{i:03d}有限公司" for i in range(11)],
                "行业": [("制造", "零售")[i % 2] for i in range(11)],
            }
        )
        accounts.to_csv(folder / "客户.csv", index=False, encoding="utf-8")
    return folder


def salesforce_funnel(folder: Path) -> Path:
    """leads.csv (Lead ID, Lead Source, SDR, Created Date, Converted Date), opportunities.csv
    (Opportunity ID, Lead ID, Owner, Stage, Amount, Close Date, Created Date) and users.csv (User ID,
    Full Name, Team, Region): SDRs and owners are named by their full name, users keyed by User ID.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sdrs, owners = ["Sam Reed", "Tia Ng"], ["Ann Lee", "Bob Cruz", "Cat Diaz"]
    leads = pd.DataFrame(
        {
            "Lead ID": [f"00Q{i:05d}" for i in range(90)],
            "Lead Source": [("Web", "Partner", "Event", "Cold Call")[i % 4] for i in range(90)],
            "SDR": [sdrs[i % 2] for i in range(90)],
            "Created Date": [(date(2025, 1, 1) + timedelta(days=i)).strftime("%m/%d/%Y") for i in range(90)],
            "Converted Date": [
                (date(2025, 1, 8) + timedelta(days=i)).strftime("%m/%d/%Y") if i % 3 == 0 else "" for i in range(90)
            ],
        }
    )
    leads.to_csv(folder / "leads.csv", index=False)
    stages = ("Prospecting", "Qualification", "Proposal", "Closed Won", "Closed Lost")
    opps = pd.DataFrame(
        {
            "Opportunity ID": [f"006{i:05d}" for i in range(30)],
            "Lead ID": [f"00Q{i * 3:05d}" for i in range(30)],
            "Owner": [owners[i % 3] for i in range(30)],
            "Stage": [stages[i % 5] for i in range(30)],
            "Amount": [f"{2500 + 100 * i}" for i in range(30)],
            "Close Date": [
                (date(2025, 3, 1) + timedelta(days=i * 3)).strftime("%m/%d/%Y") if stages[i % 5][:6] == "Closed" else ""
                for i in range(30)
            ],
            "Created Date": [(date(2025, 1, 8) + timedelta(days=i * 3)).strftime("%m/%d/%Y") for i in range(30)],
        }
    )
    opps.to_csv(folder / "opportunities.csv", index=False)
    people = owners + sdrs
    users = pd.DataFrame(
        {
            "User ID": [f"005{i:04d}" for i in range(len(people))],
            "Full Name": people,
            "Team": ["AE East", "AE East", "AE West", "SDR", "SDR"],
            "Region": ["East", "East", "West", "East", "East"],
        }
    )
    users.to_csv(folder / "users.csv", index=False)
    return folder


def order_lines_managers(folder: Path) -> Path:
    """sales.xlsx: sheet Orders (Order ID, Line, Order Date, Customer, Region, Product, Qty, Unit
    Price, Sales) and sheet Managers (Region, Manager): no rep column, the region's manager is the rep.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for order in range(40):
        for line in range(1, 2 + order % 3):
            qty, price = line + order % 4, 19.99 * line
            rows.append(
                {
                    "Order ID": f"CA-2025-{100000 + order}",
                    "Line": line,
                    "Order Date": date(2025, 1, 5) + timedelta(days=order * 2),
                    "Customer": f"Customer {order % 13}",
                    "Region": ("Central", "East", "South", "West")[order % 4],
                    "Product": f"SKU-{line}",
                    "Qty": qty,
                    "Unit Price": price,
                    "Sales": round(qty * price, 2),
                }
            )
    managers = pd.DataFrame(
        {
            "Region": ["Central", "East", "South", "West"],
            "Manager": ["Kelly Williams", "Chuck Magee", "Cassandra Brandow", "Anna Andreadi"],
        }
    )
    with pd.ExcelWriter(folder / "sales.xlsx") as writer:
        pd.DataFrame(rows).to_excel(writer, sheet_name="Orders", index=False)
        managers.to_excel(writer, sheet_name="Managers", index=False)
    return folder


def chinese_orders_payments(folder: Path) -> Path:
    """订单.csv (GBK: 订单号, 下单日期, 客户, 业务员, 订单金额) and 回款.csv (GBK: 回款单号, 回款日期,
    回款金额, 订单号): bookings and the money received against them, no invoices.
    """
    folder.mkdir(parents=True, exist_ok=True)
    orders = [["订单号", "下单日期", "客户", "业务员", "订单金额"]]
    payments = [["回款单号", "回款日期", "回款金额", "订单号"]]
    for i in range(45):
        day = date(2025, 1, 3) + timedelta(days=i * 5)
        amount = 8000 + 250 * i
        orders.append([f"DD{20250000 + i}", day.strftime("%Y-%m-%d"), f"客户{i % 9}", _NAMES_ZH[i % 4], f"{amount:,}"])
        if i % 3:
            paid = day + timedelta(days=30)
            payments.append([f"HK{i:05d}", paid.strftime("%Y-%m-%d"), f"{amount:,}", f"DD{20250000 + i}"])
    for name, rows in (("订单.csv", orders), ("回款.csv", payments)):
        with (folder / name).open("w", encoding="gbk", newline="") as fh:
            csv.writer(fh).writerows(rows)
    return folder


def weekly_mmm(folder: Path, weeks: int = 30) -> Path:
    """One weekly marketing-mix file: DATE, revenue, tv_S, search_S, facebook_I, competitor_sales_B, events."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "DATE": (date(2024, 1, 1) + timedelta(weeks=i)).isoformat(),
            "revenue": 100_000 + 1_000 * i,
            "tv_S": 5_000.0 if i % 3 else 0.0,
            "search_S": 1_000.0 + 10 * i,
            "facebook_I": 200_000 + i,
            "competitor_sales_B": 900_000 - i,
            "events": "event1" if i == 5 else "na",
        }
        for i in range(weeks)
    ]
    pd.DataFrame(rows).to_csv(folder / "weekly_mmm.csv", index=False)
    return folder


def monthly_sales(folder: Path) -> Path:
    """Monthly sales ("2020 Jan", Sales) beside series that are no sales export."""
    folder.mkdir(parents=True, exist_ok=True)
    months = pd.date_range("2020-01-01", periods=24, freq="MS")
    pd.DataFrame(
        {"rownames": range(1, 25), "Month": months.strftime("%Y %b"), "Sales": [1000.5 + 10 * i for i in range(24)]}
    ).to_csv(folder / "shop_monthly_sales.csv", index=False)
    pd.DataFrame({"rownames": range(1, 31), "time": range(1, 31), "value": [200.0 + i for i in range(30)]}).to_csv(
        folder / "index_series.csv", index=False
    )
    pd.DataFrame({"rownames": range(1, 11), "tsales": range(100, 110), "margin": [40.0] * 10}).to_csv(
        folder / "stores_cross_section.csv", index=False
    )
    pd.DataFrame(
        {"月份": months[:12].strftime("%Y-%m"), "销售额": range(500, 512), "抖音投放费用": [30.0] * 12}
    ).to_csv(folder / "门店月度.csv", index=False)
    (folder / "shop_monthly_sales.DESCRIPTION.txt").write_text(
        "Sales| R Documentation\n---|---\n\n## Monthly sales of a shop\n\nA data frame with 24 rows.\n",
        encoding="utf-8",
    )
    return folder


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def closed_deals_funnel(folder: Path) -> Path:
    """A marketing-lead funnel in two files (as Olist's): leads (mql_id, first_contact_date, origin)
    and closed deals (mql_id, seller_id = the account won, sdr_id, sr_id = the rep, won_date,
    lead_type, declared_monthly_revenue). No stage column: every closed deal is a win."""
    folder.mkdir(parents=True, exist_ok=True)
    leads = [["mql_id", "first_contact_date", "landing_page_id", "origin"]]
    deals = [["mql_id", "seller_id", "sdr_id", "sr_id", "won_date", "lead_type", "declared_monthly_revenue"]]
    for i in range(120):
        leads.append([f"m{i:04x}", _day(i), f"lp{i % 7}", ("organic_search", "paid_search", "social", "")[i % 4]])
        if i % 3 == 0:
            won = f"{_day(i + 20)} 10:{i % 60:02d}:00"
            kind = ("online_medium", "industry", "offline")[i % 3]
            deals.append([f"m{i:04x}", f"s{i:05x}", f"sdr{i % 4}", f"sr{i % 6}", won, kind, str(1000.0 * (i % 5))])
    _write_csv(folder / "marketing_qualified_leads.csv", leads)
    _write_csv(folder / "closed_deals.csv", deals)
    return folder


def superstore(folder: Path) -> Path:
    """One workbook as the retail 'Superstore' sample: an Orders sheet of order lines (Order ID,
    Order Date, Customer ID, Region, Product ID, Sales, Quantity, Profit), a People sheet (Person,
    Region: the regional managers) and a Returns sheet (Returned, Order ID)."""
    folder.mkdir(parents=True, exist_ok=True)
    people = {"West": "Anna Andreadi", "East": "Chuck Magee", "Central": "Kelly Williamson"}
    lines = []
    for i in range(90):
        region = list(people)[i % 3]
        lines.append(
            {
                "Row ID": i + 1,
                "Order ID": f"CA-2025-{100 + i // 2}",
                "Order Date": date(2025, 1, 1) + timedelta(days=(i // 2) * 3),
                "Customer ID": f"CG-{10 + (i // 2) % 9}",
                "Customer Name": f"Customer {(i // 2) % 9}",
                "Region": region if i % 2 == 0 else list(people)[(i - 1) % 3],
                "Product ID": f"FUR-{i % 5}",
                "Sales": 100.0 + i,
                "Quantity": 1 + i % 3,
                "Profit": 10.0 + i % 7,
            }
        )
    with pd.ExcelWriter(folder / "Sample - Superstore.xlsx") as book:
        pd.DataFrame(lines).to_excel(book, sheet_name="Orders", index=False)
        pd.DataFrame({"Person": list(people.values()), "Region": list(people)}).to_excel(
            book, sheet_name="People", index=False
        )
        pd.DataFrame({"Returned": ["Yes"], "Order ID": ["CA-2025-100"]}).to_excel(
            book, sheet_name="Returns", index=False
        )
    return folder
