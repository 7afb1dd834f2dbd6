"""What a request can make Panel 1.9 do, narrowed: installed in the `panel serve` process by the setup script
(dashboard/warm.py) before the server answers, and tested against the real server
(tests/dashboard/test_hostile_requests.py), so a Panel upgrade that changes these internals fails a test.

1. The /components/ route. `/components/<module>/<class>/<attribute>/<file>` serves a file a component
lists (a template's CSS, say). Panel answers it without a login and, before
looking anything up, imports whatever module the URL names, then reads the
class and the attribute with getattr: a URL could make the server run a
module's import-time code (`fintech.__main__` stopped it), and a module's
own `__getattr__` imports more (`holoviews/testing/...` imported
holoviews.testing). The app links to such files only for classes of Panel,
Bokeh and HoloViews, of modules it has loaded already (with bundled
resources, as installed here, it links to none at all). So a request may name
only a module already in `sys.modules` under those packages, a class defined
in it (in its namespace: no `__getattr__` runs) and one of Panel's resource
attributes that class has (in its MRO: no metaclass `__getattr__` runs);
anything else is a 404 that imports and runs nothing, and a request Panel's
own checks trip over is a 404 too, never a 500.

2. The page URL. Panel's Location splits the request URI on '?' and '#' and the host on ':' expecting two
parts: `/app?region=North?x` or an IPv6 Host header fails the session's start (a blank page).

3. The query string's length. Tornado 6.6 refuses a URL of more than 1000 query arguments (HTTP 400, empty
body); it parses the query string only as far as its header limit (64 KiB) lets it be long anyway, so the
cap is raised to what that limit lets through: any URL that reaches the server shows the dashboard (the
arguments that are no filter are ignored).

4. A websocket that is no Bokeh client (no `bokeh` subprotocol, a bad token): refused by Bokeh, which
raises, and Tornado logs a traceback for it; logged as one line instead.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
import types
import urllib.parse

PACKAGES = ("panel", "bokeh", "holoviews")


def allowed(module: str) -> bool:
    """Whether a /components/ request may name `module`: loaded already, and part of Panel, Bokeh or HoloViews."""
    return module.partition(".")[0] in PACKAGES and module in sys.modules


def component_of(path: str):
    """The class a /components/ path names, if Panel may read it: `<module>/<class>/<attribute>/...` with the
    module loaded and allowed, the class in the module's namespace, the attribute one of Panel's resource
    attributes found on the class itself (its MRO). Read without getattr: no module or metaclass
    `__getattr__` runs, nothing is imported. None otherwise."""
    from panel.io.server import ComponentResourceHandler

    parts = path.split("/")
    if len(parts) < 4 or not allowed(parts[0]):
        return None
    module, name, attribute = sys.modules[parts[0]], parts[1], parts[2]
    if not isinstance(module, types.ModuleType):
        return None
    component = vars(module).get(name)
    if not isinstance(component, type) or attribute not in ComponentResourceHandler._resource_attrs:
        return None
    if not any(attribute in vars(klass) for klass in component.__mro__):
        return None
    return component


def narrow_component_route() -> None:
    """Guard Panel's ComponentResourceHandler in this process (idempotent): run before the server starts."""
    from panel.io.server import ComponentResourceHandler
    from tornado.web import HTTPError

    original = ComponentResourceHandler.parse_url_path
    if getattr(original, "guarded", False):
        return

    @functools.wraps(original)
    def parse_url_path(self, path: str) -> str:
        if component_of(path) is None:
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

    original_parse = location.parse_query

    @functools.wraps(original_parse)
    def parse_query(query: str) -> dict:
        """Panel's typed reading of the query, or every value as text when it fails on one (`²` passes
        str.isdigit() and not int(); 4,301 digits pass both checks and pass Python's int limit)."""
        try:
            return original_parse(query)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return dict(urllib.parse.parse_qsl(query[1:]))

    location.parse_query = parse_query


HEADER_LIMIT = 65536  # Tornado's max_header_size (Bokeh and Panel keep its default): bounds the request line


def accept_long_queries() -> None:
    """Parse as many query arguments as fit in the request line (Tornado's default cap is 1000; idempotent).

    Tornado reads the cap from one global setting, which also bounds urlencoded bodies (the login form):
    a body of that many fields parses in milliseconds, and Tornado counts the fields before parsing."""
    from tornado import httputil

    current = httputil._DEFAULT_PARSE_BODY_CONFIG
    if current.urlencoded.max_arguments < HEADER_LIMIT:
        httputil.set_parse_body_config(dataclasses.replace(
            current, urlencoded=dataclasses.replace(current.urlencoded, max_arguments=HEADER_LIMIT)))


def quiet_refused_websockets() -> None:
    """A websocket Bokeh refuses (ProtocolError: no `bokeh` subprotocol, a bad or expired token) is logged as
    one line, not Tornado's traceback (idempotent)."""
    from bokeh.protocol.exceptions import ProtocolError
    from bokeh.server.views.ws import WSHandler

    original = WSHandler.log_exception
    if getattr(original, "quiet", False):
        return

    @functools.wraps(original)
    def log_exception(self, typ, value, tb):
        if isinstance(value, ProtocolError):
            logging.getLogger("tornado.application").warning(
                "websocket refused: %s (%s %s from %s)", value, self.request.method, self.request.path,
                self.request.remote_ip)
        else:
            original(self, typ, value, tb)

    log_exception.quiet = True
    WSHandler.log_exception = log_exception


def refuse_autoload_without_login() -> None:
    """Under a login, Panel's autoload.js handler asks Bokeh for a session that Tornado's `authenticated` will not
    give an anonymous request (None, then a TypeError and a traceback in the log): refused with a 403 first
    (idempotent)."""
    from panel.io.server import AutoloadJsHandler
    from tornado.web import HTTPError

    original = AutoloadJsHandler.get
    if getattr(original, "guarded", False):
        return

    @functools.wraps(original)
    async def get(self, *args, **kwargs):
        if not self.current_user:
            raise HTTPError(403, reason="log in first")
        return await original(self, *args, **kwargs)

    get.guarded = True
    AutoloadJsHandler.get = get


def quiet_closed_connections(loop=None) -> None:
    """A tab closed while the server was still writing to it: Tornado's write fails after the fact and asyncio
    logs "Task exception was never retrieved" with two tracebacks. One line instead; every other unhandled
    exception still reaches asyncio's handler (idempotent). `loop`: the server's, by default."""
    from tornado.ioloop import IOLoop
    from tornado.iostream import StreamClosedError
    from tornado.websocket import WebSocketClosedError

    loop = loop or IOLoop.current().asyncio_loop
    previous = loop.get_exception_handler()
    if getattr(previous, "quiet", False):
        return

    def handler(loop, context):
        if isinstance(context.get("exception"), (WebSocketClosedError, StreamClosedError)):
            logging.getLogger("tornado.application").info("a message to a closed websocket was dropped")
        elif previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler.quiet = True
    loop.set_exception_handler(handler)
