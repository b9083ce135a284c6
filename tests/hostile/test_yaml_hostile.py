"""Hostile YAML and run parameters (issue 16): alias bombs, python tags, unknown report names, periods."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from salesops_lib.catalog import CATALOG as REPORTS
from salesops_lib.config.yaml_safe import load_yaml
from salesops_lib.core.periods import resolve_period
from salesops_lib.data import load_mapping
from salesops_lib.errors import ConfigError, MappingError
from salesops_lib.runner.config import ReviewConfig
from tests.test_bad_inputs import run_in_process

#: the classic "billion laughs": 9 levels of 9 aliases, about 1 KB, 9**9 strings once expanded
BOMB_LEVELS = "\n".join(f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10))
BOMB = 'report_params:\n  l0: &l0 ["lol"]\n' + BOMB_LEVELS + "\n"


def _bounded(call: object) -> tuple[BaseException, float, int]:
    """Run ``call``; the exception it raises, the seconds it took and the peak memory it used."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        call()  # type: ignore[operator]
    except BaseException as exc:
        caught = exc
    else:
        pytest.fail("the bomb was accepted")
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return caught, seconds, peak


def test_bomb_is_about_one_kilobyte() -> None:
    assert len(BOMB) < 1200
    assert BOMB.count("*l") == 81


def test_alias_bomb_in_run_parameters_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "review.yaml"
    path.write_text(BOMB, encoding="utf-8")
    error, seconds, peak = _bounded(lambda: load_yaml(path.read_text(encoding="utf-8"), where=str(path)))
    assert isinstance(error, ConfigError)
    assert seconds < 1.0 and peak < 5_000_000
    assert "anchors are not allowed" in error.message and "line 2" in error.message
    assert error.where == str(path) and error.fix


def test_alias_bomb_in_a_mapping_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(BOMB.replace("report_params", "tables"), encoding="utf-8")
    error, seconds, peak = _bounded(lambda: load_mapping(path))
    assert isinstance(error, MappingError)
    assert seconds < 1.0 and peak < 5_000_000
    assert "line 2" in error.message and error.where == str(path)


def test_cli_refuses_the_bomb_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "review.yaml"
    path.write_text(BOMB, encoding="utf-8")
    started = time.perf_counter()
    code, output = run_in_process(
        ["review", "--config", str(path), "--output", str(tmp_path / "out")], monkeypatch, capsys
    )
    assert time.perf_counter() - started < 5
    assert code == 2 and "Traceback" not in output
    assert "anchors are not allowed" in output and str(path) in output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: 2\n",  # an anchor alone
        "base: {x: 1}\nother: *base\n",  # an alias of an undefined anchor
        "base: &b {x: 1}\nother:\n  <<: *b\n",  # a merge key
    ],
)
def test_every_anchor_or_alias_is_refused(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_yaml(text, where="run.yaml")
    assert "not allowed" in info.value.message and "line" in info.value.message


def test_python_tags_stay_refused(tmp_path: Path) -> None:
    text = 'period: !!python/object/apply:os.system ["echo pwned"]\n'
    with pytest.raises(yaml.YAMLError):
        load_yaml(text, where="run.yaml")
    path = tmp_path / "mapping.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo pwned']\ntables: {}\n", encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    assert "not valid YAML" in info.value.message


def test_deep_nesting_and_huge_integers_are_errors_not_crashes() -> None:
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_yaml("a: " + "[" * 5000 + "]" * 5000, where="run.yaml")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_yaml("jobs: " + "9" * 5000, where="run.yaml")


def test_plain_yaml_still_loads() -> None:
    assert load_yaml("period: 2026-10\nreports: [kpi_overview]\n", where="run.yaml") == {
        "period": "2026-10",
        "reports": ["kpi_overview"],
    }


# --- report names and periods -----------------------------------------------------------------


def _errors(values: dict[str, object]) -> str:
    with pytest.raises(ValidationError) as info:
        ReviewConfig.model_validate({"period": "2026-01", **values})
    return str(info.value)


def test_unknown_report_under_report_params_is_an_error() -> None:
    text = _errors({"report_params": {"kpi_overveiw": {"metrics": "win_rate"}}})
    assert "report_params" in text and "kpi_overveiw" in text and "kpi_overview" in text


def test_unknown_report_under_reports_is_an_error() -> None:
    text = _errors({"reports": ["kpi_overview", "nope"]})
    assert "`reports`" in text and "'nope'" in text and all(name in text for name in REPORTS)


def test_known_report_names_pass() -> None:
    config = ReviewConfig.model_validate(
        {"period": "2026-01", "reports": list(REPORTS), "report_params": {"kpi_overview": {"metrics": "win_rate"}}}
    )
    assert config.reports == tuple(REPORTS)


def test_cli_names_the_unknown_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "review.yaml"
    path.write_text("period: 2026-01\nreport_params:\n  nope: {x: 1}\n", encoding="utf-8")
    code, output = run_in_process(
        ["review", "--config", str(path), "--output", str(tmp_path / "out")], monkeypatch, capsys
    )
    assert code == 2 and "Traceback" not in output
    assert "report_params" in output and "'nope'" in output and "kpi_overview" in output


@pytest.mark.parametrize("period", ["2026-01\n", "2026-01 ", " 2026-01", "2026-1", "2026-13", "2026-01\r\n"])
def test_period_must_be_exactly_yyyy_mm(period: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        resolve_period(period)
    assert "period" in _errors({"period": period})


def test_good_periods_pass() -> None:
    assert resolve_period("2026-01") == "2026-01"
    assert len(resolve_period("last-month")) == 7
