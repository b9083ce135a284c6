"""The ``salesops`` command line.

User errors (bad data, parameters, missing files) print as one message and exit 2; no traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from salesops_lib.config import project_root
from salesops_lib.core.lists import parse_list
from salesops_lib.errors import SalesOpsError, engine_errors

if TYPE_CHECKING:
    from pydantic import BaseModel

    from salesops_lib.runner.config import ReviewConfig
    from salesops_lib.runner.mail import Security
    from salesops_lib.runner.notify import Format

_Model = TypeVar("_Model", bound="BaseModel")

app = typer.Typer(
    name="salesops",
    help="Sales-operations workbench: validate sources, compute KPIs, run and publish reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source", "-s", help="DuckDB file, folder of exports, or SQL URL (default: the mapping's `source:`)."
    ),
]
MappingOpt = Annotated[Path | None, typer.Option("--mapping", "-m", help="Mapping YAML (see parameters/sources/).")]

EXAMPLE_SOURCE = "examples/maven_crm"
EXAMPLE_MAPPING = "parameters/sources/maven_crm.yaml"


@app.command()
def validate(
    source: SourceOpt = None,
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
    source: SourceOpt = None,
    mapping: MappingOpt = None,
    period: Annotated[
        str, typer.Option("--period", "--grain", help="all, year, quarter, month or week (ISO, from Monday).")
    ] = "all",
    level: Annotated[str, typer.Option(help="company, region, team or rep.")] = "region",
    names: Annotated[str | None, typer.Option("--metrics", help="Comma-separated metric names (default: all).")] = None,
    dimension: Annotated[
        str | None,
        typer.Option(help="Break down by a column the metrics allow: product, channel, segment, industry, type …"),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="First day: YYYY-MM-DD, a month YYYY-MM or a week YYYY-Www.")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Last day: YYYY-MM-DD, or the end of a month or week.")] = None,
    where: Annotated[
        str | None,
        typer.Option(help="SQL condition on the facts, e.g. \"segment = 'smb' AND amount > 1000\"."),
    ] = None,
    lang: Annotated[str, typer.Option(help="Label language: zh or en.")] = "en",
) -> None:
    """Print the metric summary of a source at a grain, optionally broken down, windowed and filtered.

    Without --metrics, the metrics that cannot take --dimension or --where are left out.
    """
    from salesops_lib.data import connect
    from salesops_lib.metrics import Grain, metric_summary
    from salesops_lib.report.console import print_metric_summary

    first, last = _window_day("--start", start), _window_day("--end", end, last=True)
    if first and last and first > last:
        from salesops_lib.errors import ConfigError

        raise ConfigError(
            f"--start {start} ({first}) is after --end {end} ({last})", fix="give a start on or before the end"
        )
    grain = _grain(Grain, period=period, level=level, dimension=dimension or None, start=first, end=last)
    wanted = list(parse_list(names)) or None
    dataset = connect(source, mapping)
    with engine_errors("cannot compute the metrics", where=dataset.source):
        frame = metric_summary(dataset, wanted, grain, where=where or None)
    scope = " × ".join([period, level, *([dimension] if dimension else [])])
    window = f", {first or '…'} to {last or '…'}" if first or last else ""
    title = f"Metrics — {escape(dataset.source)} ({escape(scope)}{window})" + (
        f" where {escape(where)}" if where else ""
    )
    print_metric_summary(frame, out, title=title, lang=lang, period=period)


def _window_day(option: str, text: str | None, *, last: bool = False) -> dt.date | None:
    """The day an option --start/--end names (None when not given); a bad text is a ConfigError."""
    from salesops_lib.core.periods import window_day
    from salesops_lib.errors import ConfigError

    if not text:
        return None
    try:
        return window_day(text, end=last)
    except ValueError as exc:
        raise ConfigError(f"invalid option {option}: {exc}", fix="see `salesops metrics --help`") from None


@app.command("metric-catalog")
def metric_catalog(lang: Annotated[str, typer.Option(help="zh or en")] = "en") -> None:
    """List the metric dictionary: name, label, unit, direction and definition."""
    from rich.table import Table

    from salesops_lib.metrics import METRICS

    table = Table(show_lines=True)
    for col in ("metric", "label", "unit", "better", "needs", "definition"):
        table.add_column(col)
    for m in METRICS.values():
        table.add_row(
            m.name,
            m.label(lang),
            m.unit,
            "higher" if m.higher_is_better else "lower",
            ", ".join(m.tables),
            m.definition,
        )
    out.print(table)


@app.command("demo-data")
def demo_data(
    size: Annotated[
        str, typer.Option(help="small (tests, ~40 reps), default (~400 reps) or large (~10 M deals).")
    ] = "default",
    variant: Annotated[
        str, typer.Option(help="planted (with the planted effects) or null (the same world without).")
    ] = "planted",
    seed: Annotated[int, typer.Option(help="Seed of every random stream.")] = 42,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Last day of the history, YYYY-MM-DD (default: end of last month).")
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="DuckDB file to write (default: demo-<size>-<variant>.duckdb).")
    ] = None,
) -> None:
    """Write a deterministic demo DuckDB file with every canonical table and its truth manifest."""
    import resource
    import time

    from rich.table import Table

    from salesops_lib.data.demo import generate_demo, truth_path
    from salesops_lib.data.demo.cache import progress_bar
    from salesops_lib.data.demo.generate import check_output
    from salesops_lib.data.demo.spec import resolve_config

    cfg = resolve_config(size, variant, seed, as_of)  # bad size, variant, seed or date: one message, exit 2
    target = out_path or Path(f"demo-{size}-{variant}.duckdb")
    check_output(target)
    started = time.perf_counter()
    with progress_bar(f"demo {size}/{variant} as of {cfg.as_of}") as report:
        truth = generate_demo(target, size=size, variant=variant, seed=seed, as_of=cfg.as_of, progress=report)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform == "darwin" else 1)
    table = Table(title=f"{escape(str(target))} (history {truth.start} … {truth.as_of})", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in truth.tables.items():
        table.add_row(name, f"{rows:,}")
    total = sum(truth.tables.values())
    table.add_row("[bold]total[/bold]", f"[bold]{total:,}[/bold]")
    out.print(table)
    planted = ", ".join(e.kind for e in truth.planted)
    out.print(f"truth manifest: {escape(str(truth_path(target)))} (also in table _truth); active: {planted}")
    out.print(f"{seconds:.1f} s, {total / seconds:,.0f} rows/s, peak RSS {peak_kb / 1024:,.0f} MB")


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


ReportsOpt = Annotated[str | None, typer.Option("--reports", help="Comma-separated reports (default: all).")]
ForceOpt = Annotated[
    bool,
    typer.Option("--force", help="Publish even when the run is less complete than the period's current publication."),
]


@app.command()
def review(
    config: Annotated[Path, typer.Option("--config", "-c", help="Run configuration YAML.")] = Path(
        "parameters/monthly_review.yaml"
    ),
    period: Annotated[str | None, typer.Option(help="YYYY-MM or last-month.")] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", "-s", help="demo, DuckDB file, folder or SQL URL (default: the mapping's `source:`)."),
    ] = None,
    mapping: MappingOpt = None,
    lang: Annotated[str | None, typer.Option(help="zh or en.")] = None,
    jobs: Annotated[int | None, typer.Option(help="Parallel reports (0 = one per core).")] = None,
    reports: ReportsOpt = None,
    output: Annotated[Path | None, typer.Option("--output", help="Folder that holds the published periods.")] = None,
    force: ForceOpt = False,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print the published review to reports/<period>/monthly_review.pdf.")
    ] = False,
) -> None:
    """Run every registered report for a period and publish reports/<period>/ (exit 0 only if none failed)."""
    overrides: dict[str, object] = {
        "period": period,
        "source": source,
        "lang": lang,
        "jobs": jobs,
        "mapping": str(mapping) if mapping else None,
        "output_dir": str(output) if output else None,
        "reports": list(parse_list(reports)) or None,
    }
    _run_and_report(_review_config(config, overrides), merge=False, force=force, pdf=pdf)


@app.command("export-pdf")
def export_pdf(
    period: Annotated[str, typer.Option(help="YYYY-MM or last-month.")] = "last-month",
    output: Annotated[Path, typer.Option("--output", help="Folder that holds the published periods.")] = Path(
        "reports"
    ),
) -> None:
    """Print the period's published review to reports/<period>/monthly_review.pdf (A4, headless Chromium)."""
    from salesops_lib.core.periods import resolve_period
    from salesops_lib.errors import ConfigError

    try:
        resolved = resolve_period(period)
    except ValueError as exc:
        raise ConfigError(str(exc), fix="write --period 2026-10 or --period last-month") from None
    _print_pdf(output.resolve(), resolved)


def _print_pdf(root: Path, period: str) -> None:
    from salesops_lib.runner.pdf_export import export_pdf as print_review

    out.print(f"pdf: {print_review(root, period)}", highlight=False, soft_wrap=True)


@app.command()
def run(
    report: Annotated[str, typer.Argument(help="Registered report name (see `salesops reports`).")],
    param: Annotated[list[str], typer.Option("--param", "-p", help="key=value (repeatable).")] = [],  # noqa: B006 - typer's default, never mutated
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Parameters YAML.")] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Folder that holds the published periods.")] = None,
    force: ForceOpt = False,
) -> None:
    """Run one report and publish it into its period (the period's other reports are kept)."""
    from salesops_lib.catalog import get_report
    from salesops_lib.runner.config import ReviewConfig

    spec = get_report(report)
    values: dict[str, object] = dict(_read_yaml(file)) if file else {}
    for item in param:
        key, sep, value = item.partition("=")
        if not sep:
            from salesops_lib.errors import ConfigError

            raise ConfigError(f"parameter {item!r} is not key=value", fix="write e.g. -p period=2026-10")
        values[key.strip()] = value
    spec.load(values, where=f"parameters of {report}")  # unknown keys and bad values fail here
    common = set(ReviewConfig.model_fields) & set(values)
    config = {k: values[k] for k in common}
    extras = {k: v for k, v in values.items() if k not in common}
    config.update(reports=[report], report_params={report: extras}, jobs=1)
    if output:
        config["output_dir"] = str(output)
    _run_and_report(_validated(ReviewConfig, config, "parameters"), merge=True, force=force)


@app.command()
def notify(
    webhook: Annotated[str, typer.Option(help="Webhook URL (its secret is never printed).")] = "",
    period: Annotated[str, typer.Option(help="YYYY-MM or last-month.")] = "last-month",
    fmt: Annotated[str, typer.Option("--format", help="generic, wecom, dingtalk or slack.")] = "generic",
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    min_severity: Annotated[str, typer.Option(help="Lowest severity posted: high, medium, low, info.")] = "medium",
    output: Annotated[Path, typer.Option("--output", help="Folder that holds the published periods.")] = Path(
        "reports"
    ),
    base_url: Annotated[
        str, typer.Option("--base-url", help="Where --output is served (http/https): links become clickable.")
    ] = "",
    email: Annotated[bool, typer.Option("--email", help="Also (or only) e-mail the findings over SMTP.")] = False,
    smtp_host: Annotated[str, typer.Option(envvar="SALESOPS_SMTP_HOST", help="SMTP server.")] = "",
    smtp_port: Annotated[int, typer.Option(envvar="SALESOPS_SMTP_PORT", help="587 STARTTLS, 465 ssl.")] = 587,
    smtp_security: Annotated[
        str, typer.Option(envvar="SALESOPS_SMTP_SECURITY", help="starttls, ssl or none (trusted relay only).")
    ] = "starttls",
    smtp_user: Annotated[str, typer.Option(envvar="SALESOPS_SMTP_USER", help="SMTP login (none if empty).")] = "",
    smtp_password_env: Annotated[
        str, typer.Option(help="Environment variable holding the SMTP password (never pass it as an option).")
    ] = "SALESOPS_SMTP_PASSWORD",  # noqa: S107 - the variable's name, not a password
    mail_from: Annotated[str, typer.Option(envvar="SALESOPS_MAIL_FROM", help="Sender address.")] = "",
    mail_to: Annotated[str, typer.Option(envvar="SALESOPS_MAIL_TO", help="Recipients, comma-separated.")] = "",
    attach: Annotated[Path | None, typer.Option(help="File to attach to the e-mail (e.g. the review's PDF).")] = None,
) -> None:
    """Post the period's new findings to a chat webhook and/or e-mail them (each finding once per channel)."""
    from salesops_lib.core.periods import resolve_period
    from salesops_lib.errors import ConfigError
    from salesops_lib.runner.mail import MailSettings
    from salesops_lib.runner.notify import mail_review
    from salesops_lib.runner.notify import notify as post_findings

    if not webhook and not email:
        raise ConfigError("nothing to deliver to", fix="pass --webhook URL, --email (with --smtp-host …), or both")
    if fmt not in ("generic", "wecom", "dingtalk", "slack"):
        raise ConfigError(f"unknown format {fmt!r}", fix="use generic, wecom, dingtalk or slack")
    if attach is not None and not email:
        raise ConfigError("--attach goes with --email", fix="add --email, or drop --attach")
    try:
        resolved = resolve_period(period)
    except ValueError as exc:
        raise ConfigError(str(exc), fix="write --period 2026-10 or --period last-month") from None
    settings = None
    if email:  # checked before anything is posted, so a bad mail option stops the run early
        from salesops_lib.runner.mail import checked

        settings = checked(
            MailSettings(
                host=smtp_host,
                sender=mail_from,
                to=parse_list(mail_to),
                port=smtp_port,
                security=cast("Security", smtp_security),  # checked() rejects any other word
                user=smtp_user,
                password_env=smtp_password_env,
            )
        )
    if webhook:
        result = post_findings(
            output.resolve(),
            resolved,
            webhook,
            fmt=cast("Format", fmt),  # one of the formats: checked above
            lang=lang,
            min_severity=min_severity,
            base_url=base_url,
        )
        out.print(
            f"{result.posted} new finding(s) posted in {result.messages} message(s) to {result.webhook}; "
            f"{result.skipped_known} already posted"
        )
    if settings is not None:
        mailed = mail_review(
            output.resolve(), resolved, settings, lang=lang, min_severity=min_severity, base_url=base_url, attach=attach
        )
        if mailed.sent:
            out.print(
                f"e-mailed {mailed.findings} finding(s) ({mailed.new} new) to {len(settings.to)} recipient(s) "
                f"via {escape(mailed.server)}" + (f", with {escape(attach.name)} attached" if attach else "")
            )
        else:
            out.print(f"already e-mailed for {resolved} and nothing new: no mail sent")


@app.command()
def onboard(
    folder: Annotated[Path, typer.Argument(help="Folder of CRM exports (CSV, TSV, XLSX/XLS, Parquet).")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Draft mapping to write.")] = Path("mapping.yaml"),
    lang: Annotated[str, typer.Option(help="zh or en.")] = "en",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out file.")] = False,
) -> None:
    """Profile a folder of exports, write a commented draft mapping, validate it and say which reports run."""
    from salesops_lib.onboard import onboard as draft_mapping
    from salesops_lib.onboard import summary

    outcome = draft_mapping(folder, out_path, lang=lang, force=force)
    for line in summary(outcome, lang):
        out.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command("reports")
def list_reports(lang: Annotated[str, typer.Option(help="zh or en")] = "en") -> None:
    """List the registered reports with their notebooks and required tables."""
    from rich.table import Table

    from salesops_lib.catalog import CATALOG

    table = Table()
    for col in ("report", "title", "notebook", "requires"):
        table.add_column(col)
    for spec in CATALOG.values():
        table.add_row(spec.name, spec.title(lang), f"notebooks/{spec.notebook.name}", ", ".join(spec.requires))
    out.print(table)


def _review_config(path: Path, overrides: dict[str, object]) -> ReviewConfig:
    from salesops_lib.runner.config import ReviewConfig

    values: dict[str, object] = dict(_read_yaml(path)) if path.exists() else {}
    if overrides.get("mapping") and not overrides.get("source"):
        values.pop("source", None)  # a --mapping of its own: its `source:` (else demo), not the file's source
    values.update({k: v for k, v in overrides.items() if v is not None})
    return _validated(ReviewConfig, values, str(path))


def _run_and_report(config: ReviewConfig, *, merge: bool, force: bool, pdf: bool = False) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from salesops_lib.runner.review import run_review

    total = len(config.reports) if config.reports else None
    if total is None:
        from salesops_lib.catalog import CATALOG as REPORTS

        total = len(REPORTS)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(f"reports for {config.period}", total=total)
        result = run_review(
            config,
            progress=lambda _o: bar.advance(task),
            merge=merge,
            force=force,
        )
    table = Table(title=f"{result.period} — {result.seconds:.1f} s", title_justify="left")
    for col in ("report", "status", "seconds", "detail"):
        table.add_column(col)
    styles = {"published": "green", "failed": "bold red", "skipped": "dim"}
    for o in result.outcomes:
        table.add_row(
            o.name, Text(o.status, style=styles[o.status]), f"{o.seconds:.1f}", o.error or (o.html_file or "")
        )
    out.print(table)
    if result.kept_previous:
        err.print(
            Text.assemble(
                ("not published: ", "bold red"),
                f"{result.kept_previous}, so the previous publication stays. This run's pages are in "
                f"{result.path}; run again with --force to publish them anyway.",
            ),
            highlight=False,
            soft_wrap=True,
        )
    else:
        out.print(f"published: {result.index}")
        if pdf:
            _print_pdf(Path(config.output_dir).resolve(), result.period)
    raise typer.Exit(0 if result.ok else 1)


def _read_yaml(path: Path) -> dict[str, object]:
    import yaml

    from salesops_lib.errors import ConfigError

    if not path.is_file():
        raise ConfigError("parameters file not found", where=str(path), fix="check the path")
    try:
        from salesops_lib.config.yaml_safe import load_yaml

        data = load_yaml(path.read_text(encoding="utf-8"), where=str(path)) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {str(exc).splitlines()[0]}", where=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("parameters must be a YAML mapping of key: value", where=str(path))
    return data


def _validated(model: type[_Model], values: dict[str, object], where: str) -> _Model:
    from pydantic import ValidationError

    from salesops_lib.errors import ConfigError

    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(
            "invalid parameters: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()),
            where=where,
            fix=f"valid keys: {', '.join(model.model_fields)}",
        ) from None


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def lab(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Option(help="Port for JupyterLab.")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
) -> None:
    """Open JupyterLab on notebooks/ with the project's kernel.

    Any other option is passed to ``jupyter lab`` as given, e.g. ``salesops lab --allow-root
    --ip 0.0.0.0`` (as root JupyterLab refuses to start without ``--allow-root``).
    """
    os.execv(sys.executable, lab_command(port=port, no_browser=no_browser, extra=list(ctx.args)))  # noqa: S606 - becomes JupyterLab: this interpreter, arguments as a list


def lab_command(*, port: int | None = None, no_browser: bool = False, extra: list[str] | None = None) -> list[str]:
    """The ``jupyter lab`` command line ``salesops lab`` runs: this interpreter, the notebook folder,
    then ``extra`` (flags for JupyterLab, unchanged).

    Examples
    --------
    >>> lab_command(port=8890, extra=["--allow-root"])[-2:]
    ['--port=8890', '--allow-root']
    """
    args = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={project_root() / 'notebooks'}"]
    if port:
        args.append(f"--port={port}")
    if no_browser:
        args.append("--no-browser")
    return [*args, *(extra or [])]


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8866,
    host: Annotated[str, typer.Option(help="Address to listen on; anything but loopback needs a token.")] = "127.0.0.1",
    token_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the secret viewers add once as ?token=… (created with a random one if missing); "
            "or set SALESOPS_DASHBOARD_TOKEN."
        ),
    ] = None,
    token: Annotated[str | None, typer.Option(hidden=True)] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", "-s", help="demo, DuckDB file, folder or SQL URL (default: the mapping's `source:`, or demo)."
        ),
    ] = None,
    mapping: MappingOpt = None,
    period: Annotated[str, typer.Option(help="Latest period shown, YYYY-MM or last-month.")] = "last-month",
    months: Annotated[
        int,
        typer.Option(
            help="Periods offered in the period filter (each built once, then cached; the latest first, "
            "the others in the background)."
        ),
    ] = 3,
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    pool: Annotated[int, typer.Option(help="Preheated kernels kept ready (0: start one per viewer).")] = 2,
    cull_idle: Annotated[
        int, typer.Option(help="Seconds before an idle kernel of a closed page is shut down (0: never).")
    ] = 300,
    max_kernels: Annotated[
        int,
        typer.Option(
            help="Most kernels at once, preheated ones included (~200 MB each); more viewers get a 'try again' page."
        ),
    ] = 8,
    cull_unconnected: Annotated[
        int,
        typer.Option(help="Seconds before the kernel of a page that never connected is shut down (0: as --cull-idle)."),
    ] = 60,
    refresh: Annotated[bool, typer.Option("--refresh", help="Rebuild the dashboard data even if cached.")] = False,
) -> None:
    """Serve the leadership dashboard with Voila (builds the latest period's data, serves it, builds the others in the background)."""
    from salesops_lib.core.periods import resolve_period
    from salesops_lib.dashboard import snapshot
    from salesops_lib.dashboard.background import build_latest, spawn_pending
    from salesops_lib.dashboard.build import build_cube, recent_periods
    from salesops_lib.dashboard.cube import cube_root
    from salesops_lib.dashboard.server import (
        TOKEN_ENV,
        ServerOptions,
        check_options,
        read_token,
        url,
        voila_argv,
        voila_env,
    )
    from salesops_lib.data import connect
    from salesops_lib.errors import ConfigError

    if token is not None:
        raise ConfigError(
            "--token puts the secret on the command line, where `ps` shows it to every user",
            where="--token",
            fix=f"put it in a file only you can read and pass --token-file FILE, or set {TOKEN_ENV}",
        )
    secret, origin = read_token(token_file, os.environ)
    options = ServerOptions(
        port=port,
        host=host,
        token=secret,
        pool=pool,
        cull_idle=cull_idle,
        max_kernels=max_kernels,
        cull_unconnected=cull_unconnected,
    )
    check_options(options)  # before any expensive work
    if lang not in ("zh", "en"):
        raise ConfigError(f"--lang {lang!r} is not zh or en", where="--lang", fix="use --lang zh or --lang en")
    if not 1 <= months <= 24:
        raise ConfigError(f"--months {months} is out of range", where="--months", fix="use 1 to 24")
    try:
        latest = resolve_period(period)
    except ValueError as exc:
        raise ConfigError(str(exc), where="--period", fix="use YYYY-MM or last-month") from None
    if source is None and mapping is None:
        source = "demo"
    say = lambda msg: err.print(f"[dashboard] {msg}", markup=False, highlight=False)  # noqa: E731
    with engine_errors("building the dashboard data", where=source or str(mapping)):
        ds = connect(source, mapping)
        root = cube_root(ds.fingerprint)
        say(f"building dashboard data for {latest}")
        later = build_latest(
            root, recent_periods(latest, months), lambda p: build_cube(ds, p, progress=say), refresh=refresh
        )
        snapshot.ensure(root / latest, lang)  # the first view, served inside the page before any script runs
    if later:  # the latest period is served now; the older ones follow in the background
        spawn_pending(root, source, str(mapping) if mapping else None)
        say(f"building {', '.join(later)} in the background (log: {root / 'background.log'})")
    env = voila_env(
        os.environ,
        {"SALESOPS_DASHBOARD_CUBES": str(root), "SALESOPS_DASHBOARD_PERIOD": latest, "SALESOPS_DASHBOARD_LANG": lang},
        token=secret,
    )
    access = f"viewers add ?token=<the token from {origin}> once" if secret else "no token (loopback only)"
    err.print(
        f"[dashboard] serving {url(options)}; {access} (Ctrl-C stops)", markup=False, highlight=False, soft_wrap=True
    )
    sys.stderr.flush()
    os.execve(sys.executable, voila_argv(options), env)  # noqa: S606 - becomes Voila: this interpreter, arguments as a list


@app.command("new-analysis")
def new_analysis(
    name: Annotated[str, typer.Argument(help="Report name: lower-case letters, digits, underscores.")],
    title_zh: Annotated[str, typer.Option("--title-zh", help="Chinese title of the page.")] = "",
    title_en: Annotated[str, typer.Option("--title-en", help="English title of the page.")] = "",
) -> None:
    """Write a new analysis (package, page, notebook, parameters, docs, test) and its catalog line."""
    from salesops_lib.scaffold import new_analysis as scaffold

    made = scaffold(name, project_root(), title_zh=title_zh, title_en=title_en)
    from salesops_lib.catalog import CATALOG  # imported now: it holds the new line
    from salesops_lib.runner.notebook_sync import sync

    sync([CATALOG[name]])
    for path in made.written:
        out.print(f"wrote {path.relative_to(project_root())}", markup=False, highlight=False)
    out.print(
        f"added {name} to {made.catalog.relative_to(project_root())}; next: fill compute.py and "
        f"findings.py, the page in report/{name}/, then `salesops run {name}`",
        markup=False,
        highlight=False,
    )


@app.command()
def notebooks(
    do_sync: Annotated[bool, typer.Option("--sync", help="Rewrite the parameters cells that drifted.")] = False,
) -> None:
    """Check (or with --sync rewrite) every notebook's parameters cell against its models."""
    from salesops_lib.runner.notebook_sync import drifted, sync

    changed = sync() if do_sync else drifted()
    for drift in changed:
        verb = "rewrote" if do_sync else "drifted:"
        out.print(f"{verb} {drift.notebook.relative_to(project_root())}", markup=False, highlight=False)
    if changed and not do_sync:
        out.print("run `salesops notebooks --sync` to write them from the models", markup=False, highlight=False)
        raise typer.Exit(1)
    if not changed:
        out.print("every parameters cell is the one its models declare", markup=False, highlight=False)


def _grain(model: type[_Model], **values: object) -> _Model:
    from pydantic import ValidationError

    from salesops_lib.errors import ConfigError

    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(
            f"invalid option {'.'.join(map(str, first['loc']))}: {first['msg']}", fix="see `salesops metrics --help`"
        ) from None


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
    except OSError as exc:  # a full disk, a read-only folder outside the runner's own checks
        err.print(
            Text.assemble(
                ("error: ", "bold red"),
                f"{exc.strerror or exc}",
                f"\n  where:  {exc.filename}" if exc.filename else "",
                "\n  fix:    check free disk space and the folder's permissions",
            ),
            highlight=False,
        )
        sys.exit(2)
    except Exception as exc:  # click usage errors (typer's own copy of click) arrive here
        if not _is_usage_error(exc):
            raise
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    if isinstance(code, int) and code:
        sys.exit(code)


def _is_usage_error(exc: BaseException) -> bool:
    """A click usage error (unknown option, missing value), from click or typer's vendored copy."""
    return any(cls.__name__ == "ClickException" for cls in type(exc).__mro__) and hasattr(exc, "show")


if __name__ == "__main__":  # pragma: no cover
    main()
