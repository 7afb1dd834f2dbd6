"""PostgreSQL: a database server. The driver is given the URL's parts (semantic.config.server_address), never
the URL, with a connect timeout; each build's tables live in a schema of their own (pipelines/publish.py)."""

from __future__ import annotations

import re

from semantic.config import BadURL, masked_url, redact, server_address
from semantic.engines.profile import CannotConnect, Engine

# libpq's words for an option value it cannot read, said before it reaches any server ("connection is bad: ...":
# `invalid sslmode value: "x"`, `invalid integer value "x" for connection option "keepalives"`, `could not parse
# network address "x"`)
_BAD_OPTION = r"invalid \w+ value|invalid integer value|for connection option|could not parse network address"


class PostgreSQL(Engine):
    def open(self, url: str | None, read_only: bool):
        """When the server does not answer, CannotConnect says so without the driver's text quoting what it was
        given; an option libpq refuses is a BadURL."""
        import ibis
        import psycopg

        try:
            return ibis.postgres.connect(**server_address(url).connect_kwargs())
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
