"""Secrets stay secret in malformed URLs (issue 15, part 4), in-process.

A corpus of backend URLs whose passwords are built from pieces found nowhere else (`Zq7`, `Xk9`):
each is refused before any driver sees it (config.BadURL) or reaches a server that is not there, and
no message, masked URL or redacted text holds a piece. A Hypothesis property draws passwords and URL
shapes. The real commands on the corpus are in tests/pipelines/test_cli.py.
"""

from __future__ import annotations

import gc
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from semantic import backends, config
from semantic.engines.postgres import connect_kwargs

PIECES = ("Zq7", "Xk9")
NOWHERE = "127.0.0.1:1"  # nothing listens on port 1: refused at once
REFUSED, UNREACHABLE = 2, 1

# (URL, exit code of a command given it: 2 refused before any driver, 1 no server answers)
CORPUS = [
    (f"postgres://u:Zq7/Xk9@{NOWHERE}/db", REFUSED),
    (f"postgres://u:Zq7@Xk9@{NOWHERE}/db", REFUSED),
    (f"postgres://u:Zq7?Xk9@{NOWHERE}/db", REFUSED),
    (f"postgres://u:Zq7#Xk9@{NOWHERE}/db", REFUSED),
    (f"postgres://u:Zq7:Xk9@{NOWHERE}/db", UNREACHABLE),  # a ':' in a password is unambiguous
    (f"postgres://u:Zq7&Xk9@{NOWHERE}/db", UNREACHABLE),
    (f"postgres://:Zq7Xk9@{NOWHERE}/db", UNREACHABLE),
    ("postgres://u:Zq7Xk9@[::1:1/db", REFUSED),
    ("postgres://u:Zq7Xk9@127.0.0.1:99999/db", REFUSED),
    ("postgres://u:Zq7Xk9@127.0.0.1:abc/db", REFUSED),
    ("postgres://u:Zq7Xk9@127.0.0.1:/db", REFUSED),
    ("postgres://u:Zq7Xk9/db", REFUSED),  # no '@host': the password reads as a port
    (f"postgres://u:Zq7%2FXk9@{NOWHERE}/db", UNREACHABLE),  # the decoded Zq7/Xk9 must not leak either
    (f"postgres://u:Zq7%40Xk9@{NOWHERE}/db", UNREACHABLE),
    ("postgresql://u:Zq7Xk9@/db?host=/tmp", UNREACHABLE),
    (f"postgres://u:p@{NOWHERE}/db?password=Zq7Xk9", UNREACHABLE),
    (f"postgres://u@{NOWHERE}/db?password=Zq7Xk9", UNREACHABLE),
    (f"postgres://u@{NOWHERE}/db?password=Zq7@Xk9", REFUSED),  # an '@' after the host: percent-encode it
    (f"postgres://u@{NOWHERE}/db?sslmode=disable&Zq7Xk9", REFUSED),
    (f"postgres://u:Zq7Xk9@{NOWHERE}/db#Xk9", REFUSED),
    ("mysql://u:Zq7Xk9@host/db", REFUSED),
    ("foo://u:Zq7Xk9@host", REFUSED),
    ("u:Zq7Xk9@host", REFUSED),  # no scheme
    ("duckdb://u:Zq7Xk9@host/fintech.duckdb", REFUSED),
    (f"postgres://u:Zq7 Xk9@{NOWHERE}/db", REFUSED),
    (f"postgres://u:Zq7\nXk9@{NOWHERE}/db", REFUSED),
    (f"postgres://u:Zq7\u00e9\u4e2dXk9@{NOWHERE}/db", UNREACHABLE),  # non-ASCII: given to the server as it is
    (f"postgres://u:Zq7Xk9@{NOWHERE}/db", UNREACHABLE),
]


def leaks(text: str) -> list[str]:
    """The password pieces found in `text` (any case)."""
    return [piece for piece in PIECES if piece.lower() in text.lower()]


@pytest.mark.parametrize(("url", "code"), CORPUS, ids=[repr(url) for url, _ in CORPUS])
def test_a_url_is_refused_or_read_and_never_quoted(url, code):
    try:
        backends.storage(url)
    except config.BadURL as e:
        assert code == REFUSED, f"refused: {e}"
        assert not leaks(str(e)), str(e)
    else:
        assert code == UNREACHABLE, "accepted a URL the corpus says is refused"
    assert not leaks(config.masked_url(url)), config.masked_url(url)
    message = f"cannot open {url}: {url!r} {quote(url)} {unquote(url).upper()} and {url.split('@')[0]}"
    assert not leaks(config.redact(message, url)), config.redact(message, url)


@pytest.mark.parametrize(("url", "password"), [
    (f"postgres://u:Zq7%2FXk9@{NOWHERE}/db", "Zq7/Xk9"),
    (f"postgres://u:Zq7%40Xk9@{NOWHERE}/db", "Zq7@Xk9"),
    (f"postgres://u:Zq7:Xk9@{NOWHERE}/db", "Zq7:Xk9"),
    (f"postgres://u:a+b@{NOWHERE}/db", "a+b"),  # percent-decoding only: '+' is a plus
    (f"postgres://u@{NOWHERE}/db?password=Zq7%26Xk9", "Zq7&Xk9"),
])
def test_the_driver_is_given_the_decoded_password(url, password):
    assert connect_kwargs(config.server_address(url))["password"] == password


def test_a_server_gets_a_connect_timeout_unless_the_url_gives_one():
    assert connect_kwargs(config.server_address("postgres://u@h/db"))["connect_timeout"] == "10"
    assert connect_kwargs(config.server_address("postgres://u@h/db?connect_timeout=3"))["connect_timeout"] == "3"
    assert connect_kwargs(config.server_address("postgresql://u@/db?host=/tmp"))["host"] == "/tmp"
    assert connect_kwargs(config.server_address("postgres://u@[::1]:5433/db/s")) == {
        "host": "::1", "port": 5433, "user": "u", "database": "db", "schema": "s", "connect_timeout": "10"}


def test_an_unreachable_server_answers_quickly_without_the_password():
    with pytest.raises(backends.CannotConnect) as refused:
        backends.connect_engine(f"postgres://u:Zq7Xk9@{NOWHERE}/db")
    assert "cannot connect to postgres://u:***@127.0.0.1:1/db" in str(refused.value)
    assert not leaks(str(refused.value))


@pytest.mark.parametrize(("url", "masked"), [
    ("postgres://u:Super@Secret123@h:1/db", "postgres://u:***@h:1/db"),
    ("postgres://u:Sec/ret123@host:1/db", "postgres://u:***@host:1/db"),
    ("postgres://we/ird:Sec@host/db", "postgres://***@host/db"),
    ("postgres://u@h/db?sslmode=require&password=a&b&c=d", "postgres://u@h/db?sslmode=require&password=***&c=d"),
    ("u:pw@host", "u:***@host"),
    ("host=h password=pw dbname=d", "host=h password=*** dbname=d"),
])
def test_everything_before_the_last_at_is_masked(url, masked):
    assert config.masked_url(url) == masked


def test_a_message_keeps_its_words():
    url = "postgres://u:Zq7Xk9@h:1/db"
    message = f"cannot reach {url}: connection refused; see duckdb:///tmp/x.duckdb"
    assert config.redact(message, url) == ("cannot reach postgres://u:***@h:1/db: connection refused; "
                                           "see duckdb:///tmp/x.duckdb")


# ---- the property: whatever the password and the URL's shape, the output never holds it

_password = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="*"), min_size=3, max_size=24)
_user = st.text("abcdefghijklmnopqrstuvwxyz0123456789._-", max_size=6)
_scheme = st.sampled_from(["postgres", "postgresql", "mysql", "foo", "duckdb", "snowflake"])


def _shapes(scheme: str, user: str, host: str):
    """URL shapes around a password: (is it an option's value, the URL given the password)."""
    return [
        (False, lambda pw: f"{scheme}://{user}:{pw}@{host}/db"),
        (False, lambda pw: f"{scheme}://{user}:{pw}@{host}:5432/db?sslmode=require"),
        (False, lambda pw: f"{scheme}://:{pw}@{host}"),
        (False, lambda pw: f"{user}:{pw}@{host}"),  # no scheme
        (True, lambda pw: f"{scheme}://{user}@{host}/db?password={pw}"),
        (True, lambda pw: f"{scheme}://{user}@{host}/db?sslmode=require&api_key={pw}&x=1"),
        (False, lambda pw: f"{scheme}://{user}:{quote(pw, safe='')}@{host}/db"),
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scheme=_scheme, user=_user, password=_password, host=st.sampled_from(["h", "127.0.0.1", "[::1]", ""]))
@example(scheme="postgres", user="u", password="Zq7/Xk9", host="h")
@example(scheme="postgres", user="u", password="a b\nc", host="h")
@example(scheme="postgres", user="u", password="x://y@z", host="h")
@example(scheme="postgres", user="u", password="p?x#y&z", host="h")
def test_no_drawn_password_survives_masking_or_redaction(scheme, user, password, host):
    for option, shape in _shapes(scheme, user, host):
        # in a query, '&name=' starts the next option whatever was meant: a password there holds no '&'
        secret = password.replace("&", "") if option else password
        assume(len(secret) >= 3 and secret.lower() not in shape("").lower())  # found only where it was put
        url = shape(secret)
        assert secret not in config.masked_url(url), url
        message = f"failed at {url} ({url!r}): {secret} / {quote(secret)} / {secret.upper()}"
        redacted = config.redact(message, url)
        assert secret.lower() not in redacted.lower(), (url, redacted)
        if len(quote(secret)) >= 3:
            assert quote(secret).lower() not in redacted.lower(), (url, redacted)
        marked = shape(secret[:1] + "Zq7Xk9" + secret[1:])  # a refusal quotes no part of a URL
        try:
            backends.storage(marked)
        except config.BadURL as e:
            assert not leaks(str(e)), (marked, str(e))


def test_the_command_refuses_each_url_in_process(monkeypatch, capsys, tmp_path):
    """Every corpus URL through each command's message paths (`--backend` and $FINTECH_BACKEND) in this
    process: quick, and every command sees every URL (the real processes, tests/pipelines/test_cli.py)."""
    from fintech.cli import main
    from tests.conftest import SAMPLE_CSV

    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path))  # whatever went wrong would be written here
    extra = {"build": ["--source", str(SAMPLE_CSV)], "validate": [], "query": ["accounts"]}
    try:
        for url, code in CORPUS:
            for command in ("build", "validate", "query"):
                argv = [command, *extra[command]]
                for argv, env in (([*argv, "--backend", url], None), (argv, url)):
                    if env is None:
                        monkeypatch.delenv(config.BACKEND_ENV, raising=False)
                    else:
                        monkeypatch.setenv(config.BACKEND_ENV, env)
                    assert main(argv) == code, (argv, env, capsys.readouterr())
                    out = capsys.readouterr()
                    assert not leaks(out.out + out.err) and "Traceback" not in out.err, (argv, env, out)
    finally:
        gc.unfreeze()  # main() freezes the collector for its process's exit; this process goes on
    assert not list(tmp_path.iterdir())


# ---- a password that is also a common word: the URL's scheme and host stay readable, the password does not

@pytest.mark.parametrize(("url", "message", "redacted"), [
    ("postgres://u:postgres@127.0.0.1:1/db", "cannot reach postgres://u:postgres@127.0.0.1:1/db: postgres said no",
     "cannot reach postgres://u:***@127.0.0.1:1/db: *** said no"),
    ("postgres://u:db.example@db.example/db", "at postgres://u:db.example@db.example/db: password db.example",
     "at postgres://u:***@db.example/db: password ***"),
    # a password written like a scheme is no scheme of the URL's: removed where it stands
    ("postgres://u:abc%3A%2F%2Fdef@h/db", "sent abc://def to postgres://u:abc%3A%2F%2Fdef@h/db",
     "sent *** to postgres://u:***@h/db"),
    # an occurrence running out of a kept scheme is removed whole
    ("postgres://u:gres%3A%2F%2Fh@h/db", "postgres://h said no", "post*** said no"),
])
def test_a_password_that_is_a_word_keeps_the_urls_scheme_and_host(url, message, redacted):
    assert config.redact(message, url) == redacted


# ---- connection options: libpq's keywords, whole numbers where it reads one; refused before connecting

@pytest.mark.parametrize(("query", "says"), [
    ("bogus=1", "'bogus' is not a PostgreSQL connection option"),
    ("sslmode=require&Sslmode=require", "'Sslmode' is not"),
    ("database=db", "'database' is not"),  # libpq's name is dbname
    ("connect_timeout=abc", "connect_timeout='abc' must be a whole number of seconds"),
    ("connect_timeout=1.5", "connect_timeout='1.5'"),
    ("connect_timeout=-1", "connect_timeout='-1'"),
    ("keepalives_idle=x", "keepalives_idle='x'"),
    ("port=70000", "port='70000'"),
    ("connect_timeout=Zq7Xk9%20x", "connect_timeout=..."),  # not plain: never quoted
])
def test_an_unknown_or_malformed_connection_option_is_refused(query, says):
    with pytest.raises(config.BadURL) as refused:
        backends.storage(f"postgres://u@h/db?{query}")
    assert says in str(refused.value) and not leaks(str(refused.value))
    if "not a PostgreSQL" in says:
        assert "sslmode" in str(refused.value) and "connect_timeout" in str(refused.value)  # what is valid


@pytest.mark.parametrize("query", ["sslmode=require&connect_timeout=5", "dbname=other", "host=/tmp",
                                   "application_name=x&keepalives=1&port=5432,5433", "password=Zq7Xk9"])
def test_libpqs_own_options_are_read(query):
    backends.storage(f"postgres://u@h/db?{query}")


def test_an_option_the_driver_refuses_while_connecting_is_a_refused_url(monkeypatch):
    import ibis
    import psycopg

    def refuse(**kwargs):
        raise psycopg.ProgrammingError(f'invalid connection option "x" (password {kwargs["password"]})')

    monkeypatch.setattr(ibis.postgres, "connect", refuse)
    with pytest.raises(config.BadURL, match="refused the URL's options") as refused:
        backends.connect_engine(f"postgres://u:Zq7Xk9@{NOWHERE}/db")
    assert not leaks(str(refused.value))


def test_an_unreadable_file_is_refused_saying_so(tmp_path, monkeypatch):
    import builtins

    target = tmp_path / "w.duckdb"
    target.write_bytes(b"\0" * 16)

    def denied(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(builtins, "open", denied)  # as for a user the file's mode shuts out (root is not one)
    for check in (backends.inspect, backends.check_readable):
        with pytest.raises(backends.Unreadable, match=f"cannot read {target}: permission denied"):
            check(f"duckdb://{target}")
