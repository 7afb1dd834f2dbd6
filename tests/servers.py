"""Real, throwaway database servers for tests.

`postgres_server()` runs a private PostgreSQL cluster from the system's own
binaries (Debian's `postgresql` package), so the semantic layer is tested
against the real engine rather than a mock; each cluster lives in a fresh
temporary directory on a free port and is gone when the `with` block ends.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INSTALL_HINT = "apt-get install -y --no-install-recommends postgresql (or `make postgres`)"
NEEDED = ("initdb", "pg_ctl", "postgres", "createdb")
USER = DATABASE = "fintech"

# A test cluster need not survive a crash: skip every flush to disk, keep memory small.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "60",
}


def find_postgres_bindir() -> Path:
    """The directory holding initdb, pg_ctl, postgres and createdb together.

    PATH first (Debian puts only wrappers or nothing there, so a symlink is
    followed to the real directory), then /usr/lib/postgresql/<version>/bin,
    newest version first.
    """
    candidates = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(d) for d in sorted(versions, key=_version, reverse=True)]
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in NEEDED):
            return bindir
    raise RuntimeError(f"PostgreSQL server binaries ({', '.join(NEEDED)}) not found on PATH "
                       f"or under /usr/lib/postgresql/*/bin; install them with: {INSTALL_HINT}")


def postgres_binaries_available() -> bool:
    """Whether `postgres_server()` can run here (for skipif markers)."""
    try:
        find_postgres_bindir()
    except RuntimeError:
        return False
    return True


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throwaway PostgreSQL cluster; yield `postgres://fintech@127.0.0.1:PORT/fintech`.

    Trust authentication and a `fintech` superuser and database. The cluster is
    stopped (immediately: its data is never kept) and its directory removed on
    exit, even if the body raised.
    """
    bindir = find_postgres_bindir()
    as_postgres = _server_user_prefix()
    root = Path(tempfile.mkdtemp(prefix="fintech-pg-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    port = _free_port()

    def run(*command: str, prefix: list[str] = as_postgres) -> None:
        _run([*prefix, str(bindir / command[0]), *command[1:]], cwd=root, log=log)

    try:
        sockets.mkdir(mode=0o700)  # private: the default /var/run/postgresql may be missing or shared
        if as_postgres:  # initdb refuses root: the `postgres` user owns the whole tree
            for path in (root, sockets):
                shutil.chown(path, "postgres", "postgres")
        run("initdb", "-D", str(data), "-U", USER, "--auth=trust", "--encoding=UTF8",
            "--locale=C", "--no-sync", "--no-instructions")
        settings = {**SETTINGS, "port": str(port), "unix_socket_directories": f"'{sockets}'"}
        with open(data / "postgresql.conf", "a") as conf:  # appending keeps the postgres owner
            conf.write("\n# throwaway test cluster (tests/servers.py)\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", "start")
        # trust auth over TCP: any OS user may connect as `fintech`, no runuser needed
        run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE, prefix=[])
        yield f"postgres://{USER}@127.0.0.1:{port}/{DATABASE}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                            "-w", "stop"], cwd=root, env=_clean_env(), capture_output=True, timeout=60)
        shutil.rmtree(root)


def _server_user_prefix() -> list[str]:
    """`runuser -u postgres --` when root (initdb refuses to run as root), else nothing."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root needs the `postgres` system user to own the cluster; "
                           f"Debian's package creates it: {INSTALL_HINT}") from None
    return ["runuser", "-u", "postgres", "--"]


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_env() -> dict[str, str]:
    """The environment without PG* variables, which would redirect the client tools."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def _run(command: list[str], cwd: Path, log: Path) -> None:
    """Run a server tool; on failure raise with its output and the server log."""
    result = subprocess.run(command, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        server_log = log.read_text(errors="replace")[-4000:] if log.exists() else ""
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n"
                           f"{result.stdout}{result.stderr}\n{server_log}".rstrip())


def _version(bindir: str) -> tuple[int, ...]:
    """(15,) for /usr/lib/postgresql/15/bin, so 16 sorts above 9.6."""
    name = Path(bindir).parent.name
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def create_database(server_url: str, name: str) -> str:
    """A new, empty database on the server at `server_url` (so that suites sharing one cluster don't collide)."""
    import psycopg

    with psycopg.connect(server_url.replace("postgres://", "postgresql://", 1), autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"
