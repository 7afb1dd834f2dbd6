"""The `fintech` command: generate an extract, build and validate the warehouse, query it, serve the dashboard.

Expected failures (bad input, bad configuration) end with a short message on
stderr and a non-zero exit code, never a traceback:
2 = the input or the arguments were refused; 1 = the build failed.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

from semantic import config

EXIT_FAILED = 1
EXIT_REFUSED = 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        _error("interrupted; the published warehouse is unchanged")
        return 130
    finally:
        # The work is done: the interpreter's last collection would only walk the objects of the
        # libraries loaded (Great Expectations above all), 0.6 s of every build's exit
        gc.freeze()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fintech", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    generate = commands.add_parser("generate", help="write a synthetic raw extract (deterministic)")
    generate.add_argument("--rows", type=int, default=1_000, help="number of accounts (rows), default 1000")
    generate.add_argument("--seed", type=int, default=42, help="random seed, default 42")
    generate.add_argument("--accounts-per-customer", type=float, default=1.0, metavar="M",
                          help="mean number of accounts per customer (>= 1), default 1")
    generate.add_argument("--out", type=Path, required=True, help="CSV file to write")
    generate.set_defaults(run=_generate)

    build = commands.add_parser("build", help="build and publish the warehouse from a raw CSV extract")
    build.add_argument("--source", type=Path, default=None,
                       help=f"raw CSV extract (default: {config.default_source()})")
    build.add_argument("--backend", default=None, metavar="URL",
                       help=f"Ibis connection URL (default: ${config.BACKEND_ENV}, "
                            "else the DuckDB file under data/warehouse/)")
    build.add_argument("--memory-limit", default=None, metavar="SIZE",
                       help=f"memory DuckDB may use before spilling to disk (default: ${config.BUILD_MEMORY_ENV}, "
                            f"else {config.DEFAULT_BUILD_MEMORY})")
    build.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                       help="if another build is publishing to the same warehouse, wait this long for it "
                            "(default 0: refuse at once, naming it)")
    build.set_defaults(run=_build)

    validate = commands.add_parser("validate", help="run every expectation suite on the published warehouse")
    validate.add_argument("--backend", default=None, metavar="URL", help="Ibis connection URL (as for build)")
    validate.add_argument("--out", type=Path, default=None,
                          help="where Data Docs and summary.json go (default: where the warehouse's reports live: "
                               "beside a database file, inside a Parquet directory, data/validation/ for a server)")
    validate.set_defaults(run=_validate)

    serve = commands.add_parser("serve", help="build and validate the warehouse if needed, then serve the dashboard")
    serve.add_argument("--port", type=int, default=5006)
    serve.add_argument("--backend", default=None, metavar="URL", help="Ibis connection URL (as for build)")
    serve.add_argument("--basic-auth", action="store_true",
                       help="ask for a login: the password (or a JSON file of users) in FINTECH_BASIC_AUTH, "
                            "the cookie-signing secret in FINTECH_COOKIE_SECRET")
    serve.set_defaults(run=_serve)

    query = commands.add_parser("query", help="ask the semantic layer for metrics by dimensions, under filters")
    query.add_argument("metrics", nargs="+", metavar="METRIC", help="catalog metric names")
    query.add_argument("--by", action="append", default=[], metavar="DIM[,DIM]", help="dimensions to group by")
    query.add_argument("--where", action="append", default=[], metavar="DIM=V1,V2 | DIM=LOW..HIGH",
                       help="filter: values of a dimension, or an inclusive range (repeatable)")
    query.add_argument("--time-grain", default="month", choices=["month", "quarter", "year"])
    query.add_argument("--format", default="table", choices=["table", "csv", "json"])
    query.add_argument("--sql", action="store_true", help="print the SQL for the backend instead of running it")
    query.add_argument("--backend", default=None, metavar="URL", help="Ibis connection URL (as for build)")
    query.set_defaults(run=_query)
    return parser


def _generate(args) -> int:
    from pipelines.generate import generate

    start = time.perf_counter()
    try:
        out = generate(args.out, rows=args.rows, seed=args.seed, accounts_per_customer=args.accounts_per_customer)
    except (ValueError, OSError) as e:
        _error(f"generate: {e}")
        return EXIT_REFUSED
    print(f"wrote {args.rows:,} rows to {out} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


def _build(args) -> int:
    from expectations import GateFailure, ReportRefused
    from pipelines.build import BuildError, build
    from pipelines.contract import ContractViolation
    from pipelines.target import BuildBusy, TargetRefused
    from semantic.backends import UnsupportedBackend

    url = config.backend_url(args.backend)
    source = args.source or config.default_source()
    try:
        build(source, url, echo=lambda line: print(line, flush=True), memory=config.build_memory(args.memory_limit),
              wait=args.wait)
    except ContractViolation as e:
        _error(f"build: {e.report()}\nnothing was built; the published warehouse is unchanged")
        return EXIT_REFUSED
    except TargetRefused as e:
        _error(f"build: {config.masked_url(str(e))}")
        return EXIT_REFUSED
    except (ReportRefused, UnsupportedBackend) as e:
        _error(f"build: refused: {config.masked_url(str(e))}\nnothing was built")
        return EXIT_REFUSED
    except BuildBusy as e:
        _error(f"build: {config.masked_url(str(e))}\nnothing was built; the published warehouse is unchanged")
        return EXIT_REFUSED
    except GateFailure as e:
        _error(f"build: the expectation suites failed:\n{e}\nnothing was published; "
               "the published warehouse is unchanged")
        return EXIT_FAILED
    except (BuildError, NotImplementedError, ValueError) as e:
        _error(f"build failed: {config.masked_url(str(e))}\nthe published warehouse at {config.masked_url(url)} "
               "is unchanged")
        return EXIT_FAILED
    except Exception as e:  # an unexpected failure: say what, keep the warehouse, no traceback
        _error(f"build failed ({type(e).__name__}): {config.masked_url(str(e)).splitlines()[0]}\n"
               f"the published warehouse at {config.masked_url(url)} is unchanged")
        return EXIT_FAILED
    return 0


def _validate(args) -> int:
    from pipelines.validate import validate

    url = config.backend_url(args.backend)
    try:
        runs, summary = validate(url, args.out)
    except (FileNotFoundError, ValueError) as e:
        _error(f"validate: {config.masked_url(str(e))}")
        return EXIT_REFUSED
    except Exception as e:  # an unreachable server, a damaged file: say what, no traceback
        _error(f"validate failed ({type(e).__name__}): {config.masked_url(str(e)).splitlines()[0] if str(e) else ''}")
        return EXIT_FAILED
    from expectations.gate import report

    print(report(runs))
    print(f"summary: {summary}\nData Docs: {summary.parent / 'docs' / 'index.html'}")
    return 0 if all(run.result.success for run in runs) else EXIT_FAILED


def _serve(args) -> int:
    from pipelines.serve import serve

    return serve(config.backend_url(args.backend), args.port, basic_auth=args.basic_auth)


def _query(args) -> int:
    import semantic
    from semantic.backends import UnsupportedBackend
    from semantic.query import QueryError

    by = [name for value in args.by for name in value.split(",") if name]
    try:
        where = dict(_parse_filter(text) for text in args.where)
        sl = semantic.connect(args.backend)
        if args.sql:
            print(sl.sql(args.metrics, by=by, where=where, time_grain=args.time_grain))
            return 0
        result = sl.query(args.metrics, by=by, where=where, time_grain=args.time_grain)
    except (QueryError, UnsupportedBackend) as e:
        _error(f"query: {config.masked_url(str(e))}")
        return EXIT_REFUSED
    except Exception as e:  # an unreachable server, a damaged file: say what, no traceback
        _error(f"query failed ({type(e).__name__}): {config.masked_url(str(e)).splitlines()[0] if str(e) else ''}")
        return EXIT_FAILED
    print(_render(result, args.format, sl.metrics))
    return 0


def _parse_filter(text: str) -> tuple[str, object]:
    """`region=North,West` -> a list of values; `age=30..44` -> an inclusive range (either end may be empty)."""
    from semantic.catalog import DIMENSIONS
    from semantic.query import QueryError

    name, sep, values = text.partition("=")
    if not sep or not name:
        raise QueryError(f"a filter is DIM=V1,V2 or DIM=LOW..HIGH, got {text!r}")
    kind = DIMENSIONS[name].kind if name in DIMENSIONS else "category"
    convert = float if kind == "number" else int if kind == "derived" else str
    try:
        if ".." in values:
            low, high = values.split("..", 1)
            return name, tuple(convert(v) if v else None for v in (low, high))
        return name, [convert(v) for v in values.split(",") if v]
    except ValueError:
        wanted = "numbers" if kind == "number" else "whole numbers"
        raise QueryError(f"filter {text!r}: {name} takes {wanted}") from None


def _render(result, fmt: str, metrics) -> str:
    if fmt == "csv":
        return result.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return result.to_json(orient="records", date_format="iso", indent=2)
    from semantic.formats import format_value

    shown = result.copy()
    for column in shown.columns:
        if column in metrics:
            shown[column] = [format_value(v, metrics[column].format) for v in shown[column]]
    if shown.empty:
        return "(no rows match these filters)"
    return shown.to_string(index=False)


def _error(message: str) -> None:
    print(f"fintech {message}", file=sys.stderr)
