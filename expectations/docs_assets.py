"""Data Docs that render styled offline: GX's CDN links rewritten to local copies under `docs/static/`.

Great Expectations' page templates load Bootstrap, jQuery, Font Awesome, Vega, bootstrap-table,
bootstrap-datepicker and a dark theme from CDNs, and its logo from S3, so on a machine without internet
the pages render unstyled. `make_offline` rewrites each of those references to a copy of the same
library taken once from a package already installed (Panel's bundled dist, GX's own static files), and
drops the few that no installed package ships (bootstrap-table, bootstrap-datepicker, the dark theme):
the pages then look as GX meant, less the table search box and the dark theme. Links that lead out of
the pages (GX's newsletter, its site) lose their href, keeping their text, and the relative links that
assume GX's site layout (`../../../../index.html`, the suite's page) are pointed at this folder's
`index.html` or dropped. A page with no stylesheet at all (the hand-written index) gets the same local
Bootstrap as the others. Nothing is downloaded; applying it twice changes nothing.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["STATIC", "make_offline"]

STATIC = "static"  # under the docs folder


@dataclass(frozen=True)
class _Asset:
    package: str  # an installed package
    source: str  # a file or folder inside it
    target: str  # where it goes under docs/static/
    extra: tuple[tuple[str, str], ...] = ()  # (source, target) it needs beside it (web fonts)


_PANEL = "dist/bundled"
_GX_STATIC = "render/view/static"
_GX_LOGO = _Asset("great_expectations", f"{_GX_STATIC}/images/logo-long.png", "images/logo-long.png")
_BOOTSTRAP4_CSS = _Asset("panel", f"{_PANEL}/bootstrap4/css/bootstrap.min.css", "bootstrap4/css/bootstrap.min.css")

# A remote URL -> its local copy (None: no installed package has it, the tag is dropped). First match wins.
_REMOTE: list[tuple[re.Pattern, _Asset | None]] = [(re.compile(p, re.I), a) for p, a in [
    # Bootstrap 4 (GX asks for 4.3.1; Panel ships 4.6.1). The bundle includes Popper, which is dropped below.
    (r"bootstrap@?/?4[.\d]*/(dist/)?css/bootstrap(\.min)?\.css$", _BOOTSTRAP4_CSS),
    (r"bootstrap@?/?4[.\d]*/(dist/)?js/bootstrap(\.bundle)?(\.min)?\.js$",
     _Asset("panel", f"{_PANEL}/bootstrap4/js/bootstrap.bundle.min.js", "bootstrap4/js/bootstrap.bundle.min.js")),
    (r"bootstrap@?/?5[.\d]*/(dist/)?css/bootstrap(\.min)?\.css$",
     _Asset("panel", f"{_PANEL}/bootstrap5/css/bootstrap.min.css", "bootstrap5/css/bootstrap.min.css")),
    (r"bootstrap@?/?5[.\d]*/(dist/)?js/bootstrap(\.bundle)?(\.min)?\.js$",
     _Asset("panel", f"{_PANEL}/bootstrap5/js/bootstrap.bundle.min.js", "bootstrap5/js/bootstrap.bundle.min.js")),
    (r"popper", None),  # inside bootstrap.bundle.min.js
    (r"/jquery[-.@]?3[.\d]*(\.min)?\.js$|/jquery@3[.\d]*/dist/jquery(\.min)?\.js$",
     _Asset("panel", f"{_PANEL}/jquery/jquery.min.js", "jquery/jquery.min.js")),
    # Font Awesome (GX asks for 6.6.0; Panel ships 5.15.4, which has every icon GX's templates use).
    (r"font-?awesome.*/css/all(\.min)?\.css$",
     _Asset("panel", f"{_PANEL}/font-awesome/css/all.min.css", "font-awesome/css/all.min.css",
            ((f"{_PANEL}/font-awesome/webfonts", "font-awesome/webfonts"),))),
    # Vega (GX asks for vega@5, vega-lite@5, vega-embed@6; Panel ships the UMD builds of 6.1, 6.3 and 7.0).
    (r"/vega@\d[.\d]*(/|$)", _Asset("panel", f"{_PANEL}/vegaplot/vega@6.1.2", "vega/vega.min.js")),
    (r"/vega-lite@\d[.\d]*(/|$)", _Asset("panel", f"{_PANEL}/vegaplot/vega-lite@6.3.0", "vega/vega-lite.min.js")),
    (r"/vega-embed@\d[.\d]*(/|$)", _Asset("panel", f"{_PANEL}/vegaplot/vega-embed@7.0.2", "vega/vega-embed.min.js")),
    # GX's logo, light (the navbar's img) and dark (a CSS background): the light one is in GX's package.
    (r"great-expectations-web-assets.*/(logo-long|full_logo_dark)\.png", _GX_LOGO),
    # No installed package ships these: bootstrap-table, its filter-control, bootstrap-datepicker, and
    # bootstrap-prefers-dark. Any other remote asset is dropped as well.
]]

_REMOTE_URL = re.compile(r"^\s*(https?:)?//", re.I)
_ATTR = re.compile(r"""\s(href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
_SCRIPT = re.compile(r"<script\b([^>]*)>\s*</script\s*>", re.I)
_LINK = re.compile(r"<link\b[^>]*>", re.I)
_TAG_WITH_URL = re.compile(r"<[a-z][a-z0-9]*\b[^>]*\s(?:href|src)\s*=[^>]*>", re.I)
_CSS_URL = re.compile(r"""url\(\s*(["']?)\s*((?:https?:)?//[^"')]*)\1\s*\)""", re.I)
_SRI = re.compile(r"""\s(integrity|crossorigin)(\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?""", re.I)
_DARK = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.I)
_STYLESHEET = re.compile(r"""<link\b[^>]*\brel\s*=\s*["']?stylesheet""", re.I)

# Injected into a page that has no stylesheet (the index): the same local Bootstrap as GX's pages.
_INDEX_STYLE = "body{padding:1.5rem 3rem}h1{font-size:1.75rem}ul ul{margin-bottom:.75rem}"


def make_offline(html: str, docs: Path) -> str:
    """`html`, a page to be written directly in `docs`, with no reference to an http(s) resource.

    Each remote stylesheet, script, image and CSS `url()` becomes a copy under `docs/static/` of the
    same library from an installed package (copied on first use), or is dropped when none has it.
    """
    docs = Path(docs)
    html = _SCRIPT.sub(lambda m: _element(m.group(0), docs), html)
    html = _LINK.sub(lambda m: _element(m.group(0), docs), html)
    html = _CSS_URL.sub(lambda m: _css_url(m.group(2), docs), html)
    # GX's dark-mode overrides belong with bootstrap-prefers-dark, which has no local copy: keep them off.
    html = _DARK.sub("@media not all", html)
    html = _TAG_WITH_URL.sub(lambda m: _other_tag(m.group(0), docs), html)
    if not _STYLESHEET.search(html):
        html = _with_stylesheet(html, docs)
    return html


def _element(tag: str, docs: Path) -> str:
    """A <script src> or <link href>: pointed at the local copy, or dropped (nothing else to show)."""
    attr = _ATTR.search(tag)
    if not attr:
        return tag
    url = _value(attr)
    local = _local(url, docs)
    if local is None:
        return ""
    if local == url:
        return tag
    return _SRI.sub("", _set(tag, attr, local))  # the CDN's integrity hash is not that of the local file


def _other_tag(tag: str, docs: Path) -> str:
    """An <a>, <img> or other tag: its href/src made local, or removed (the tag and its text stay)."""
    def one(attr: re.Match) -> str:
        url = _value(attr)
        local = _local(url, docs)
        if local == url:
            return attr.group(0)
        return "" if local is None else f' {attr.group(1)}="{local}"'
    return _ATTR.sub(one, tag)


def _css_url(url: str, docs: Path) -> str:
    local = _local(url, docs)
    return "none" if local is None else f"url('{local}')"


def _local(url: str, docs: Path) -> str | None:
    """The reference to use instead of `url` (itself when it is fine as it is), or None to drop it."""
    if _REMOTE_URL.match(url):
        for pattern, asset in _REMOTE:
            if pattern.search(url):
                return _copied(asset, docs) if asset else None
        return None
    if url.startswith("../"):  # GX's site layout (validations/<suite>/<run>/<time>/page.html): not ours
        rest = re.sub(r"^(\.\./)+", "", url)
        if rest == "index.html":
            return "index.html"
        if rest.startswith(f"{STATIC}/"):  # GX's own static files (the favicon)
            return _copied(_Asset("great_expectations", f"{_GX_STATIC}/{rest[len(STATIC) + 1:]}",
                                  rest[len(STATIC) + 1:]), docs)
        return None  # the suite's page, custom scripts: GX's site has them, these docs do not
    return url


def _copied(asset: _Asset, docs: Path) -> str | None:
    """`asset` copied under docs/static/ (once), as a reference relative to docs; None if not installed."""
    root = _package_dir(asset.package)
    if root is None or not (root / asset.source).exists():
        return None
    for source, target in ((asset.source, asset.target), *asset.extra):
        _copy(root / source, docs / STATIC / target)
    return f"{STATIC}/{asset.target}"


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        for file in source.rglob("*"):
            if file.is_file():
                _copy(file, target / file.relative_to(source))
        return
    if target.exists() and (target.stat().st_size, target.stat().st_mtime) == (
            source.stat().st_size, source.stat().st_mtime):
        return  # copied by an earlier page
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


_PACKAGE_DIRS: dict[str, Path | None] = {}


def _package_dir(package: str) -> Path | None:
    """An installed package's folder, found without importing it (Panel is slow to import)."""
    if package not in _PACKAGE_DIRS:
        spec = importlib.util.find_spec(package)
        locations = list(spec.submodule_search_locations or []) if spec else []
        _PACKAGE_DIRS[package] = Path(locations[0]) if locations else None
    return _PACKAGE_DIRS[package]


def _value(attr: re.Match) -> str:
    return next(v for v in attr.group(2, 3, 4) if v is not None)


def _set(tag: str, attr: re.Match, value: str) -> str:
    return f'{tag[:attr.start()]} {attr.group(1)}="{value}"{tag[attr.end():]}'


def _with_stylesheet(html: str, docs: Path) -> str:
    href = _copied(_BOOTSTRAP4_CSS, docs)
    if href is None:
        return html
    head = f'<link rel="stylesheet" href="{href}"><style>{_INDEX_STYLE}</style>'
    at = re.search(r"</head\s*>", html, re.I)
    if at:
        return html[:at.start()] + head + html[at.start():]
    at = re.search(r"<html\b[^>]*>", html, re.I)
    return html[:at.end()] + f"<head>{head}</head>" + html[at.end():] if at else head + html
