"""What a request can make Panel 1.9 do, narrowed: installed in the `panel serve` process by the setup script
(dashboard/warm.py) before the server answers, and tested against the real server
(tests/dashboard/test_hostile_requests.py), so a Panel upgrade that changes these internals fails a test.

1. The /components/ route. `/components/<module>/<class>/<attribute>/<file>` serves a file a component
lists (a template's CSS, say). Panel answers it without a login and, before
looking anything up, imports whatever module the URL names: a URL could make the
server run a module's import-time code (`pipelines.__main__` stopped it). The
app links to such files only for components of Panel, Bokeh and HoloViews, and
only for modules it has loaded already (with bundled resources, as installed
here, it links to none at all). So a request may name only a module already in
`sys.modules` under those packages; anything else is a 404 that imports nothing,
and a request Panel's own checks trip over is a 404 too, never a 500.

2. The page URL. Panel's Location splits the request URI on '?' and '#' and the host on ':' expecting two
parts: `/app?region=North?x` or an IPv6 Host header fails the session's start (a blank page).
"""

from __future__ import annotations

import functools
import sys

PACKAGES = ("panel", "bokeh", "holoviews")


def allowed(module: str) -> bool:
    """Whether a /components/ request may name `module`: loaded already, and part of Panel, Bokeh or HoloViews."""
    return module.partition(".")[0] in PACKAGES and module in sys.modules


def narrow_component_route() -> None:
    """Guard Panel's ComponentResourceHandler in this process (idempotent): run before the server starts."""
    from panel.io.server import ComponentResourceHandler
    from tornado.web import HTTPError

    original = ComponentResourceHandler.parse_url_path
    if getattr(original, "guarded", False):
        return

    @functools.wraps(original)
    def parse_url_path(self, path: str) -> str:
        if not allowed(path.split("/", 1)[0]):
            raise HTTPError(404)
        try:
            return original(self, path)
        except HTTPError:
            raise
        except Exception:  # a malformed path Panel's code does not expect: not found, not a server error
            raise HTTPError(404) from None

    parse_url_path.guarded = True
    ComponentResourceHandler.parse_url_path = parse_url_path


def plain_uri(uri: str) -> str:
    """A request URI with at most one '?' and no '#' (later ones percent-encoded: the same query to a browser)."""
    path, mark, query = uri.partition("?")
    return path.replace("#", "%23") + mark + query.replace("?", "%3F").replace("#", "%23")


def tolerate_any_url() -> None:
    """Make Panel read any page URL (idempotent): later '?' and '#' percent-encoded, an IPv6 host dropped."""
    from panel.io import location

    original = location._get_location_params
    if getattr(original, "tolerant", False):
        return

    @functools.wraps(original)
    def location_params(protocol, host, uri):
        host = None if host and host.count(":") > 1 else host
        return original(protocol, host, plain_uri(uri) if uri else uri)

    location_params.tolerant = True
    location._get_location_params = location_params
