"""Collections and customer value at scale (issue 22): what leaves the engine is bounded — the
overdue list and the credits (first rows + their count), the customer aging (top customers chosen
in the engine), the predictive LTV's customers (a fixed sample above a threshold, totals scaled)
— and on a source below the bounds the results are those of the whole data."""

from __future__ import annotations

import datetime as dt
import importlib

import pandas as pd
import pytest

from salesops_lib.analyses.collections_customers import CollectionsCustomersParams, ltv_sample
from salesops_lib.analyses.collections_customers import receivables as ar
from salesops_lib.analyses.collections_customers.predictive import LtvPrediction, predict_ltv
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset, connect
from tests.conftest import PLANTED

AS_OF = dt.date(2025, 6, 30)
cc = importlib.import_module(
    "salesops_lib.analyses.collections_customers.compute"
)  # the package's compute is the function


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return connect(PLANTED)


def test_the_overdue_list_and_credits_are_bounded_and_counted(ds: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    items = ar.open_items(ds, AS_OF)
    every = ar.chase_list(ds, items, pd.Series(dtype=float), top=None, max_days=None)
    credits = items.credits.execute()
    assert len(every) > 7 and len(credits) > 3
    monkeypatch.setattr(cc, "LIST_ROWS", 7)
    result = cc.compute_receivables(ds, RunScope(source=PLANTED, period="2025-06"), CollectionsCustomersParams())
    assert len(result.overdue) == 7 and result.overdue_total == len(every)
    assert (result.overdue["expected_unpaid"].diff().dropna() <= 0).all()  # the chase order, worst first
    assert len(result.credits) == 7 and result.credit_customers == len(credits)
    assert result.credit_total == pytest.approx(credits["credit"].sum())
    assert list(result.credits["credit"]) == sorted(credits["credit"], reverse=True)[:7]


def test_names_joined_in_the_engine_are_those_looked_up_in_pandas(ds: Dataset) -> None:
    items = ar.open_items(ds, AS_OF)
    engine = ar.chase_list(ds, items, pd.Series(dtype=float), top=200, max_days=None)
    looked_up = ar.with_names(ds, engine.drop(columns=["customer", "owner_name", "region"]))
    for column in ("customer", "owner_name", "region"):
        assert engine[column].tolist() == looked_up[column].tolist()


def test_the_customer_aging_of_the_top_customers_equals_the_full_pivot(ds: Dataset) -> None:
    items = ar.open_items(ds, AS_OF)
    full = ar.aging(ds, ar.open_by_owner(items), "customer").head(12)
    top = ar.aging(ds, ar.top_customer_cells(items, 12), "customer")
    pd.testing.assert_frame_equal(full.reset_index(drop=True), top.reset_index(drop=True))
    for level in ("company", "region", "rep"):
        by_rep = ar.aging(ds, ar.open_by_owner(items, by=("rep_id",)), level)
        pd.testing.assert_frame_equal(ar.aging(ds, ar.open_by_owner(items), level), by_rep)


def _predict(ds: Dataset) -> LtvPrediction:
    prediction = predict_ltv(ds, AS_OF)
    assert prediction is not None
    return prediction


def test_a_large_customer_base_is_fitted_on_a_fixed_sample_with_totals_scaled(
    ds: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _predict(ds)
    assert whole.sample == 0 and whole.population > 300  # the demos are not sampled
    monkeypatch.setattr(ltv_sample, "SAMPLE_ABOVE", 100)
    monkeypatch.setattr(ltv_sample, "SAMPLE_SIZE", whole.population // 3)
    monkeypatch.setattr(ltv_sample, "TOP_CANDIDATES", 50)
    sampled, again = _predict(ds), _predict(ds)
    assert sampled.population == whole.population
    assert 0.8 < sampled.sample / (whole.population / 3) < 1.2
    assert sampled.total_gp == again.total_gp and sampled.top.equals(again.top)  # the same sample every run
    assert sampled.by_dimension["segment"]["customers"].sum() == pytest.approx(whole.population, rel=0.01)
    assert sampled.total_gp == pytest.approx(whole.total_gp, rel=0.25)
    assert sampled.holdout["customers"] == pytest.approx(whole.holdout["customers"])
    # the largest customers are ranked whether or not they are in the sample
    assert sampled.top["customer_id"].iloc[0] == whole.top["customer_id"].iloc[0]


def test_naming_every_rep_reads_the_reps_table_with_the_same_names(
    ds: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    owners = ds.table("reps").select("rep_id").execute()["rep_id"].head(40)
    frame = pd.DataFrame({"customer_id": None, "owner": owners})
    by_id = ar.with_names(ds, frame)
    monkeypatch.setattr(ar, "REPS_BY_ID", 10)
    pd.testing.assert_frame_equal(ar.with_names(ds, frame), by_id)
