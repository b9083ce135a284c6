"""The ``salesops`` command line.

User errors (bad data, parameters, missing files) print as one message and exit 2; no traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from salesops_lib.config import project_root
from salesops_lib.errors import SalesOpsError, engine_errors

app = typer.Typer(
    name="salesops",
    help="Sales-operations workbench: validate sources, compute KPIs, run and publish reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

SourceOpt = Annotated[str, typer.Option("--source", "-s", help="DuckDB file, folder of exports, or SQL URL.")]
MappingOpt = Annotated[Optional[Path], typer.Option("--mapping", "-m", help="Mapping YAML (see parameters/sources/).")]

EXAMPLE_SOURCE = "examples/maven_crm"
EXAMPLE_MAPPING = "parameters/sources/maven_crm.yaml"


@app.command()
def validate(
    source: SourceOpt,
    mapping: MappingOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check every canonical table against its contract; exit 0 with warnings only, 2 on errors."""
    from salesops_lib.data import connect
    from salesops_lib.data.validation import validate as run_validation
    from salesops_lib.report.console import print_quality_report

    report = run_validation(connect(source, mapping))
    if as_json:
        out.print_json(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print_quality_report(report, out)
    raise typer.Exit(0 if report.ok else 2)


@app.command()
def metrics(
    source: SourceOpt,
    mapping: MappingOpt = None,
    period: Annotated[str, typer.Option(help="all, year, quarter or month.")] = "all",
    level: Annotated[str, typer.Option(help="company, region, team or rep.")] = "region",
    names: Annotated[Optional[str], typer.Option("--metrics", help="Comma-separated metric names (default: all).")] = None,
    lang: Annotated[str, typer.Option(help="Label language: zh or en.")] = "en",
) -> None:
    """Print the metric summary of a source at a grain."""
    from salesops_lib.data import connect
    from salesops_lib.metrics import Grain, metric_summary
    from salesops_lib.report.console import print_metric_summary

    grain = _grain(Grain, period=period, level=level)
    wanted = [n.strip() for n in names.split(",")] if names else None
    dataset = connect(source, mapping)
    with engine_errors("cannot compute the metrics", where=dataset.source):
        frame = metric_summary(dataset, wanted, grain)
    print_metric_summary(frame, out, title=f"Metrics — {escape(source)} ({period} × {level})", lang=lang)


@app.command("metric-catalog")
def metric_catalog(lang: Annotated[str, typer.Option(help="zh or en")] = "en") -> None:
    """List the metric dictionary: name, label, unit, direction and definition."""
    from rich.table import Table

    from salesops_lib.metrics import METRICS

    table = Table(show_lines=True)
    for col in ("metric", "label", "unit", "better", "needs", "definition"):
        table.add_column(col)
    for m in METRICS.values():
        table.add_row(m.name, m.label(lang), m.unit, "higher" if m.higher_is_better else "lower",
                      ", ".join(m.tables), m.definition)
    out.print(table)


@app.command()
def example(
    source: Annotated[str, typer.Option(help="Folder of the Maven CRM export.")] = EXAMPLE_SOURCE,
    mapping: Annotated[str, typer.Option(help="Mapping of the Maven CRM export.")] = EXAMPLE_MAPPING,
) -> None:
    """Validate the bundled Maven CRM example and print its metric summary by region."""
    from salesops_lib.data import connect
    from salesops_lib.data.validation import validate as run_validation
    from salesops_lib.metrics import Grain, metric_summary
    from salesops_lib.report.console import print_metric_summary, print_quality_report

    root = project_root()
    src = Path(source) if Path(source).exists() else root / source
    mp = Path(mapping) if Path(mapping).exists() else root / mapping
    dataset = connect(src, mp)
    report = run_validation(dataset)
    print_quality_report(report, out)
    if not report.ok:
        raise typer.Exit(2)
    for grain in (Grain(period="all", level="company"), Grain(period="all", level="region")):
        frame = metric_summary(dataset, None, grain)
        print_metric_summary(frame, out, title=f"Maven CRM — {grain.level}")


@app.command()
def lab(
    port: Annotated[Optional[int], typer.Option(help="Port for JupyterLab.")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
) -> None:
    """Open JupyterLab on notebooks/ with the project's kernel."""
    args = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={project_root() / 'notebooks'}"]
    if port:
        args.append(f"--port={port}")
    if no_browser:
        args.append("--no-browser")
    os.execv(sys.executable, args)


def _grain(model: type, **values: object) -> object:
    from pydantic import ValidationError

    from salesops_lib.errors import ConfigError

    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"invalid option {'.'.join(map(str, first['loc']))}: {first['msg']}",
                          fix="see `salesops metrics --help`") from None


def main() -> None:
    """Console entry point: user errors become one message and exit code 2."""
    try:
        # Outside standalone mode click does not exit: a command's ``typer.Exit(code)`` comes back
        # as the return value (``validate`` exits 2 on data errors this way).
        code = app(standalone_mode=False)
    except SalesOpsError as exc:
        # plain Text, not markup: file names, columns and values may contain "[...]"
        err.print(Text.assemble(("error: ", "bold red"), exc.render()), highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
