"""Collections and customer value: open items (partial and over-payments, credit notes, no due
date), aging edges, CEI, the slip test and the BG/NBD / Gamma-Gamma models on hand-built or
simulated data; the demo's planted collections slip and churning key account (and a quiet null
variant), the hold-out calibration; Maven won value and deals per customer against hand SQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import special

from salesops_lib.analyses.collections_customers import CollectionsCustomersParams, CollectionsCustomersResult, compute
from salesops_lib.analyses.collections_customers import customers as cust
from salesops_lib.analyses.collections_customers import receivables as ar
from salesops_lib.analyses.collections_customers.ltv_model import BgNbd, fit_bgnbd, fit_gamma_gamma
from salesops_lib.analyses.collections_customers.predictive import calibration_table
from salesops_lib.analyses.collections_customers.slip import ratio_and_variance, slip_test
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset
from tests.builders import d, dataset_from_frames, reps_frame
from tests.conftest import NULL, PLANTED

AS_OF = dt.date(2024, 6, 30)

# --------------------------------------------------------------------------- hand-built receivables


def _frames(invoices: list[tuple], payments: list[tuple]) -> dict[str, pd.DataFrame]:
    """Orders o1…o4 (customers c1…c3, reps r1 north / r2 south), the given invoices and payments.

    invoices: (invoice_id, order_id, issued, due or None, amount); payments: (invoice_id, paid, amount).
    """
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4"],
            "customer_id": ["c1", "c1", "c2", "c3"],
            "rep_id": ["r1", "r1", "r2", "r2"],
            "ordered_at": [d("2024-01-01")] * 4,
            "amount": [1500.0, 500.0, 800.0, 300.0],
            "cost": [None, 100.0, 400.0, 100.0],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3"],
            "name": ["甲公司", "乙公司", "丙公司"],
            "industry": ["retail", "energy", "retail"],
            "region": ["north", "south", "south"],
            "segment": ["smb", "enterprise", "smb"],
            "created_at": [d("2023-01-01")] * 3,
        }
    )
    inv = pd.DataFrame(
        {
            "invoice_id": [i[0] for i in invoices],
            "order_id": [i[1] for i in invoices],
            "issued_at": [d(i[2]) for i in invoices],
            "due_at": [d(i[3]) if i[3] else None for i in invoices],
            "amount": [float(i[4]) for i in invoices],
        }
    ).astype({"due_at": "object"})
    pay = pd.DataFrame(
        {
            "payment_id": [f"p{k}" for k in range(len(payments))],
            "invoice_id": [p[0] for p in payments],
            "paid_at": [d(p[1]) for p in payments],
            "amount": [float(p[2]) for p in payments],
        }
    )
    reps = reps_frame([("r1", "t-north", "north"), ("r2", "t-south", "south")])
    return {"reps": reps, "customers": customers, "orders": orders, "invoices": inv, "payments": pay}


INVOICES = [
    ("i1", "o1", "2024-04-01", "2024-05-01", 1000),  # partial payment: 400 paid
    ("i2", "o1", "2024-05-15", "2024-07-14", 500),  # same order, later due: a credit note hits i1 first
    ("n1", "o1", "2024-06-01", None, -300),  # credit note on o1
    ("i3", "o2", "2024-03-01", "2024-03-31", 500),  # over-paid by 100
    ("i4", "o3", "2024-06-10", None, 800),  # no due date: due on issue (20 days past due)
    ("i5", "o4", "2024-01-10", "2024-02-09", 300),  # paid in two parts that add up exactly
    ("n2", "o4", "2024-03-01", None, -50),  # credit note on a paid order: nothing to apply
    ("i6", "o3", "2024-07-05", "2024-08-04", 999),  # issued after as_of: not there yet
]
PAYMENTS = [
    ("i1", "2024-05-20", 400),
    ("i3", "2024-04-01", 600),
    ("i5", "2024-02-01", 100.1),
    ("i5", "2024-02-05", 199.9),
    ("i4", "2024-07-02", 800),  # after as_of: ignored
]


@pytest.fixture(scope="module")
def receivables_ds(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return dataset_from_frames(tmp_path_factory.mktemp("ar"), _frames(INVOICES, PAYMENTS))


@pytest.fixture(scope="module")
def items(receivables_ds: Dataset) -> pd.DataFrame:
    return ar.open_items(receivables_ds, AS_OF).items.execute().set_index("invoice_id")


def test_partial_payment_leaves_the_rest_open_and_a_credit_note_reduces_the_earliest_due(items: pd.DataFrame) -> None:
    assert items.loc["i1", "paid"] == 400
    assert items.loc["i1", "credited"] == 300 and items.loc["i1", "open"] == 300  # 1000 − 400 − 300
    assert items.loc["i2", "credited"] == 0 and items.loc["i2", "open"] == 500
    assert items.loc["i1", "days_past_due"] == 60 and items.loc["i1", "bucket"] == "31-60"
    assert "n1" not in items.index  # credit notes are not open items


def test_over_payment_never_gives_a_negative_balance_but_a_credit(receivables_ds: Dataset, items: pd.DataFrame) -> None:
    assert items.loc["i3", "open"] == 0 and items.loc["i3", "overpaid"] == 100
    credits = ar.open_items(receivables_ds, AS_OF).credits.execute().set_index("customer_id")
    assert credits.loc["c1", "overpaid"] == 100 and credits.loc["c1", "unapplied_credit_notes"] == 0
    assert credits.loc["c3", "unapplied_credit_notes"] == 50  # the note on the paid order o4
    assert (items["open"] >= 0).all()


def test_invoice_without_due_date_is_due_on_issue_and_late_payments_are_ignored(items: pd.DataFrame) -> None:
    assert pd.Timestamp(items.loc["i4", "due"]) == pd.Timestamp("2024-06-10")
    assert items.loc["i4", "days_past_due"] == 20 and items.loc["i4", "open"] == 800  # paid 2 July: after as_of


def test_part_payments_that_add_up_leave_nothing_and_future_invoices_are_absent(
    receivables_ds: Dataset, items: pd.DataFrame
) -> None:
    assert items.loc["i5", "open"] == 0 and items.loc["i5", "overpaid"] == 0
    assert "i6" not in items.index
    credits = ar.open_items(receivables_ds, AS_OF).credits.execute()
    assert set(credits["customer_id"]) == {"c1", "c3"}  # no float dust credit for c3's exact payments


def test_aging_by_region_customer_and_company(receivables_ds: Dataset) -> None:
    cells = ar.open_by_owner(ar.open_items(receivables_ds, AS_OF))
    region = ar.aging(receivables_ds, cells, "region").set_index("unit")
    assert region.loc["north", "31-60"] == 300 and region.loc["north", "current"] == 500
    assert region.loc["south", "1-30"] == 800 and region.loc["south", "overdue_share"] == 1.0
    company = ar.aging(receivables_ds, cells, "company").iloc[0]
    assert company["open"] == 1600 and company["overdue"] == 1100 and company["invoices"] == 3
    customer = ar.aging(receivables_ds, cells, "customer").set_index("unit")
    assert customer.loc["c1", "open"] == 800 and customer.loc["c2", "open"] == 800


def test_bucket_edges(tmp_path: Path) -> None:
    as_of = dt.date(2024, 6, 30)
    days = [0, 1, 30, 31, 60, 61, 90, 91, -5]
    invoices = [(f"e{k}", "o1", "2024-01-01", (as_of - dt.timedelta(days=k)).isoformat(), 100) for k in days]
    frames = _frames(invoices, [])
    ds = dataset_from_frames(tmp_path, frames)
    got = ar.open_items(ds, as_of).items.execute().set_index("invoice_id")["bucket"]
    expected = ["current", "1-30", "1-30", "31-60", "31-60", "61-90", "61-90", "90+", "current"]
    assert [got[f"e{k}"] for k in days] == expected


def test_cei_and_receivables_by_month(tmp_path: Path) -> None:
    frames = _frames(
        [("a", "o1", "2024-01-05", "2024-02-04", 1000), ("b", "o1", "2024-01-20", None, 500)],
        [("a", "2024-02-10", 1000)],
    )
    ds = dataset_from_frames(tmp_path, frames)
    monthly = ar.monthly_receivables(ds, [dt.date(2024, 1, 1), dt.date(2024, 2, 1)], "company").set_index("period")
    jan, feb = monthly.loc["2024-01-01"], monthly.loc["2024-02-01"]
    assert (jan["invoiced"], jan["collected"], jan["receivable"], jan["current"]) == (1500, 0, 1500, 1000)
    assert jan["past_due"] == 500 and jan["cei"] == 0
    assert (feb["collected"], feb["receivable"], feb["current"], feb["past_due"]) == (1000, 500, 0, 500)
    assert feb["cei"] == pytest.approx(100 * 1000 / 1500)


def test_chase_list_ranks_by_expected_unpaid_and_names_the_owner(receivables_ds: Dataset) -> None:
    outlook = pd.Series({"1-30": 0.1, "31-60": 0.5, "61-90": 0.6, "90+": 0.9})
    chase = ar.chase_list(receivables_ds, ar.open_items(receivables_ds, AS_OF), outlook, top=5)
    assert list(chase["invoice_id"]) == ["i1", "i4"]  # 300 × 0.5 = 150 before 800 × 0.1 = 80; i2 not yet due
    assert chase.loc[0, "customer"] == "甲公司" and chase.loc[0, "owner"] == "r1" and chase.loc[0, "region"] == "north"
    assert chase.loc[0, "expected_unpaid"] == pytest.approx(150)


# --------------------------------------------------------------------------- the slip test


def _moments(spec: dict[tuple[str, str], list[tuple[float, float]]]) -> pd.DataFrame:
    rows = []
    for (label, unit), clusters in spec.items():
        u = np.array([c[0] for c in clusters])
        a = np.array([c[1] for c in clusters])
        rows.append(
            {
                "label": label,
                "unit": unit,
                "unpaid": u.sum(),
                "due": a.sum(),
                "uu": (u * u).sum(),
                "ua": (u * a).sum(),
                "aa": (a * a).sum(),
                "clusters": len(clusters),
            }
        )
    return pd.DataFrame(rows)


def test_cluster_robust_variance_matches_the_direct_formula() -> None:
    clusters = [(10.0, 100.0), (0.0, 50.0), (30.0, 60.0), (5.0, 90.0)]
    share, var = ratio_and_variance(_moments({("current", "x"): clusters}).iloc[0])
    u, a = np.array(clusters).T
    p = u.sum() / a.sum()
    assert share == pytest.approx(p)
    assert var == pytest.approx(4 / 3 * np.sum((u - p * a) ** 2) / a.sum() ** 2)


def test_slip_needs_significance_against_history_and_peers_and_a_material_rise() -> None:
    rng = np.random.default_rng(0)

    def clusters(share: float, n: int) -> list[tuple[float, float]]:
        amounts = rng.uniform(50, 150, n)
        return [(float(x * (rng.random() < share)), float(x)) for x in amounts]

    spec = {}
    for unit in ("a", "b", "c", "d"):
        spec[("current", unit)] = clusters(0.2, 400)
        spec[("history", unit)] = clusters(0.2, 1600)
    spec[("current", "slipping")] = clusters(0.5, 400)
    spec[("history", "slipping")] = clusters(0.2, 1600)
    spec[("current", "small")] = clusters(0.6, 6)  # a big rise on six invoices: not significant
    spec[("history", "small")] = clusters(0.2, 24)
    result = slip_test(_moments(spec), alpha=0.001, min_increase=0.10).set_index("unit")
    assert list(result.index[result["slipping"]]) == ["slipping"]
    assert result.loc["slipping", "excess_unpaid"] > 0
    # a significant but immaterial rise is no slip
    spec[("current", "slipping")] = clusters(0.27, 4000)
    result = slip_test(_moments(spec), alpha=0.001, min_increase=0.10).set_index("unit")
    assert not result["slipping"].any() and result.loc["slipping", "z_history"] > 3


# --------------------------------------------------------------------------- BG/NBD and Gamma-Gamma


def _simulate_bgnbd(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    rng: np.random.Generator,
    observed: tuple[float, float] = (26, 104),
    holdout: float = 26.0,
) -> tuple[np.ndarray, ...]:
    """Customers bought at week 0; λ ~ Gamma(r, α), p ~ Beta(a, b); each repeat purchase may end them."""
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    T = rng.uniform(*observed, n)
    x, t_x, later = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T[i] + holdout:
                break
            if t <= T[i]:
                x[i], t_x[i] = x[i] + 1, t
            else:
                later[i] += 1
            if rng.random() < p[i]:
                break
    return x, t_x, T, later


@pytest.fixture(scope="module")
def population() -> tuple[np.ndarray, ...]:
    return _simulate_bgnbd(6000, r=0.5, alpha=5.0, a=1.5, b=4.0, rng=np.random.default_rng(7))


def test_bgnbd_recovers_known_parameters(population: tuple[np.ndarray, ...]) -> None:
    x, t_x, T, _ = population
    model = fit_bgnbd(x, t_x, T)
    assert model.converged
    for fitted, true, tolerance in (
        (model.r, 0.5, 0.15),
        (model.alpha, 5.0, 0.2),
        (model.a, 1.5, 0.35),
        (model.b, 4.0, 0.4),
    ):
        assert abs(fitted / true - 1) < tolerance, (fitted, true)


def test_bgnbd_predictions_are_calibrated_on_the_simulated_holdout(population: tuple[np.ndarray, ...]) -> None:
    x, t_x, T, later = population
    predicted = fit_bgnbd(x, t_x, T).expected_purchases(26.0, x, t_x, T)
    assert predicted.sum() / later.sum() == pytest.approx(1.0, abs=0.06)
    table = calibration_table(
        pd.DataFrame({"predicted": predicted, "actual": later, "predicted_revenue": predicted, "actual_revenue": later})
    )
    assert list(table["decile"]) == list(range(1, 11))
    top = table.iloc[-5:]
    assert ((top["ratio"] > 0.8) & (top["ratio"] < 1.25)).all()  # the deciles that buy, within 20 %


def test_conditional_expectation_equals_the_published_closed_form() -> None:
    """Euler's transformation (used for stability) gives the same number as FHL (2005) eq. 10."""
    model = BgNbd(r=0.8, alpha=6.0, a=1.7, b=3.2, log_likelihood=0.0, converged=True)
    x, t_x, T, t = np.array([0.0, 2.0, 7.0]), np.array([0.0, 10.0, 30.0]), np.array([40.0, 40.0, 52.0]), 26.0
    r, alpha, a, b = 0.8, 6.0, 1.7, 3.2
    z = t / (alpha + T + t)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    tail = 1 + (x > 0) * a / np.maximum(b + x - 1, 1e-9) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    np.testing.assert_allclose(model.expected_purchases(t, x, t_x, T), head / tail, rtol=1e-9)
    heavy = model.expected_purchases(26.0, np.array([400.0]), np.array([155.0]), np.array([156.0]))
    assert np.isfinite(heavy).all() and heavy[0] > 0
    assert model.p_alive(np.array([0.0]), np.array([0.0]), np.array([10.0]))[0] == 1.0


def test_gamma_gamma_recovers_known_parameters() -> None:
    rng = np.random.default_rng(3)
    n, p, q, gamma = 5000, 3.0, 6.0, 200.0
    nu = rng.gamma(q, 1 / gamma, n)
    x = rng.integers(1, 12, n)
    m = np.array([rng.gamma(p, 1 / v, k).mean() for v, k in zip(nu, x, strict=True)])
    model = fit_gamma_gamma(x, m)
    assert model.converged
    assert abs(model.p / p - 1) < 0.1 and abs(model.q / q - 1) < 0.2 and abs(model.gamma / gamma - 1) < 0.25
    assert model.population_mean == pytest.approx(p * gamma / (q - 1), rel=0.1)
    with pytest.raises(ValueError):
        fit_gamma_gamma(np.array([0, 0]), np.array([np.nan, np.nan]))


# --------------------------------------------------------------------------- customers on hand-built data


def test_customer_values_count_gross_profit_with_missing_costs(receivables_ds: Dataset) -> None:
    values = cust.customer_values(receivables_ds, AS_OF).execute().set_index("customer_id")
    assert values.loc["c1", "revenue"] == 2000 and values.loc["c1", "gross_profit"] == 1500 + 400  # o1 has no cost
    assert values.loc["c1", "bookings"] == 2 and values.loc["c1", "owner"] == "r1"
    assert values.loc["c2", "name"] == "乙公司" and values.loc["c2", "segment"] == "enterprise"


def test_cohorts_count_quarters_after_the_first_booking(tmp_path: Path) -> None:
    rows = [
        ("a", "2023-01-05"),
        ("a", "2023-04-20"),
        ("a", "2023-10-15"),
        ("b", "2023-02-10"),
        ("b", "2023-02-11"),
        ("c", "2023-08-01"),
        ("z", "2022-01-01"),
    ]
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(rows))],
            "customer_id": [r[0] for r in rows],
            "rep_id": "r1",
            "ordered_at": [d(r[1]) for r in rows],
            "amount": 100.0,
            "cost": 40.0,
        }
    )
    ds = dataset_from_frames(tmp_path, {"reps": reps_frame([("r1", "t", "n")]), "orders": orders})
    cohorts = cust.cohort_retention(ds, dt.date(2023, 12, 31), warmup_months=12).set_index(["cohort", "k"])
    q1 = pd.Timestamp("2023-01-01")
    assert cohorts.loc[(q1, 0), "customers"] == 2 and cohorts.loc[(q1, 1), "active"] == 1  # a in April (month 3)
    assert cohorts.loc[(q1, 1), "retention"] == 0.5 and cohorts.loc[(q1, 1), "gross_profit"] == 30
    assert cohorts.loc[(q1, 2), "active"] == 0 and cohorts.loc[(q1, 2), "retention"] == 0  # complete, nobody
    assert (q1, 3) not in cohorts.index  # a's October order: months 9–11 after March are not complete by December
    assert pd.Timestamp("2022-01-01") not in cohorts.index.get_level_values("cohort")  # warm-up


# --------------------------------------------------------------------------- key accounts: owner and risk


def _bookings_ds(folder: Path, rows: list[tuple[str, str, str, float]]) -> Dataset:
    """Orders from (customer, rep, day, amount)."""
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(rows))],
            "customer_id": [r[0] for r in rows],
            "rep_id": [r[1] for r in rows],
            "ordered_at": [d(r[2]) for r in rows],
            "amount": [r[3] for r in rows],
            "cost": 0.0,
        }
    )
    reps = reps_frame([("r1", "t", "n"), ("r2", "t", "n"), ("r3", "t", "n")])
    return dataset_from_frames(folder, {"reps": reps, "orders": orders})


def test_the_account_owner_is_the_rep_with_most_value_ties_to_the_latest_deal_then_the_smallest_id(
    tmp_path: Path,
) -> None:
    """Issue 18: the owner was the mode of the bookings, ties broken at random (pages named two owners)."""
    from salesops_lib.analyses.churn import key_account_risk

    ds = _bookings_ds(
        tmp_path,
        [
            *[("most", "r1", f"2024-0{m}-05", 10.0) for m in (1, 2, 3)],  # r1: three small deals
            ("most", "r2", "2024-01-10", 500.0),  # r2: one large deal (the mode would say r1)
            ("latest", "r3", "2024-01-05", 100.0),
            ("latest", "r1", "2024-01-20", 100.0),  # tie in value: r1 booked last
            ("same", "r3", "2024-01-05", 100.0),
            ("same", "r2", "2024-01-05", 100.0),  # tie in value and day: the smaller id, r2
        ],
    )
    as_of = dt.date(2024, 12, 31)
    expected = {"most": "r2", "latest": "r1", "same": "r2"}
    for _ in range(3):  # the same answer every run
        values = cust.customer_values(ds, as_of).execute().set_index("customer_id")["owner"]
        assert values.to_dict() == expected
    risk = key_account_risk(ds, as_of, silence_factor=0.1).set_index("customer_id")["owner"]
    assert risk.to_dict() == {k: v for k, v in expected.items() if k in risk.index} and len(risk) == 3


def test_a_growing_account_is_never_silent_and_nothing_at_risk_is_no_alert(tmp_path: Path) -> None:
    """Issue 18: 'silent account' alerts fired for an account that rose 102 % with 0 at risk."""
    from salesops_lib.analyses.churn import key_account_risk

    ds = _bookings_ds(
        tmp_path,
        [
            *[("growing", "r1", f"2024-01-0{k}", 100.0) for k in (5, 6, 7)],  # 300 in the window before
            ("growing", "r1", "2024-07-01", 303.0),
            ("growing", "r1", "2024-07-02", 303.0),  # 606 since July (+102 %), then six months of quiet
            *[("fading", "r2", f"2024-0{m}-05", 100.0) for m in range(1, 7)],  # 600, then nothing
            *[("steady", "r3", f"2024-{m:02d}-05", 100.0) for m in (1, 2, 3, 7, 8, 9)],  # 300 and 300, quiet since
        ],
    )
    risk = key_account_risk(ds, dt.date(2024, 12, 31)).set_index("customer_id")
    assert list(risk.index) == ["fading"] and risk.loc["fading", "value_at_risk"] == 1200
    assert (risk["value_at_risk"] > 0).all()


# --------------------------------------------------------------------------- the demo: planted truth and null


def _scope(source: str) -> RunScope:
    return RunScope(source=source, period="2025-06")


@pytest.fixture(scope="module")
def planted() -> tuple[Dataset, CollectionsCustomersResult]:
    from salesops_lib.data import connect

    ds = connect(PLANTED)
    return ds, compute(ds, _scope(PLANTED), CollectionsCustomersParams())


@pytest.fixture(scope="module")
def null() -> CollectionsCustomersResult:
    from salesops_lib.data import connect

    return compute(connect(NULL), _scope(NULL), CollectionsCustomersParams())


def _truth(ds: Dataset, kind: str):  # type: ignore[no-untyped-def]
    from salesops_lib.data.demo import load_truth

    return load_truth(Path(ds.source)).effect(kind)


@pytest.mark.slow
def test_planted_collections_slip_flags_exactly_its_region(planted: tuple[Dataset, CollectionsCustomersResult]) -> None:
    ds, result = planted
    truth = _truth(ds, "collections_slip")
    slips = [f for f in result.findings if f.kind == "collections_slip"]
    assert [f.unit for f in slips] == [truth.where["unit_id"]]
    assert slips[0].severity == "high" and slips[0].at_stake > 0
    measured = truth.magnitude["measured"]
    slip = result.receivables.slip.set_index("unit")  # type: ignore[union-attr]
    for region, share in measured["overdue_share_at"]["2025-06-30"].items():  # the manifest's own definition
        assert slip.loc[region, "share"] == pytest.approx(share, abs=1e-4)
    rates = result.receivables.collection_by_region.set_index("unit")  # type: ignore[union-attr]
    for region, rate in measured["collection_rate"].items():
        assert rates.loc[region, "recent"] == pytest.approx(rate["last_3_months"], abs=1e-4)
        assert rates.loc[region, "previous"] == pytest.approx(rate["previous_12_months"], abs=1e-4)
    assert slips[0].value == pytest.approx(
        measured["collection_rate"][truth.where["unit_id"]]["last_3_months"], abs=1e-4
    )


def test_planted_churning_key_account_is_flagged_through_the_shared_risk(
    planted: tuple[Dataset, CollectionsCustomersResult],
) -> None:
    ds, result = planted
    truth = _truth(ds, "churn_risk")
    churn = [f for f in result.findings if f.kind == "key_account_churn" and f.severity != "low"]
    assert [f.unit for f in churn] == [truth.where["customer_id"]]  # other accounts that fell are watch items
    assert churn[0].facts["owner_id"] == truth.where["owner_rep_id"] and churn[0].severity == "high"
    assert churn[0].facts["change"] == pytest.approx(truth.magnitude["measured"]["account"]["change"], abs=1e-3)


@pytest.mark.slow
def test_null_variant_raises_nothing_planted(null: CollectionsCustomersResult) -> None:
    kinds = {f.kind for f in null.findings if f.severity != "low"}
    assert not kinds & {"collections_slip", "key_account_churn"}
    assert not [f for f in null.findings if f.severity == "high"]
    assert not null.receivables.slip["slipping"].any() and not null.churn["significant"].any()  # type: ignore[union-attr]


def test_predictive_ltv_holdout_calibration_is_reported(planted: tuple[Dataset, CollectionsCustomersResult]) -> None:
    _, result = planted
    prediction = result.customers.prediction
    assert prediction is not None
    table = prediction.calibration
    assert list(table["decile"]) == list(range(1, 11)) and table["customers"].sum() == prediction.holdout["customers"]
    assert prediction.holdout["cutoff"] == "2024-12-30" and prediction.holdout["end"] == "2025-06-30"
    # the ranking holds: actual purchases rise with the predicted decile, and the level is within a band
    assert np.corrcoef(table["predicted"], table["actual"])[0, 1] > 0.95
    assert 0.7 < prediction.holdout["ratio"] < 1.4
    assert any(f.kind == "ltv_calibration" for f in result.findings)


def test_predictive_ltv_headline_is_corrected_by_its_holdout_bias(
    planted: tuple[Dataset, CollectionsCustomersResult],
) -> None:
    _, result = planted
    prediction = result.customers.prediction
    assert prediction is not None and prediction.correction is not None
    fix = prediction.correction
    ratio = prediction.holdout["predicted_revenue"] / prediction.holdout["actual_revenue"]  # type: ignore[operator]
    assert fix.raw == pytest.approx(prediction.total_gp) and fix.bias == pytest.approx(ratio - 1)
    assert fix.status == "calibrated" and fix.headline == pytest.approx(fix.raw / ratio)
    outlook = next(f for f in result.findings if f.kind == "ltv_outlook")
    assert outlook.value == pytest.approx(fix.headline)  # the finding quotes the corrected figure
    calibration = next(f for f in result.findings if f.kind == "ltv_calibration")
    assert calibration.facts["status"] == "calibrated" and calibration.action == "headline_calibrated"


def _holdout(n: int, over: float, seed: int = 0) -> pd.DataFrame:
    actual = np.random.default_rng(seed).gamma(1.0, 100.0, n)
    return pd.DataFrame({"predicted_revenue": actual * (1 + over) + 1.0, "actual_revenue": actual})


def test_ltv_correction_calibrates_suppresses_or_leaves_the_headline() -> None:
    from salesops_lib.analyses.collections_customers.ltv_correction import MIN_BUYERS, correct

    good = correct(1200.0, _holdout(500, 0.2))
    assert good.status == "calibrated" and good.headline == pytest.approx(1000.0, rel=0.01)
    assert 0 < good.bias_se < 0.05 and good.buyers == 500
    few = _holdout(MIN_BUYERS - 1, 0.25)
    suppressed = correct(1200.0, few)
    assert suppressed.status == "suppressed" and suppressed.reason == "too_few_buyers"
    assert np.isnan(suppressed.headline) and suppressed.raw == 1200.0
    small = correct(1200.0, _holdout(MIN_BUYERS - 1, 0.05))
    assert small.status == "uncorrected" and small.headline == 1200.0
    # many customers but a bias driven by a handful of huge buyers: unstable, not corrected
    lumpy = _holdout(200, 0.0)
    lumpy.loc[:2, "predicted_revenue"] = 1e5
    assert correct(1200.0, lumpy).reason == "unstable_bias"


def test_ltv_page_shows_raw_calibrated_and_bias_or_says_why_not(
    planted: tuple[Dataset, CollectionsCustomersResult],
) -> None:
    import dataclasses

    from salesops_lib.analyses.collections_customers.ltv_correction import correct
    from salesops_lib.report import collections_customers as view
    from salesops_lib.report.formats import money

    result = planted[1]
    prediction = result.customers.prediction
    assert prediction is not None and prediction.correction is not None
    html = view.customers_tiles(result, "en").html
    assert "(calibrated)" in html and money(prediction.correction.headline, "en") in html
    assert money(prediction.correction.raw, "en") in html and "Hold-out revenue bias" in html
    suppressed = dataclasses.replace(prediction, correction=correct(prediction.total_gp, _holdout(10, 0.3)))
    changed = dataclasses.replace(result, customers=dataclasses.replace(result.customers, prediction=suppressed))
    html = view.customers_tiles(changed, "en").html
    assert "is not shown" in html and "Only 10 customers bought" in html
    from salesops_lib.analyses.collections_customers.findings import build_findings

    found = build_findings(changed, RunScope(period="2025-06"), CollectionsCustomersParams())
    assert not [f for f in found if f.kind == "ltv_outlook"]
    assert next(f for f in found if f.kind == "ltv_calibration").action == "headline_suppressed"


def test_receivable_figures_tie_out(planted: tuple[Dataset, CollectionsCustomersResult]) -> None:
    _, result = planted
    receivables = result.receivables
    assert receivables is not None
    company = receivables.aging["company"].iloc[0]
    regions = receivables.aging["region"]
    assert regions["open"].sum() == pytest.approx(company["open"])
    assert company["open"] == pytest.approx(company[["current", "1-30", "31-60", "61-90", "90+"]].sum())
    trend = receivables.trend[receivables.trend["unit"] == "company"].set_index("period")
    assert trend["past_due"].iloc[-1] <= trend["receivable"].iloc[-1]
    assert ((trend["cei"] > 0) & (trend["cei"] <= 100)).all()
    assert len(receivables.chase) == 20 and receivables.chase["days_past_due"].between(1, 365).all()


# --------------------------------------------------------------------------- Maven: customer value vs hand SQL


def test_maven_customer_won_value_and_deals_equal_hand_sql(maven: Dataset, maven_folder: Path) -> None:
    con = duckdb.connect()
    expected = (
        con.execute(f"""
        SELECT account AS customer_id,
               count(*) FILTER (WHERE deal_stage = 'Won')             AS won_deals,
               count(*)                                               AS closed_deals,
               sum(close_value) FILTER (WHERE deal_stage = 'Won')     AS won_value
        FROM read_csv_auto('{maven_folder / "sales_pipeline.csv"}')
        WHERE account IS NOT NULL AND deal_stage IN ('Won', 'Lost')
        GROUP BY 1 HAVING count(*) FILTER (WHERE deal_stage = 'Won') > 0 ORDER BY 1""")
        .df()
        .set_index("customer_id")
    )
    got = cust.customer_values(maven, dt.date(2017, 12, 31)).execute().set_index("customer_id")
    assert sorted(got.index) == sorted(expected.index)
    got = got.loc[expected.index]
    np.testing.assert_allclose(got["revenue"], expected["won_value"])  # bookings are the won deals
    np.testing.assert_array_equal(got["bookings"], expected["won_deals"])
    np.testing.assert_array_equal(got["won_deals"], expected["won_deals"])
    np.testing.assert_array_equal(got["closed_deals"], expected["closed_deals"])
    np.testing.assert_allclose(got["won_value"], expected["won_value"])


@pytest.mark.slow
def test_maven_report_runs_without_receivables(maven: Dataset) -> None:
    result = compute(maven, RunScope(period="2017-12", lang="en"), CollectionsCustomersParams())
    assert result.receivables is None and "invoices" in result.receivables_note
    assert result.customers.customers == 85
    assert not [f for f in result.findings if f.kind in ("collections_slip", "overdue_chase")]


# --------------------------------------------------------------------------- presentation


def test_every_finding_has_words_in_both_languages(
    planted: tuple[Dataset, CollectionsCustomersResult], null: CollectionsCustomersResult
) -> None:
    from salesops_lib.analyses.collections_customers import SPEC
    from salesops_lib.report.findings_text import finding_text, templates

    findings = [*planted[1].findings, *null.findings]
    assert {f.kind for f in findings} <= set(SPEC.finding_kinds) == set(templates("collections_customers"))
    assert {f.analysis for f in findings} == {"collections_customers"}
    for finding in findings:
        zh, en = finding_text(finding, "zh"), finding_text(finding, "en")
        assert "{" not in zh + en and zh != en
        assert any("\u4e00" <= c <= "\u9fff" for c in zh)


def test_sections_render_and_a_chinese_page_has_no_english_label(
    planted: tuple[Dataset, CollectionsCustomersResult],
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from salesops_lib.report import collections_customers as view
    from salesops_lib.report.i18n import catalogue

    result = planted[1]
    words = [*catalogue("collections_customers").labels.values(), *catalogue("glossary").labels.values()]
    for lang in ("zh", "en"):
        parts = [
            view.receivables_tiles(result, lang),
            view.trend_heading(result, lang),
            view.slip_section(result, lang),
            view.aging_section(result, lang),
            view.chase_section(result, lang),
            view.credits_section(result, lang),
            view.churn_section(result, lang),
            view.customers_tiles(result, lang),
            view.cohorts_heading(result, lang),
            view.historical_section(result, lang),
            view.predictive_section(result, lang),
            view.forecast_section(result, lang),
        ]
        html = "".join(p.html for p in parts)
        for figure in (
            view.collections_trend(result, lang),
            view.aging_chart(result, lang),
            view.cohort_heatmap(result, lang),
            view.calibration_plot(result, lang),
        ):
            assert isinstance(figure, Figure)
        if lang == "zh":
            english = {en for _, en in words if len(en) > 3} - {zh for zh, _ in words}
            assert not [label for label in english if f">{label}<" in html]
        assert "<script" not in html


def test_the_excel_download_lists_every_overdue_invoice(planted: tuple[Dataset, CollectionsCustomersResult]) -> None:
    """Issue 21: the page shows the chase list's first invoices; the download holds all overdue ones."""
    from salesops_lib.report.collections_customers import sheets

    _, result = planted
    assert result.receivables is not None
    overdue, chase = result.receivables.overdue, result.receivables.chase
    assert len(overdue) > len(chase) and (overdue["days_past_due"] > 0).all()
    assert set(chase["invoice_id"]) <= set(overdue["invoice_id"])  # doubtful ones too, which the chase list leaves out
    (sheet,) = sheets(result, "zh")
    assert sheet.title == "全部逾期发票" and len(sheet.rows) == len(overdue)
    assert "money" in sheet.kinds and "date" in sheet.kinds
