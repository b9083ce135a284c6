"""Parameters declared once: each notebook's ``parameters`` cell is written from the models.

The cell holds the run scope's fields, then the analysis' own, each as
``name: type = default  # help: description`` (papermill reads the help; ``-p``/``-f`` set
them). ``salesops notebooks --sync`` rewrites cells that drifted; a test fails when one has.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from pydantic.fields import FieldInfo

from salesops_lib.catalog import CATALOG, Report
from salesops_lib.config.scope import RunScope


@dataclass(frozen=True)
class Drift:
    """A notebook whose parameters cell differs from what its models declare."""

    report: str
    notebook: Path
    expected: str


def parameters_cell(report: Report) -> str:
    """The source of ``report``'s parameters cell, from :class:`RunScope` and its parameter model."""
    fields = {
        **RunScope.model_fields,
        **{k: v for k, v in report.spec.params.model_fields.items() if k not in RunScope.model_fields},
    }
    return "\n".join(_line(name, info) for name, info in fields.items())


def drifted(reports: typing.Iterable[Report] | None = None) -> list[Drift]:
    """The notebooks whose parameters cell is not the one their models declare."""
    out = []
    for report in reports if reports is not None else CATALOG.values():
        expected = parameters_cell(report)
        cell = _parameters_cell(nbformat.read(report.notebook, as_version=4), report.notebook)
        if cell.source.strip() != expected:
            out.append(Drift(report.name, report.notebook, expected))
    return out


def sync(reports: typing.Iterable[Report] | None = None) -> list[Drift]:
    """Rewrite every drifted parameters cell; returns what was rewritten."""
    changed = drifted(reports)
    for drift in changed:
        notebook = nbformat.read(drift.notebook, as_version=4)
        _parameters_cell(notebook, drift.notebook).source = drift.expected
        nbformat.write(notebook, drift.notebook)
    return changed


def _parameters_cell(notebook: Any, path: Path) -> Any:
    for cell in notebook.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    raise ValueError(f"{path} has no cell tagged `parameters`")


def _line(name: str, info: FieldInfo) -> str:
    if not info.description:
        raise ValueError(f"parameter {name!r} has no description (it is the notebook's help text)")
    return f"{name}: {_type_name(info.annotation)} = {_literal(info.default)}  # help: {info.description}"


def _type_name(annotation: Any) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return type(typing.get_args(annotation)[0]).__name__
    return getattr(annotation, "__name__", str(annotation))


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)
