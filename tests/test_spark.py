"""Spark as the engine: the small demo's canonical tables in Parquet, opened as ``spark://local[2]``.

Every canonical table of the small demo (as of 2025-06-30) is written to a Parquet folder
(:func:`~salesops_lib.data.parquet_export.write_parquet_tables`) and opened through Ibis'
PySpark backend in local mode, as a user opens theirs. Every metric × grain must give exactly
the DuckDB figures, and the whole monthly review must publish. One Spark session (one JVM) for
the module; the review's report kernels start their own. Needs PySpark (the ``spark`` extra)
and Java 17: without them these tests skip, and fail under ``CI=true``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from salesops_lib.data import Dataset, connect
from salesops_lib.data.parquet_export import write_parquet_tables
from salesops_lib.errors import SourceError
from salesops_lib.metrics import Grain, compute_metric
from salesops_lib.runner.config import ReviewConfig
from tests.conftest import SMALL_DEMO_AS_OF
from tests.engine_cases import DEMO_FILTER, case_id, metric_cases, publishes_every_report

AS_OF = SMALL_DEMO_AS_OF
PERIOD = AS_OF[:7]
DEMO = f"demo:small:{AS_OF}"
REVIEW_SECONDS = 2400.0
"""Bound of the whole review on Spark local mode with one worker: its kernel's Spark driver (a JVM,
``local[2]`` uses both cores) runs the reports one after another, beside the runner's own."""
CASES = metric_cases(where=DEMO_FILTER)


def _need_spark() -> None:
    """Skip (fail under ``CI=true``) without PySpark or Java."""
    missing = []
    if importlib.util.find_spec("pyspark") is None:
        missing.append("PySpark (pip install 'salesops-workbench[spark]', or ./workbench test installs it)")
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        missing.append("Java 17 (scripts/test-services.sh start installs it)")
    if missing:
        reason = "Spark tests need " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def demo() -> Dataset:
    return connect(DEMO)


@pytest.fixture(scope="module")
def parquet_folder(demo: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's canonical tables as one Parquet file each."""
    folder = tmp_path_factory.mktemp("spark_parquet")
    write_parquet_tables(demo, folder)
    return folder


@pytest.fixture(scope="module")
def spark_url(parquet_folder: Path) -> str:
    _need_spark()
    return f"spark://local[2]?parquet={parquet_folder}"


@pytest.fixture(scope="module")
def spark_demo(spark_url: str, demo: Dataset) -> Iterator[Dataset]:
    """The demo on the module's Spark session (stopped at the end: one JVM at a time)."""
    started = time.perf_counter()
    dataset = connect(spark_url, stages=demo.stages)
    print(f"\nspark: session and tables ready in {time.perf_counter() - started:.1f} s")
    yield dataset
    dataset.backend.disconnect()


# --------------------------------------------------------------------------- the tables


@pytest.mark.spark
def test_tables_arrive_whole_with_canonical_types(spark_demo: Dataset, demo: Dataset) -> None:
    assert spark_demo.kind == "spark" and spark_demo.backend.name == "pyspark"
    assert list(spark_demo.tables) == list(demo.tables)
    for name in demo.tables:
        assert spark_demo.table(name).schema() == demo.table(name).schema(), name
        assert spark_demo.table(name).count().execute() == demo.table(name).count().execute(), name
    # text is trimmed of whitespace only: Spark read Ibis' '\v\f' as the letters v and f ("inance")
    industries = spark_demo.table("customers").select("industry").distinct().industry.execute()
    assert sorted(industries) == sorted(demo.table("customers").select("industry").distinct().industry.execute())
    assert "finance" in set(industries)


# --------------------------------------------------------------------------- metrics


@pytest.mark.spark
@pytest.mark.parametrize(("metric", "grain"), CASES, ids=[case_id(m, g) for m, g in CASES])
def test_metric_on_spark_equals_duckdb(spark_demo: Dataset, demo: Dataset, metric: str, grain: Grain) -> None:
    expected = compute_metric(demo, metric, grain)
    actual = compute_metric(spark_demo, metric, grain)
    assert len(expected) > 0
    # atol: sums of the same floats in another order (a running receivable that returns to zero
    # leaves 4e-10 on one engine, 2e-9 on the other)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, rtol=1e-9, atol=1e-6)


# --------------------------------------------------------------------------- the review


@pytest.mark.spark
@pytest.mark.slow
def test_whole_review_publishes_every_report(
    spark_url: str, demo: Dataset, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    """Every report that publishes on DuckDB publishes on Spark (the demo feeds them all)."""
    config = ReviewConfig(
        source=spark_url,
        period=PERIOD,
        lang="en",
        output_dir=str(tmp_path),
        jobs=1,
        timeout_seconds=REVIEW_SECONDS / 2,
    )
    run, seconds = publishes_every_report(config, record_property)
    print(f"\nspark: review of {PERIOD} on {config.source} in {seconds:.1f} s")
    assert run.ok, run.kept_previous
    assert run.index.is_file()
    assert seconds < REVIEW_SECONDS


# --------------------------------------------------------------------------- no Spark needed


def test_spark_sql_writes_the_strip_whitespace_as_spark_reads_it() -> None:
    """Ibis writes strip()'s set as ' \\t\\n\\r\\v\\f'; Spark reads \\v and \\f as v and f."""
    import ibis

    from salesops_lib.data.spark import spark_sql

    t = ibis.table({"s": "string"}, name="t")
    compiled = str(ibis.to_sql(t.select(x=t.s.strip()), dialect="pyspark"))
    fixed = spark_sql(compiled)
    assert "\\v" not in fixed and "\\f" not in fixed
    assert "\\u000B\\u000C" in fixed


def test_missing_pyspark_is_a_source_error_with_the_install_command(
    parquet_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a))
    with pytest.raises(SourceError, match="PySpark is not installed") as caught:
        connect(f"spark://local[2]?parquet={parquet_folder}")
    assert "pip install 'salesops-workbench[spark]'" in str(caught.value)


def test_missing_java_is_a_source_error(parquet_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("PySpark is not installed: that error comes first")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(parquet_folder))  # no java there
    with pytest.raises(SourceError, match="Java was not found"):
        connect(f"spark://local[2]?parquet={parquet_folder}")


def test_unreachable_master_fails_at_once(parquet_folder: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(SourceError, match="the Spark master does not answer"):
        connect(f"spark://127.0.0.1:9?parquet={parquet_folder}")
    assert time.perf_counter() - started < 30


def test_secret_spark_setting_is_refused_and_not_echoed() -> None:
    with pytest.raises(SourceError, match="a secret in its query") as caught:
        connect("spark://yarn?spark.authenticate.secret=hunter2-42")
    assert "hunter2-42" not in str(caught.value)
