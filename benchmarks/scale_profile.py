"""Per-report, per-query profile of one report's notebook code, run in this process (no Jupyter).

Used by ``bench_scale.py --profile``; runnable alone:

    python benchmarks/scale_profile.py REPORT SOURCE PERIOD [--top 8]

Executes the notebook's code cells as plain Python (displays rendered as the page would), with
every query the Ibis backend runs timed and its returned rows counted, and prints one JSON line:
the report's wall time, peak RSS of this process, and the queries (seconds, rows, columns, the
library line that asked), slowest and largest first.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUERIES: list[dict[str, Any]] = []
_depth = [0]


def _caller() -> str:
    """The innermost line of our library that led to this query."""
    for frame in reversed(traceback.extract_stack()[:-3]):
        if "salesops_lib" in frame.filename:
            where = frame.filename.split("salesops_lib/")[-1]
            return f"{where}:{frame.lineno} {frame.name}"
    return "?"


def _rows_cols(value: Any) -> tuple[int, int]:
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) == 2:
        return int(shape[0]), int(shape[1])
    if shape is not None and len(shape) == 1:
        return int(shape[0]), 1
    num_rows = getattr(value, "num_rows", None)
    if num_rows is not None:
        return int(num_rows), int(getattr(value, "num_columns", 1))
    return 1, 1


def _sql_hash(args: tuple[Any, ...]) -> str:
    """A short hash of the query's SQL (the same query asked twice has the same hash)."""
    import hashlib

    import ibis

    try:
        return hashlib.sha256(ibis.to_sql(args[1]).encode()).hexdigest()[:10]
    except Exception:
        return "?"


def _timed(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _depth[0]:
            return method(*args, **kwargs)
        _depth[0] += 1
        started = time.perf_counter()
        try:
            value = method(*args, **kwargs)
        finally:
            _depth[0] -= 1
        rows, cols = _rows_cols(value)
        QUERIES.append(
            {
                "sql": _sql_hash(args),
                "s": round(time.perf_counter() - started, 3),
                "rows": rows,
                "cols": cols,
                "at": _caller(),
                "via": method.__name__,
            }
        )
        return value

    return wrapper


def instrument() -> None:
    """Time every execution of every Ibis backend we use."""
    import ibis.backends.duckdb as duck

    backends = [duck.Backend]
    try:
        import ibis.backends.postgres as pg

        backends.append(pg.Backend)
    except ImportError:  # pragma: no cover - postgres extra missing
        pass
    for backend in backends:
        for name in ("execute", "to_pyarrow", "to_pyarrow_batches"):
            if name in vars(backend) or hasattr(backend, name):
                setattr(backend, name, _timed(getattr(backend, name)))


def run_notebook(report: str, source: str, period: str, lang: str = "zh") -> None:
    """Execute the report notebook's code cells with its parameters set; render what it displays."""
    import matplotlib

    matplotlib.use("Agg")
    import IPython.display as display_module
    import nbformat
    from matplotlib.figure import Figure

    def render(obj: Any) -> None:
        if isinstance(obj, Figure):
            import io

            obj.savefig(io.BytesIO(), format="png")
        elif hasattr(obj, "_repr_html_"):
            obj._repr_html_()

    display_module.display = lambda *objs, **kw: [render(o) for o in objs]  # type: ignore[assignment]
    nb = nbformat.read(ROOT / "notebooks" / f"{report}.ipynb", as_version=4)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        exec(cell.source, namespace)  # noqa: S102 - our own notebook
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update({"source": source, "period": period, "lang": lang})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report")
    parser.add_argument("source")
    parser.add_argument("period")
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    instrument()
    started = time.perf_counter()
    error = ""
    try:
        run_notebook(args.report, args.source, args.period)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    slow = sorted(QUERIES, key=lambda q: -q["s"])[: args.top]
    large = sorted(QUERIES, key=lambda q: -q["rows"])[: args.top]
    out = {
        "report": args.report,
        "all": [[q["sql"], q["s"], q["rows"], q["at"]] for q in QUERIES],
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(peak_mb),
        "queries": len(QUERIES),
        "query_s": round(sum(q["s"] for q in QUERIES), 2),
        "rows": sum(q["rows"] for q in QUERIES),
        "slowest": slow,
        "largest": large,
        "error": error,
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
