"""``salesops new-analysis NAME``: every file a new analysis needs, from the templates beside
this module (as ``kedro pipeline create`` does), and its one line in the catalog.

Written: the analysis package (``analyses/NAME/``: params, result, compute, findings), the
report package (``report/NAME/``: sections and ``labels.yaml``), the notebook (its parameters
cell generated from the models), ``parameters/NAME.yaml``, ``docs/NAME.md`` and
``tests/test_NAME.py`` on the pinned planted and null demos. The starting analysis runs and
publishes as it is (the period's won value by region against last year); replace its compute and
findings with the real ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from string import Template

import nbformat

from salesops_lib.errors import ConfigError

NAME = re.compile(r"[a-z][a-z0-9_]{2,40}")
CATALOG_LINE = "from salesops_lib.analyses.{name} import SPEC as {name}"
CATALOG_ANCHOR = "# (new analyses: salesops new-analysis NAME adds the line above this one)"

_FILES = {  # template → path in the project
    "analysis__init__.py.tmpl": "salesops_lib/analyses/{name}/__init__.py",
    "analysis_params.py.tmpl": "salesops_lib/analyses/{name}/params.py",
    "analysis_result.py.tmpl": "salesops_lib/analyses/{name}/result.py",
    "analysis_compute.py.tmpl": "salesops_lib/analyses/{name}/compute.py",
    "analysis_findings.py.tmpl": "salesops_lib/analyses/{name}/findings.py",
    "report__init__.py.tmpl": "salesops_lib/report/{name}/__init__.py",
    "report_sections.py.tmpl": "salesops_lib/report/{name}/sections.py",
    "report_labels.yaml.tmpl": "salesops_lib/report/{name}/labels.yaml",
    "parameters.yaml.tmpl": "parameters/{name}.yaml",
    "docs.md.tmpl": "docs/{name}.md",
    "test.py.tmpl": "tests/test_{name}.py",
}

_NOTEBOOK_CELLS = (
    "from salesops_lib.catalog import start_report\nfrom salesops_lib.report import {name} as view\n\n"
    'report = start_report("{name}", globals())\nreport.heading()',
    "result = report.compute()\nview.by_region(result, report.lang)",
    "report.findings(result.findings)",
    "report.publish(result.findings)",
)


@dataclass(frozen=True)
class Scaffold:
    """What :func:`new_analysis` wrote."""

    name: str
    written: tuple[Path, ...]
    catalog: Path


def new_analysis(name: str, root: Path, *, title_zh: str = "", title_en: str = "") -> Scaffold:
    """Write the files of analysis ``name`` under the project ``root`` and add its catalog line.

    Nothing is overwritten: an existing file or catalog entry is a :class:`ConfigError`.
    """
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"analysis name {name!r} is not a lower-case identifier",
            fix="use letters, digits and underscores, e.g. win_loss_reasons",
        )
    targets = {template: root / path.format(name=name) for template, path in _FILES.items()}
    notebook = root / "notebooks" / f"{name}.ipynb"
    existing = [p for p in (*targets.values(), notebook) if p.exists()]
    if existing:
        raise ConfigError(
            f"analysis {name!r} already has files",
            where=str(existing[0]),
            fix="choose another name, or remove the files first",
        )
    catalog = root / "salesops_lib" / "catalog.py"
    text = catalog.read_text(encoding="utf-8")
    if CATALOG_ANCHOR not in text:
        raise ConfigError(
            "the catalog has no line for new analyses",
            where=str(catalog),
            fix=f"restore the comment {CATALOG_ANCHOR!r} below the analyses' lines",
        )
    words = {
        "name": name,
        "Class": "".join(part.title() for part in name.split("_")),
        "title_zh": title_zh or name,
        "title_en": title_en or name.replace("_", " ").capitalize(),
    }
    templates = files("salesops_lib.scaffold") / "templates"
    for template, path in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            Template((templates / template).read_text(encoding="utf-8")).substitute(words), encoding="utf-8"
        )
    catalog.write_text(
        text.replace(CATALOG_ANCHOR, CATALOG_LINE.format(name=name) + "\n" + CATALOG_ANCHOR), encoding="utf-8"
    )
    _write_notebook(name, notebook, words["title_en"])
    return Scaffold(name, (*targets.values(), notebook), catalog)


def _write_notebook(name: str, path: Path, title: str) -> None:
    # the catalog (just extended on disk) is imported fresh by the command's own process
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "salesops (project)", "language": "python", "name": "salesops"},
        "language_info": {"name": "python"},
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            f"# {title}\n\nTODO: what the page answers. Edit the parameters cell and run "
            f"all; logic lives in `salesops_lib.analyses.{name}`."
        ),
        nbformat.v4.new_code_cell("", metadata={"tags": ["parameters"]}),
        *(nbformat.v4.new_code_cell(cell.format(name=name)) for cell in _NOTEBOOK_CELLS),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
