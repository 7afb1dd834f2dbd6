"""Where the warehouse lives: one place, overridable by flag and environment.

Precedence: an explicit URL (the `--backend` flag) > `FINTECH_BACKEND` > the
embedded DuckDB file under `data/warehouse/`. URLs are Ibis connection URLs
(`duckdb:///abs/path.duckdb`, `duckdb://relative.duckdb`,
`postgres://user:pass@host:5432/db`, `sqlite:///path`, ...). Secrets in a URL
are masked by `masked_url` before anything is printed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

BACKEND_ENV = "FINTECH_BACKEND"
DATA_DIR_ENV = "FINTECH_DATA_DIR"
BUILD_MEMORY_ENV = "FINTECH_BUILD_MEMORY"
# DuckDB's memory for a build; beyond it, it spills to the build's own temporary directory (deleted after).
# Its default, 80% of RAM, took 16 GB for 10M accounts.
DEFAULT_BUILD_MEMORY = "4GB"

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """`data/` of the project, or `FINTECH_DATA_DIR`."""
    return Path(os.environ.get(DATA_DIR_ENV) or PROJECT_ROOT / "data")


def default_source() -> Path:
    """The committed raw sample."""
    return data_dir() / "raw" / "fintech_data.csv"


def default_backend_url() -> str:
    return f"duckdb://{(data_dir() / 'warehouse' / 'fintech.duckdb').resolve()}"


def is_default_backend(url: str) -> bool:
    """Is `url` the embedded default warehouse (however the path is written)?"""
    default = url_path(default_backend_url())
    try:
        return backend_name(url) == "duckdb" and url_path(url) is not None and url_path(url).resolve() == default
    except ValueError:
        return False


def backend_url(flag: str | None = None) -> str:
    """The configured backend URL: flag > FINTECH_BACKEND > embedded DuckDB."""
    return flag or os.environ.get(BACKEND_ENV) or default_backend_url()


def masked_url(url: str) -> str:
    """`url` with any password (and token-like query values) replaced by ***."""
    masked = re.sub(r"(//[^/:@]*:)[^@/]*@", r"\1***@", url)
    return re.sub(r"(?i)([?&](?:password|pass|pwd|token|secret|key)=)[^&]*", r"\1***", masked)


def backend_name(url: str) -> str:
    """The backend part of a URL: `duckdb`, `postgres`, ..."""
    scheme = urlsplit(url).scheme
    if not scheme:
        raise ValueError(f"not a backend URL (expected e.g. duckdb:///path/to/file.duckdb): {masked_url(url)}")
    return scheme.split("+")[0]


def url_path(url: str) -> Path | None:
    """The file or directory a URL names: `scheme:///abs/path` is absolute, `scheme://rel/path` relative to the
    working directory (as Ibis reads them); None for `:memory:`. Meaningless for server URLs."""
    parts = urlsplit(url)
    path = parts.netloc + parts.path
    return None if path in {"", ":memory:"} else Path(path)


def database_file(url: str) -> Path | None:
    """The database file of a file-based URL (duckdb, sqlite); None otherwise or in memory."""
    return url_path(url) if backend_name(url) in {"duckdb", "sqlite"} else None


def build_memory(flag: str | None = None) -> str:
    """The memory a DuckDB build may use, e.g. `4GB` (--memory-limit, $FINTECH_BUILD_MEMORY, 4GB)."""
    value = (flag or os.environ.get(BUILD_MEMORY_ENV) or DEFAULT_BUILD_MEMORY).strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, flags=re.IGNORECASE):
        raise ValueError(f"memory limit {value!r}: give a size such as 4GB or 512MB")
    return value
