"""The `fintech` command: generate an extract, build, validate and query the warehouse, list the catalog, serve.

Nothing a user types or points it at ends in a traceback: a refusal or a failure is a short message on
stderr, and the exit code says which: 0 done, 1 the work failed (a failed build or validation, a server
that does not answer), 2 the input or the command line was refused (argparse's usage errors included).
Every message is printed through semantic.config.redact: no password reaches the terminal.
"""

from __future__ import annotations

import argparse
import gc
import math
import re
import sys
import time
from pathlib import Path

from semantic import config

EXIT_FAILED = 1
EXIT_REFUSED = 2


class Refused(Exception):
    """Input the command refuses (exit 2); the message says what is wrong and what would be valid."""


def main(argv: list[str] | None = None) -> int:
    _tolerant_output()
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        _error(args, "interrupted; the published warehouse is unchanged")
        return 130
    except Exception as e:  # what no command caught: a one-line message, never a traceback
        return _failed(args, e)
    finally:
        # The work is done: the interpreter's last collection would only walk the objects of the
        # libraries loaded (Great Expectations above all), 0.6 s of every build's exit
        gc.freeze()


def _tolerant_output() -> None:
    """Text that is not UTF-8 (a path from argv, bytes a user typed) prints escaped, never as a crash."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _failed(args, e: Exception) -> int:
    """The exit code and message of an exception the command did not catch itself."""
    from semantic.backends import CannotConnect, NotAWarehouse

    if isinstance(e, (Refused, NotAWarehouse)):  # NotAWarehouse: what is there instead, or a file it cannot read
        _error(args, f"{args.command}: {e}")
        return EXIT_REFUSED
    if isinstance(e, config.BadURL):
        _error(args, f"{args.command}: refused the backend URL ({_url_origin(args)}): {e}")
        return EXIT_REFUSED
    if isinstance(e, CannotConnect):
        _error(args, f"{args.command}: {e}")
        return EXIT_FAILED
    _error(args, f"{args.command} failed ({type(e).__name__}): {_first_line(e)}")
    return EXIT_FAILED


def _url_origin(args) -> str:
    if getattr(args, "backend", None) is not None:
        return "--backend"
    return f"${config.BACKEND_ENV}" if config.backend_url() != config.default_backend_url() else "the default"


# ---- arguments ------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fintech", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND", dest="command")

    generate = commands.add_parser("generate", help="write a synthetic raw extract (deterministic)")
    generate.add_argument("--rows", type=_whole, default=1_000, help="number of accounts (rows), default 1000")
    generate.add_argument("--seed", type=_whole, default=42, help="random seed (>= 0), default 42")
    generate.add_argument("--accounts-per-customer", type=_finite, default=1.0, metavar="M",
                          help="mean number of accounts per customer (1 to 100), default 1")
    generate.add_argument("--out", type=_path("the path of a CSV file to write"), required=True,
                          help="CSV file to write, in an existing directory (never over a file that is not an "
                               "extract)")
    generate.set_defaults(run=_generate)

    build = commands.add_parser("build", help="build and publish the warehouse from a raw CSV extract")
    build.add_argument("--source", type=Path, default=None,
                       help=f"raw CSV extract (default: {config.default_source()})")
    _backend_argument(build, help=f"Ibis connection URL (default: ${config.BACKEND_ENV}, "
                                  "else the DuckDB file under data/warehouse/)")
    build.add_argument("--memory-limit", type=_checked(config.memory_size), default=None, metavar="SIZE",
                       help=f"memory DuckDB may use before spilling to disk (default: ${config.BUILD_MEMORY_ENV}, "
                            f"else {config.DEFAULT_BUILD_MEMORY})")
    build.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS",
                       help="if another build is publishing to the same warehouse, wait this long for it "
                            "(default 0: refuse at once, naming it)")
    build.set_defaults(run=_build)

    validate = commands.add_parser("validate", help="run every expectation suite on the published warehouse")
    _backend_argument(validate)
    validate.add_argument("--out", type=_path("a directory for the report"), default=None, metavar="DIR",
                          help="where Data Docs and summary.json go (default: where the warehouse's reports live: "
                               "beside a database file, inside a Parquet directory, data/validation/ for a server)")
    validate.set_defaults(run=_validate)

    serve = commands.add_parser("serve", help="build and validate the warehouse if needed, then serve the dashboard")
    serve.add_argument("--port", type=_port, default=5006, help="the port to listen on (1 to 65535), default 5006")
    serve.add_argument("--address", default="127.0.0.1", metavar="HOST",
                       help="the interface to listen on; 0.0.0.0 for every interface (default 127.0.0.1)")
    serve.add_argument("--allow-websocket-origin", action="append", default=[], dest="allow_websocket_origin",
                       metavar="HOST[:PORT]", help="another host the dashboard is reached by (repeatable)")
    _backend_argument(serve)
    serve.add_argument("--basic-auth", action="store_true",
                       help="ask for a login: the password (or a JSON file of users) in FINTECH_BASIC_AUTH, "
                            "the cookie-signing secret in FINTECH_COOKIE_SECRET")
    serve.set_defaults(run=_serve)

    query = commands.add_parser("query", help="ask the semantic layer for metrics by dimensions, under filters")
    query.add_argument("metrics", nargs="+", metavar="METRIC", help="catalog metric names")
    query.add_argument("--by", action="append", default=[], metavar="DIM[,DIM]", help="dimensions to group by")
    query.add_argument("--where", action="append", default=[], metavar="DIM=V1,V2 | DIM=LOW..HIGH",
                       help="filter: values of a dimension, or an inclusive range (repeatable, one per dimension)")
    query.add_argument("--time-grain", default="month", choices=["month", "quarter", "year"])
    query.add_argument("--format", default="table", choices=["table", "csv", "json"])
    query.add_argument("--sql", action="store_true", help="print the SQL for the backend instead of running it")
    _backend_argument(query)
    query.set_defaults(run=_query)

    about = "; read from the catalog (semantic/catalog.py), never from a warehouse"
    metrics = commands.add_parser("metrics", help="list the catalog's metrics: name, format, grain, definition",
                                  description="The metrics `fintech query` asks for: name, format, grain "
                                              "(what one row counts) and definition" + about)
    metrics.set_defaults(run=_metrics)
    dimensions = commands.add_parser("dimensions", help="list the catalog's dimensions: name, kind, grain, values",
                                     description="The dimensions `fintech query` slices (--by) and filters "
                                                 "(--where) by: name, kind, grain and the fixed values the spec "
                                                 "gives (others take what the data holds)" + about)
    dimensions.set_defaults(run=_dimensions)
    return parser


def _backend_argument(parser, help: str = "Ibis connection URL (as for build)") -> None:
    parser.add_argument("--backend", default=None, metavar="URL",
                        help=help + "; percent-encode '/', '?', '#', '@' and spaces in a password. A password "
                                    f"here is shown to every user of this machine by ps: set ${config.BACKEND_ENV} "
                                    "instead")


def _checked(check):
    """An argparse type from a check that raises ValueError with its own message (argparse shows it)."""
    def parse(text: str):
        try:
            return check(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    parse.__name__ = check.__name__
    return parse


def _number(text: str, whole: bool, low: float, high: float, what: str):
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{what}, got {text!r}")
    return value


def _path(what: str):
    """An argparse type for a path: an empty one names nothing (Path('') would be the working directory)."""
    def path(text: str) -> Path:
        if not text:
            raise ValueError(f"takes {what}, got {text!r}")
        return Path(text)
    return _checked(path)


_whole = _checked(lambda text: _number(text, True, -math.inf, math.inf, "a whole number"))
_finite = _checked(lambda text: _number(text, False, -math.inf, math.inf, "a finite number"))
_seconds = _checked(lambda text: _number(text, False, 0, math.inf, "a finite number of seconds, 0 or more"))
_port = _checked(lambda text: _number(text, True, 1, 65535, "a port number from 1 to 65535"))


def _backend(args) -> str:
    """The URL the command works on, read and checked before anything opens it (config.BadURL: exit 2)."""
    from semantic import backends

    url = config.backend_url(args.backend)
    backends.storage(url)
    if args.backend is not None and config.holds_password(url):
        _error(args, f"{args.command}: note: the password given with --backend is visible to other users of this "
                     f"machine (ps) while the command runs; set ${config.BACKEND_ENV} instead")
    backends.check_readable(url)  # Unreadable (exit 2): a file or directory this user may not read
    return url


# ---- commands -------------------------------------------------------------------------------------

def _generate(args) -> int:
    from pipelines.generate import GenerateRefused, generate

    start = time.perf_counter()
    try:
        out = generate(args.out, rows=args.rows, seed=args.seed, accounts_per_customer=args.accounts_per_customer)
    except GenerateRefused as e:
        _error(args, f"generate: {e}")
        return EXIT_REFUSED
    except OSError as e:
        _error(args, f"generate failed: cannot write {args.out}: {e.strerror or e}")
        return EXIT_FAILED
    _error(args, f"wrote {args.rows:,} rows to {out} in {time.perf_counter() - start:.1f} s", prefix="")
    return 0


def _build(args) -> int:
    from expectations import GateFailure, ReportRefused
    from pipelines.build import BuildError, build
    from pipelines.target import BuildBusy, TargetRefused
    from semantic.backends import CannotConnect, NotAWarehouse
    from semantic.models.contract import ContractViolation

    url = _backend(args)
    source = args.source or config.default_source()
    try:
        memory = config.build_memory(args.memory_limit)
    except ValueError as e:
        raise Refused(e) from None
    unchanged = f"the published warehouse at {config.masked_url(url)} is unchanged"
    try:
        build(source, url, echo=lambda line: print(config.redact(line, url), flush=True), memory=memory,
              wait=args.wait)
    except ContractViolation as e:
        _error(args, f"build: {e.report()}\nnothing was built; the published warehouse is unchanged")
        return EXIT_REFUSED
    except (TargetRefused, ReportRefused) as e:
        _error(args, f"build: {e}\nnothing was built")
        return EXIT_REFUSED
    except BuildBusy as e:
        _error(args, f"build: {e}\nnothing was built; the published warehouse is unchanged")
        return EXIT_REFUSED
    except GateFailure as e:
        _error(args, f"build: the expectation suites failed:\n{e}\nnothing was published; "
                     "the published warehouse is unchanged")
        return EXIT_FAILED
    except CannotConnect as e:
        _error(args, f"build: {e}\nnothing was built")
        return EXIT_FAILED
    except (config.BadURL, NotAWarehouse) as e:  # refused (exit 2): an option the server's driver refused, a
        _error(args, f"build: {e}\nnothing was built")  # file it cannot read
        return EXIT_REFUSED
    except (BuildError, NotImplementedError, ValueError) as e:
        _error(args, f"build failed: {e}\n{unchanged}")
        return EXIT_FAILED
    except Exception as e:  # an unexpected failure: say what, keep the warehouse, no traceback
        _error(args, f"build failed ({type(e).__name__}): {_first_line(e)}\n{unchanged}")
        return EXIT_FAILED
    return 0


def _validate(args) -> int:
    from expectations import ReportRefused
    from pipelines.validate import validate
    from semantic.backends import NotAWarehouse

    url = _backend(args)
    try:
        runs, summary = validate(url, args.out)
    except (NotAWarehouse, ReportRefused) as e:
        _error(args, f"validate: {e}")
        return EXIT_REFUSED
    from expectations.gate import report

    print(config.redact(f"{report(runs)}\nsummary: {summary}\nData Docs: {summary.parent / 'docs' / 'index.html'}",
                        url))
    return 0 if all(run.result.success for run in runs) else EXIT_FAILED


def _serve(args) -> int:
    from dashboard.serve import serve

    fintech = [sys.executable, "-m", "fintech"]  # this command, run again as the server's children
    return serve(_backend(args), args.port, basic_auth=args.basic_auth, address=args.address,
                 origins=tuple(args.allow_websocket_origin),
                 build=[*fintech, "build"], validate=[*fintech, "validate"])  # build: from the default source


def _query(args) -> int:
    import semantic
    from semantic.query import QueryError

    url = _backend(args)
    by = [name for value in args.by for name in value.split(",") if name]
    try:
        where = _filters(args.where)
        sl = semantic.connect(url)
    except QueryError as e:
        raise Refused(e) from None
    try:
        if args.sql:
            print(sl.sql(args.metrics, by=by, where=where, time_grain=args.time_grain))
            return 0
        result = sl.query(args.metrics, by=by, where=where, time_grain=args.time_grain)
        for note in _unmatched(sl, where):
            _error(args, f"query: note: {note}")
    except QueryError as e:
        raise Refused(e) from None
    finally:
        sl.close()
    print(_render(result, args.format, sl.metrics))
    return 0


def _metrics(args) -> int:
    from semantic.catalog import METRICS

    print(_aligned(("metric", "format", "grain", "definition"),
                   [(m.name, m.format, m.grain, m.description) for m in METRICS.values()]))
    return 0


def _dimensions(args) -> int:
    from semantic.catalog import DIMENSIONS, TIME_GRAINS

    def values(d) -> str:
        if d.kind == "time":
            return "grains: " + ", ".join(TIME_GRAINS)
        return ", ".join(map(str, d.values)) or "-"

    print(_aligned(("dimension", "kind", "grain", "values"),
                   [(d.name, d.kind, d.grain, values(d)) for d in DIMENSIONS.values()]))
    return 0


def _aligned(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Plain text columns, each as wide as its widest cell; the last (the longest text) left ragged."""
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[-1]]) for row in table)


def _filters(texts: list[str]) -> dict[str, object]:
    """Every --where, one per dimension."""
    where: dict[str, object] = {}
    for text in texts:
        name, selection = _parse_filter(text)
        if name in where:
            raise Refused(f"--where {name}= is given twice: give its values once, separated by commas "
                          f"(--where {name}=A,B)")
        where[name] = selection
    return where


def _parse_filter(text: str) -> tuple[str, object]:
    """`region=North,West` -> a list of values; `age=30..44` -> an inclusive range (either end may be empty).

    Numbers are read as the data contract writes them (semantic.models.contract.NUMBER); every value is then
    checked by the layer (semantic/request.py)."""
    from semantic.catalog import DIMENSIONS

    name, sep, values = text.partition("=")
    if not sep or not name:
        raise Refused(f"--where takes DIM=V1,V2 or DIM=LOW..HIGH (such as region=North,West or age=30..44), "
                      f"got {text!r}")
    kind = DIMENSIONS[name].kind if name in DIMENSIONS else "category"
    convert = (lambda v: _filter_number(name, v)) if kind in ("number", "derived") else str
    if ".." in values:
        low, high = values.split("..", 1)
        return name, tuple(convert(v) if v else None for v in (low, high))
    return name, [convert(v) for v in values.split(",") if v]


def _filter_number(name: str, text: str) -> int | float:
    from semantic.models.contract import NUMBER

    if not re.fullmatch(NUMBER, text):
        raise Refused(f"--where {name}: {name} takes numbers written as 30, -12.5 or 2e5, got {text!r}")
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else float(text)


def _unmatched(sl, where: dict) -> list[str]:
    """A note for each listed filter value no row has, naming the values the dimension takes: each value
    compared as the layer reads it (semantic.request.parse_selection: `20240131` and `2024-01-31T00:00` are
    the date 2024-01-31, `30` and `30.0` the same number)."""
    from semantic.request import QueryError, parse_selection, parse_where

    notes = []
    for (name, selection), (parsed_name, _) in zip(where.items(), parse_where(where)):
        if not isinstance(selection, list) or not selection:
            continue
        known = sl.dimension_values(parsed_name)
        missing = []
        for value in selection:
            try:
                read = parse_selection(parsed_name, [value])
            except QueryError:  # refused by the query already; never here
                continue
            if read and read[0] not in known and value not in missing:
                missing.append(value)
        if missing:
            shown = ", ".join(repr(v) for v in missing[:5]) + (", ..." if len(missing) > 5 else "")
            notes.append(f"{name} {shown} matches no row; {name} takes "
                         f"{_listing(known, sl.dimensions[parsed_name].kind)}")
    return notes


def _listing(values: list, kind: str) -> str:
    if not values:
        return "no values in this warehouse"
    if kind == "number":
        return f"values from {values[0]} to {values[-1]}"
    shown = ", ".join(str(v) for v in values[:20])
    return shown + (f", ... ({len(values)} values)" if len(values) > 20 else "")


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


# ---- messages -------------------------------------------------------------------------------------

def _first_line(e: BaseException) -> str:
    """The first line of an exception's text (its type when it has none), cut short."""
    lines = str(e).strip().splitlines()
    return (lines[0] if lines else type(e).__name__)[:300]


def _error(args, message: str, prefix: str = "fintech ") -> None:
    """`message` on stderr, through redact: the secrets of the command's URL never reach the terminal."""
    print(prefix + config.redact(message, config.backend_url(getattr(args, "backend", None))), file=sys.stderr)
