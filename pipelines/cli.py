"""The `fintech` command: generate an extract, build the warehouse.

Expected failures (bad input, bad configuration) end with a short message on
stderr and a non-zero exit code, never a traceback:
2 = the input or the arguments were refused; 1 = the build failed.
"""

from __future__ import annotations

import argparse
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
    build.set_defaults(run=_build)
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
    from pipelines.build import BuildError, build
    from pipelines.contract import ContractViolation

    url = config.backend_url(args.backend)
    source = args.source or config.default_source()
    try:
        build(source, url, echo=lambda line: print(line, flush=True))
    except ContractViolation as e:
        _error(f"build: {e.report()}\nnothing was built; the published warehouse is unchanged")
        return EXIT_REFUSED
    except (BuildError, NotImplementedError, ValueError) as e:
        _error(f"build failed: {config.masked_url(str(e))}\nthe published warehouse is unchanged")
        return EXIT_FAILED
    except Exception as e:  # an unexpected failure: say what, keep the warehouse, no traceback
        _error(f"build failed ({type(e).__name__}): {config.masked_url(str(e)).splitlines()[0]}\n"
               "the published warehouse is unchanged")
        return EXIT_FAILED
    return 0


def _error(message: str) -> None:
    print(f"fintech {message}", file=sys.stderr)
