"""PostgreSQL: a database server. The driver is given the URL's parts (semantic.config.server_address), never
the URL, with a connect timeout; each build's tables live in a schema of their own (pipelines/publish.py)."""

from __future__ import annotations

import re

from semantic.config import BadURL, ServerAddress, masked_url, redact, server_address
from semantic.engines.profile import CannotConnect, Engine

CONNECT_TIMEOUT_SECONDS = 10  # unless the URL gives ?connect_timeout=

# libpq's words for an option value it cannot read, said before it reaches any server ("connection is bad: ...":
# `invalid sslmode value: "x"`, `invalid integer value "x" for connection option "keepalives"`, `could not parse
# network address "x"`)
_BAD_OPTION = r"invalid \w+ value|invalid integer value|for connection option|could not parse network address"


def connect_kwargs(address: ServerAddress) -> dict:
    """Keyword arguments for ibis.postgres.connect (libpq options passed through), with a connect timeout."""
    given = {"host": address.host, "port": address.port, "user": address.user, "password": address.password,
             "database": address.database, "schema": address.schema}
    kwargs = {key: value for key, value in given.items() if value}
    kwargs.update({"database" if key == "dbname" else key: value for key, value in address.options.items()})
    kwargs.setdefault("connect_timeout", str(CONNECT_TIMEOUT_SECONDS))
    return kwargs


# libpq's options whose value is a whole number (a count of seconds, milliseconds or probes; a port)
_WHOLE_NUMBER_OPTIONS = {"connect_timeout": "a whole number of seconds, as in ?connect_timeout=5",
                         "keepalives": "a whole number (0: off, 1: on)", "keepalives_idle": "a whole number of seconds",
                         "keepalives_interval": "a whole number of seconds", "keepalives_count": "a whole number",
                         "tcp_user_timeout": "a whole number of milliseconds",
                         "port": "a port number from 1 to 65535 (several: separated by commas)"}


def connection_options() -> list[str] | None:
    """The connection options libpq reads (its own list, from the installed psycopg), sorted; None when
    psycopg is not installed (then the driver is never reached either)."""
    global _CONNECTION_OPTIONS
    if _CONNECTION_OPTIONS is None:
        try:
            from psycopg import pq
        except ImportError:
            return None
        _CONNECTION_OPTIONS = sorted(option.keyword.decode() for option in pq.Conninfo.get_defaults())
    return _CONNECTION_OPTIONS


_CONNECTION_OPTIONS: list[str] | None = None


def check_options(options: dict[str, str]) -> None:
    """BadURL for an option libpq does not know, or a whole-number option that is not one (before any
    connection: libpq would refuse them only when connecting). No options: nothing to check (the driver's list
    of options is not even read)."""
    if not options:
        return
    known = connection_options()
    for name, value in options.items():
        if known is not None and name not in known:
            raise BadURL(f"the server URL's option {name!r} is not a PostgreSQL connection option: the options are "
                         f"libpq's, {', '.join(known)}")
        wanted = _WHOLE_NUMBER_OPTIONS.get(name)
        pattern = r"[0-9]{1,9}(,[0-9]{1,9})*" if name == "port" else r"[0-9]{1,9}"
        if wanted and not (re.fullmatch(pattern, value) and
                           (name != "port" or all(1 <= int(p) <= 65535 for p in value.split(",")))):
            shown = repr(value) if re.fullmatch(r"[\w.+-]{0,20}", value) else "..."  # short plain text: shown
            raise BadURL(f"the server URL's option {name}={shown} must be {wanted}")


class PostgreSQL(Engine):
    def check_url(self, url: str) -> None:
        """A server URL's parts (semantic.config.server_address), and its options libpq's own, each value of the
        form libpq reads: BadURL before any driver sees the URL."""
        check_options(server_address(url).options)

    def open(self, url: str | None, read_only: bool):
        """When the server does not answer, CannotConnect says so without the driver's text quoting what it was
        given; an option libpq refuses is a BadURL."""
        import ibis
        import psycopg

        try:
            return ibis.postgres.connect(**connect_kwargs(server_address(url)))
        except (psycopg.OperationalError, psycopg.ProgrammingError) as e:
            reason = redact(str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__, url)
            # libpq refusing an option or its value (read before it connects): the URL is refused, not the server
            if isinstance(e, psycopg.ProgrammingError) or (reason.startswith("connection is bad:")
                                                           and re.search(_BAD_OPTION, reason)):
                raise BadURL(f"PostgreSQL's driver refused the URL's options (after '?'): "
                             f"{reason.removeprefix('connection is bad: ')}") from None
            raise CannotConnect(f"cannot connect to {masked_url(url)}: {reason}") from None


PROFILE = PostgreSQL(
    name="postgres",
    aliases=("postgresql",),
    storage="server",
    driver="psycopg",
    extra="postgres",
    read_only_session="SET default_transaction_read_only = on",
)
