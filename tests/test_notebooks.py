"""Notebooks: committed without outputs; parameters cell == parameter model ⊇ YAML examples."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import papermill as pm
import pytest
import yaml

from salesops_lib.catalog import CATALOG as REPORTS
from salesops_lib.config.scope import AnalysisParams
from salesops_lib.runner.config import ReviewConfig
from salesops_lib.runner.notebook_sync import drifted

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_hold_no_logic(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "def " not in code and "class " not in code and "lambda" not in code
    assert nb.metadata["kernelspec"]["name"] == "salesops"


@pytest.mark.parametrize("name", list(REPORTS))
def test_parameters_cell_matches_the_model_and_has_help(name: str) -> None:
    report = REPORTS[name]
    inferred = pm.inspect_notebook(str(report.notebook))
    assert list(inferred) == list(report.parameter_names()), "notebook parameters and model fields differ"
    for param in inferred.values():
        assert param["help"], f"{param['name']} needs a `# help:` comment"
        assert param["inferred_type_name"] != "None", f"{param['name']} needs a type annotation"
    defaults = {key: ast.literal_eval(value["default"]) for key, value in inferred.items()}  # literals only
    report.load(defaults, where=report.notebook.name)  # the notebook's defaults are valid parameters


@pytest.mark.parametrize("name", [n for n, r in REPORTS.items() if issubclass(r.spec.params, AnalysisParams)])
def test_parameters_cell_is_the_one_the_models_declare(name: str) -> None:
    """Parameters are declared once, in the models: `salesops notebooks --sync` writes the cell."""
    assert not drifted([REPORTS[name]]), "run `salesops notebooks --sync`"


@pytest.mark.parametrize("path", sorted((ROOT / "parameters").glob("*.yaml")), ids=lambda p: p.name)
def test_parameter_files_only_use_known_keys(path: Path) -> None:
    values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    review_only = {"reports", "jobs", "timeout_seconds", "output_dir", "report_params"}
    if path.stem in REPORTS and not review_only & set(values):
        report = REPORTS[path.stem]
        assert set(values) <= set(pm.inspect_notebook(str(report.notebook)))
        report.load(values, where=str(path))
    else:
        config = ReviewConfig.model_validate(values)
        for name, extra in config.report_params.items():
            REPORTS[name].load({**config.common(), **extra}, where=str(path))
