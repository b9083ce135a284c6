"""One test over the catalog instead of per-analysis boilerplate: every report is wired the same
way (package shape, notebook ↔ models, words for every finding kind in both languages, docs), and
words live in exactly one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from salesops_lib.catalog import CATALOG
from salesops_lib.config.scope import AnalysisParams
from salesops_lib.report.findings_text import templates
from salesops_lib.report.i18n import LANGUAGES, catalogue
from salesops_lib.runner.notebook_sync import drifted

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "salesops_lib"
NAMES = list(CATALOG)


@pytest.mark.parametrize("name", NAMES)
def test_every_report_has_the_package_shape(name: str) -> None:
    spec = CATALOG[name].spec
    analysis, report = PACKAGE / "analyses" / name, PACKAGE / "report" / name
    for module in ("__init__.py", "params.py", "result.py", "compute.py"):
        assert (analysis / module).is_file(), f"analyses/{name}/{module}"
    assert (report / "__init__.py").is_file() and (report / "labels.yaml").is_file()
    assert issubclass(spec.params, AnalysisParams)
    assert spec.compute.__module__ == f"salesops_lib.analyses.{name}.compute"
    assert CATALOG[name].notebook.is_file()
    assert (ROOT / "docs" / f"{name}.md").is_file(), f"docs/{name}.md"


@pytest.mark.parametrize("name", NAMES)
def test_every_finding_kind_has_words_in_both_languages_and_no_word_is_orphaned(name: str) -> None:
    spec = CATALOG[name].spec
    words = templates(name)
    assert set(words) == set(spec.finding_kinds), "finding_kinds and the words in labels.yaml differ"
    for kind, text in words.items():
        assert text.zh.strip() and text.en.strip(), kind
    assert catalogue(name).title is not None


def test_every_notebook_and_analysis_package_is_in_the_catalog() -> None:
    """The catalog is the only list: no report notebook or analysis package is left out of it."""
    notebooks = {path.stem for path in (ROOT / "notebooks").glob("*.ipynb")}
    packages = {path.parent.name for path in (PACKAGE / "analyses").glob("*/__init__.py")}
    assert notebooks == set(NAMES) and packages == set(NAMES)
    assert NAMES[:2] == ["kpi_overview", "monthly_review"] and CATALOG.summary is CATALOG["monthly_review"]


def test_parameters_cells_are_the_ones_the_models_declare() -> None:
    assert not drifted(), "run `salesops notebooks --sync`"


def test_a_label_lives_in_one_file_only() -> None:
    """A report's catalogue never repeats a glossary key (the glossary's word is the word)."""
    shared = set(catalogue("glossary").labels)
    for name in NAMES:
        repeated = shared & set(catalogue(name).labels)
        assert not repeated, f"report/{name}/labels.yaml repeats glossary keys {sorted(repeated)}"


def test_every_catalogue_entry_has_exactly_zh_and_en() -> None:
    for name in ["glossary", *NAMES]:
        for key, pair in catalogue(name).labels.items():
            assert len(pair) == len(LANGUAGES) and all(isinstance(w, str) and w for w in pair), (name, key)


def test_analyses_hold_no_language_and_no_html() -> None:
    for path in (PACKAGE / "analyses").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\blang\b", text), f"{path.relative_to(ROOT)} handles a language"
        assert "_repr_html_" not in text and "<table" not in text and "<p>" not in text, path


def test_no_dynamic_imports_and_no_analysis_imports_the_report_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                for module in names:
                    assert module != "importlib", f"{path.relative_to(ROOT)} imports importlib (no module-path strings)"
                    if path.is_relative_to(PACKAGE / "analyses"):
                        assert not module.startswith(("salesops_lib.report", "salesops_lib.catalog")), path
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
                raise AssertionError(f"{path.relative_to(ROOT)} calls __import__")
