"""Credentials in a source URL are refused, and never shown or stored anywhere."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from salesops_lib.data import connect
from salesops_lib.data.sources import redact_url
from salesops_lib.errors import SourceError
from tests.conftest import SALESOPS

SECRET = "Sekr3t-do-not-leak"


@pytest.mark.parametrize(
    "url",
    [
        f"postgres://salesops@127.0.0.1:9/crm?password={SECRET}",
        f"postgres://salesops@127.0.0.1:9/crm?sslmode=disable&PASSWORD={SECRET}",
        f"postgres://salesops@127.0.0.1:9/crm?db-password={SECRET}",
        f"postgres://salesops@127.0.0.1:9/crm?token={SECRET}",
        f"postgres://salesops:{SECRET}@127.0.0.1:9/crm",
    ],
)
def test_a_url_with_a_secret_is_refused_without_showing_it(url: str) -> None:
    with pytest.raises(SourceError, match="the source URL contains") as info:
        connect(url)
    assert SECRET not in str(info.value) and "***" in str(info.value)
    assert SECRET not in redact_url(url)


def test_harmless_query_keys_are_kept() -> None:
    url = "postgres://salesops@db:5432/crm?sslmode=require&application_name=salesops"
    assert redact_url(url) == url


@pytest.mark.parametrize(
    "command",
    [
        ["review", "--period", "2017-12", "--reports", "kpi_overview"],
        ["validate"],
        ["metrics"],
        ["dashboard", "--period", "2017-12"],
    ],
)
@pytest.mark.slow
def test_no_command_leaks_a_secret_to_output_reports_or_cache(command: list[str], tmp_path: Path) -> None:
    url = f"postgres://salesops@127.0.0.1:9/crm?password={SECRET}"
    env = {**os.environ, "SALESOPS_CACHE": str(tmp_path / "cache")}
    args = [str(SALESOPS), command[0], "--source", url, *command[1:]]
    if command[0] == "review":
        args += ["--output", str(tmp_path / "reports")]
    run = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "contains a secret" in run.stderr
    assert SECRET not in run.stdout + run.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
