"""`fintech validate`: every suite on the published warehouse, with Data Docs and a summary for the dashboard."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from semantic import backends, config


def validate(url: str, out: Path | None = None):
    """Run the published-layer suites on the warehouse at `url`; write results under `out` (default: where that
    warehouse's reports live, semantic.backends.reports_dir), keyed to its build marker.

    Refused before a suite runs: a URL that is not a warehouse (NotAWarehouse), an `out` that may not be
    written (ReportRefused: someone's files, a file, a directory that does not exist or cannot be written).
    """
    from expectations import claim_reports_dir

    backends.require(url)  # NotAWarehouse (a ValueError) says what is there instead
    target = Path(out) if out else backends.reports_dir(url)
    if out:
        check_out(target)
    claim_reports_dir(target)
    check_writable(target, given=bool(out))
    from expectations.gate import run_suite, write_results  # Great Expectations: seconds, once the checks pass
    from expectations.suites import PUBLISHED_SUITES

    con = backends.open_warehouse(url)
    try:
        marker = backends.build_marker(con)
        tables = {name: con.table(name) for name in con.list_tables()}
        runs = [run_suite(suite, tables) for suite in PUBLISHED_SUITES]
    finally:
        con.disconnect()
    return runs, write_results(runs, target, config.masked_url(url), marker)


def check_writable(target: Path, given: bool = False) -> None:
    """ReportRefused unless the report directory can be made (where the first existing directory above it is)
    or, when it exists, every directory and file in it written: tried, not guessed from the mode bits (root may
    write anywhere by them, /proc nowhere), leaving nothing behind."""
    from expectations import ReportRefused

    hint = "give --out DIR, a directory you can write" + ("" if given else " (made when missing)")
    place = target
    while not place.exists() and place != place.parent:
        place = place.parent
    where = f"cannot make a directory in {place}"
    try:
        if place != target:  # the report directory would be made in `place`
            os.rmdir(tempfile.mkdtemp(prefix=".fintech-probe-", dir=place))
            return
        for directory, _, files in os.walk(target, onerror=_raise):
            where = f"cannot write in {directory}"
            tempfile.TemporaryFile(dir=directory).close()
            for name in files:
                where = f"cannot write {os.path.join(directory, name)}"
                if not os.access(os.path.join(directory, name), os.W_OK):
                    raise PermissionError(13, "Permission denied")
    except OSError as e:
        reason = "permission denied" if isinstance(e, PermissionError) else (e.strerror or type(e).__name__).lower()
        raise ReportRefused(f"cannot write the validation report in {target}: {where} ({reason}); {hint}") from None


def _raise(error: OSError) -> None:
    raise error


def check_out(out: Path) -> None:
    """An --out the command may create or write into: its directory exists and is writable (ReportRefused)."""
    from expectations import ReportRefused

    parent = out.parent if not out.is_dir() else out
    if not parent.is_dir():
        raise ReportRefused(f"--out {out}: the directory {out.parent} does not exist (create it first)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ReportRefused(f"--out {out}: cannot write in {parent}")
