"""Where the warehouse lives: one place, overridable by flag and environment.

Precedence: an explicit URL (the `--backend` flag) > `FINTECH_BACKEND` > the
embedded DuckDB file under `data/warehouse/`. URLs are Ibis connection URLs
(`duckdb:///abs/path.duckdb`, `duckdb://relative.duckdb`,
`postgres://user:pass@host:5432/db`, `sqlite:///path`, ...).

A URL is read here, by this project alone, before any driver or parser sees
it (`server_address`, `check_path_url`): a refusal names the part that is
wrong and what would be valid, never quoting the URL. Every message that
could hold a URL is passed through `redact` (or `masked_url` for the URL
itself) before it is printed.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, unquote_plus

BACKEND_ENV = "FINTECH_BACKEND"
DATA_DIR_ENV = "FINTECH_DATA_DIR"
BUILD_MEMORY_ENV = "FINTECH_BUILD_MEMORY"
# DuckDB's memory for a build; beyond it, it spills to the build's own temporary directory (deleted after).
# Its default, 80% of RAM, took 16 GB for 10M accounts.
DEFAULT_BUILD_MEMORY = "4GB"

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class BadURL(ValueError):
    """A backend URL refused before any driver read it; the message never quotes the URL."""


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
        return (backend_name(url) == backend_name(default_backend_url()) and url_path(url) is not None
                and url_path(url).resolve() == default)
    except ValueError:
        return False


def backend_url(flag: str | None = None) -> str:
    """The configured backend URL: flag > FINTECH_BACKEND > embedded DuckDB (an empty flag is a flag, refused
    when read; an empty variable is unset)."""
    return flag if flag is not None else os.environ.get(BACKEND_ENV) or default_backend_url()


# ---- secrets: masked in URLs, removed from any other text -------------------------------------------

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_SECRET_NAME = r"[\w.-]*(?:pass|pwd|token|secret|key|auth|credential|signature)[\w.-]*"
# a secret option of a URL runs to the next `&name=` (an `&` without `=` after it is still the value);
# in a message, also to the next space (the message goes on; a URL's own secrets are removed before)
_URL_SECRET = re.compile(rf"(?i)((?:^|[?&;]){_SECRET_NAME}=)((?:[^&]|&(?![^&=]*=))*)")
_MESSAGE_URL_SECRET = re.compile(rf"(?i)((?:^|[?&;]){_SECRET_NAME}=)((?:[^&\s]|&(?![^&=\s]*=))*)")
# ... and of a libpq connection string (`host=h password=x`), to the next space
_CONNINFO_SECRET = re.compile(rf"(?i)((?:^|(?<=\s)){_SECRET_NAME}\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*)")
_PLAIN_USER = re.compile(r"[\w.~%+-]*")
_SHORTEST_SECRET = 3  # shorter pieces of a password are masked in URLs, not searched for in other text


def masked_url(url: str) -> str:
    """`url` with everything between `://` and its last `@` masked (a plain user name kept: `u:***@host`),
    whatever its shape, and what else may be a secret: the values of secret-like options (password, token,
    key, ...), an option without a value, a fragment, a "port" that is no number (a password missing its
    `@host`). Without a scheme, everything before the last `@` counts as the user and password."""
    match = _SCHEME.search(url)
    head, rest = (url[:match.end()], url[match.end():]) if match else ("", url)
    return _CONNINFO_SECRET.sub(r"\1***", head + _mask(rest)[0])


def redact(text: str, *urls: str) -> str:
    """`text` fit to print: the secrets of `urls` removed wherever and however they appear (raw,
    percent-decoded, in pieces), then every URL in it masked as masked_url does (each to the next space
    past its last `@`). Every message path (the command, serve, build's lines, reports) prints through it."""
    secrets = sorted(set().union(*(url_secrets(url) for url in urls)), key=len, reverse=True)
    if secrets:
        text = _remove(text, secrets, _public_spans(text, urls))
    matches = list(_SCHEME.finditer(text))
    parts = [text[:matches[0].start()] if matches else text]
    for match, following in zip(matches, [*matches[1:], None]):  # each URL runs to the next one, or the end
        parts.append(match.group(0) + _mask(text[match.end():following.start() if following else None], True)[0])
    return _CONNINFO_SECRET.sub(r"\1***", "".join(parts))


def _remove(text: str, secrets: list[str], public: list[tuple[int, int]]) -> str:
    """`text` with every occurrence of a secret (any case, overlapping ones too) replaced by `***`, but for
    occurrences lying wholly inside a `public` span: a password that is also the word `postgres` or the
    host keeps `postgres://` and `@host` readable, which every masked URL shows anyway."""
    hidden = bytearray(len(text))
    # a lookahead finds an occurrence at every position, so that none hides inside a kept one
    for match in re.finditer("(?=(" + "|".join(map(re.escape, secrets)) + "))", text, flags=re.IGNORECASE):
        start, end = match.span(1)
        if not any(low <= start and end <= high for low, high in public):
            hidden[start:end] = b"\1" * (end - start)
    parts, start = [], 0
    for run in re.finditer(b"\1+", bytes(hidden)):
        parts += [text[start:run.start()], "***"]
        start = run.end()
    return "".join(parts) + text[start:]


def _public_spans(text: str, urls: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where `text` shows what masked_url shows of `urls`: their scheme before `://`, and the host (as
    server_address reads a URL's host; none when it reads none) right after `://` or `@`. A secret found only
    there says nothing of the secret."""
    spans = []
    for url in urls:
        match = _SCHEME.match(url)
        if match is None:
            continue
        pieces = [rf"(?<![A-Za-z0-9+.-]){re.escape(match.group(1))}://"]
        try:
            host = server_address(url).host
        except BadURL:
            host = None
        if host:
            shown = f"[{host}]" if ":" in host else host
            pieces.append(rf"(?:(?<=://)|(?<=@)){re.escape(shown)}(?=[:/?#\s\"'),;]|$)")
        for piece in pieces:
            spans += [m.span() for m in re.finditer(piece, text, flags=re.IGNORECASE)]
    return spans


def holds_password(url: str) -> bool:
    """Does a server URL carry a password (`user:password@`, or a secret-like option such as `?password=`)?"""
    try:
        address = server_address(url)
    except BadURL:
        return False
    return bool(address.password) or any(re.fullmatch(_SECRET_NAME, name, flags=re.IGNORECASE) and value
                                         for name, value in address.options.items())


def url_secrets(url: str) -> set[str]:
    """What of `url` must never be printed (what masked_url masks), raw, percent-decoded and in pieces."""
    rest = url.split("://", 1)[1] if "://" in url else url
    forms = set()
    for value in _mask(rest, paths=rest.startswith("/"))[1]:
        for decoded in {value, unquote(value), unquote_plus(value)}:
            for form in {decoded, quote(decoded), quote(decoded, safe="")}:
                forms |= {form, *re.split(r"[^A-Za-z0-9]+", form)}
    return {form for form in forms if len(form) >= _SHORTEST_SECRET}


def _mask(rest: str, in_message: bool = False, paths: bool = False) -> tuple[str, list[str]]:
    """`rest` (what follows `://`) masked, and the secrets it held. In a message the URL ends at a space
    past its last `@`; `paths`: a `scheme:///path` has no user info (its `@` are the path's)."""
    found: list[str] = []

    def hide(match: re.Match) -> str:
        found.append(match.group(2))
        return match.group(1) + "***"

    rest = (_MESSAGE_URL_SECRET if in_message else _URL_SECRET).sub(hide, rest)
    userinfo, at, after = rest.rpartition("@")
    head = ""
    if at:
        user, colon, password = userinfo.partition(":")
        plain = _PLAIN_USER.fullmatch(user) is not None
        head = f"{user}:***@" if plain and colon else userinfo + "@" if plain else "***@"
        if not paths and head != userinfo + "@":
            found.append(password if plain else userinfo)
    else:
        after = rest
    stop, anything = (r"\s", r"\S") if in_message else ("", ".")
    authority, path, query, fragment, tail = re.match(
        rf"([^/?#{stop}]*)([^?#{stop}]*)(\?[^#{stop}]*)?(#{anything}*)?(.*)", after, flags=re.DOTALL).groups()
    host, colon, port = authority.partition(":")
    if not at and colon and not authority.startswith("[") and port and not port.isdigit():
        found.append(port)  # no `@host`: what follows `user:` is a password, not a port
        authority = f"{host}:***"
    if query:
        items = query[1:].split("&")
        found += [item for item in items if item and "=" not in item and item != "***"]
        query = "?" + "&".join(item if "=" in item or not item else "***" for item in items)
    if fragment and len(fragment) > 1:
        found.append(fragment[1:])
        fragment = "#***"
    return head + authority + path + (query or "") + (fragment or "") + tail, found


# ---- reading a URL ------------------------------------------------------------------------------

_FILE_EXAMPLE = "duckdb:///path/to/fintech.duckdb"
_SERVER_EXAMPLE = "postgres://user@host:5432/database"
PERCENT_ENCODE = ("the user name and password (everything between '://' and the last '@') may hold no "
                  "unencoded '/', '?', '#', '@', space or control character: percent-encode them "
                  "(%2F, %3F, %23, %40, %20; a password p@ss/word is written p%40ss%2Fword)")


def backend_name(url: str) -> str:
    """The backend part of a URL: `duckdb`, `postgres`, ... (BadURL when it has no `scheme://`)."""
    match = _SCHEME.match(url)
    if match is None:
        shown = f" {url!r}" if re.fullmatch(r"[^:@\s]*", url) and len(url) <= 200 else ""  # a path: safe to show
        raise BadURL(f"not a backend URL{shown}: a URL starts with its backend, as in {_FILE_EXAMPLE} "
                     f"or {_SERVER_EXAMPLE}")
    return match.group(1).lower().split("+")[0]


def _after_scheme(url: str) -> str:
    backend_name(url)
    return url.split("://", 1)[1]


def url_path(url: str) -> Path | None:
    """The file or directory a URL names: `scheme:///abs/path` is absolute, `scheme://rel/path` relative to the
    working directory (as Ibis reads them); None for `:memory:`. Meaningless for server URLs."""
    path = re.split(r"[?#]", _after_scheme(url), maxsplit=1)[0]
    return None if path in {"", ":memory:"} else Path(path)


def check_path_url(url: str, example: str | None = None) -> Path:
    """The path a file or directory URL names, or BadURL: a path only (no user, host, `?` or `#`, which a
    reader would silently cut off). `example`: a valid URL of the same scheme, for the message."""
    name, rest = backend_name(url), _after_scheme(url)
    if "?" in rest or "#" in rest:
        raise BadURL(f"a {name} URL is a path, and '?' or '#' cannot be part of it: "
                     f"{example or f'{name}:///path/to/warehouse'}")
    if "@" in rest.split("/", 1)[0]:
        raise BadURL(f"a {name} URL names a file or directory ({name}:///absolute/path or {name}://relative/path), "
                     "not a user or a host")
    if re.search(r"[\x00-\x1f\x7f]", rest):
        raise BadURL(f"a {name} URL's path may hold no control characters (newlines, tabs)")
    path = url_path(url)
    if path is None:
        raise BadURL(f"the {name} URL names no file or directory: give one, as in {name}:///path/to/it")
    return path


@dataclass(frozen=True)
class ServerAddress:
    """A server URL's parts, percent-decoded: what the driver is given instead of the URL."""

    host: str | None
    port: int | None
    user: str | None
    password: str | None = field(repr=False)
    database: str | None
    schema: str | None
    options: dict = field(default_factory=dict, repr=False)
    path: str = ""  # as written (names the reports' directory)


def server_address(url: str) -> ServerAddress:
    """The parts of a server URL, read here so that no driver or parser sees a malformed one; BadURL names
    the part that is wrong and what would be valid, never quoting the URL."""
    rest = _after_scheme(url)
    userinfo, at, after = rest.rpartition("@")
    if at and re.search(r"[/?#@\s\x00-\x1f\x7f]", userinfo):
        raise BadURL(PERCENT_ENCODE)
    if re.search(r"[\s\x00-\x1f\x7f]", after):
        raise BadURL("a server URL may hold no space or control character: percent-encode them (%20), "
                     f"as in {_SERVER_EXAMPLE}")
    authority, tail = re.match(r"([^/?#]*)(.*)", after, flags=re.DOTALL).groups()
    path, _, query = tail.partition("?")
    if "#" in tail:
        raise BadURL(f"a server URL has no '#' part: percent-encode '#' as %23 ({_SERVER_EXAMPLE})")
    host, port = _host_and_port(authority)
    options = _options(query)
    if not host and "host" not in options:
        raise BadURL(f"the server URL names no host: {_SERVER_EXAMPLE} (or ?host=/socket/directory)")
    user, _, password = userinfo.partition(":")
    database, _, schema = unquote(path[1:]).partition("/")
    return ServerAddress(host, port, unquote(user) or None, unquote(password) or None, database or None,
                         schema or None, options, path)


def _host_and_port(authority: str) -> tuple[str | None, int | None]:
    if authority.startswith("["):
        inside, bracket, port_part = authority[1:].partition("]")
        try:
            host = str(ipaddress.IPv6Address(inside)) if bracket else None
        except ValueError:
            host = None
        if host is None or (port_part and not port_part.startswith(":")):
            raise BadURL("an IPv6 host is an address in brackets, as in postgres://user@[::1]:5432/database")
        return host, _port(port_part[1:]) if port_part else None
    host, colon, port_text = authority.partition(":")
    if host and not re.fullmatch(r"[A-Za-z0-9._-]+", host):
        raise BadURL("the server's host is a name of letters, digits, '.', '-' and '_', or an IP address "
                     f"(an IPv6 one in brackets): {_SERVER_EXAMPLE}")
    return host.lower() or None, _port(port_text) if colon else None


def _port(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 1 <= int(text) <= 65535:
        raise BadURL(f"the port (after the host and ':') must be a number from 1 to 65535, as in {_SERVER_EXAMPLE}")
    return int(text)


def _options(query: str) -> dict[str, str]:
    options = {}
    for item in query.split("&") if query else ():
        name, equals, value = item.partition("=")
        if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise BadURL("each option after '?' is name=value, options joined by '&' (percent-encode '&', '=' "
                         "and '#' in a value), as in ?sslmode=require&connect_timeout=5")
        if name in options:
            raise BadURL(f"the server URL gives the option {name!r} twice")
        options[name] = unquote(value)
    return options  # which options the driver reads, and what they take: its engine's (semantic/engines/)


# ---- the build's memory -----------------------------------------------------------------------------

# Below this a build of even the sample fails inside DuckDB (out of memory), whatever it could spill
MIN_BUILD_MEMORY = "128MB"
_UNITS = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30, "tib": 2 ** 40}


def memory_size(text: str) -> str:
    """`text` as a memory size DuckDB reads (`4GB`, `512 MiB`) of at least MIN_BUILD_MEMORY, or ValueError
    saying what one looks like."""
    value = text.strip()
    match = re.fullmatch(r"(\d{1,12}(?:\.\d{1,6})?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, flags=re.IGNORECASE)
    if not match:
        raise ValueError(f"memory limit {text!r}: give a size such as 4GB or 512MB")
    if float(match.group(1)) * _UNITS[match.group(2).lower()] < _bytes(MIN_BUILD_MEMORY):
        raise ValueError(f"memory limit {text!r} is too small: a build needs at least {MIN_BUILD_MEMORY} "
                         "(give a size such as 4GB or 512MB)")
    return value


def _bytes(size: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)\s*([A-Za-z]+)", size).groups()
    return float(number) * _UNITS[unit.lower()]


def build_memory(flag: str | None = None) -> str:
    """The memory a DuckDB build may use, e.g. `4GB` (--memory-limit, $FINTECH_BUILD_MEMORY, 4GB)."""
    if flag is None and os.environ.get(BUILD_MEMORY_ENV):
        try:
            return memory_size(os.environ[BUILD_MEMORY_ENV])
        except ValueError as e:
            raise ValueError(f"{BUILD_MEMORY_ENV}: {e}") from None
    return memory_size(flag or DEFAULT_BUILD_MEMORY)
