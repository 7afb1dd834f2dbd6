"""The `panel serve --setup` script: run once in the server process before it answers.

Panel execs this file as a module named "panel_setup_module"; imported under any
other name it does nothing (a module must not act on import). It first narrows
what a request can make Panel do (dashboard.guards), then renders the whole app into a
throwaway document, so every section's query lands in the shared caches
(dashboard.data) and the first visitor waits only for their own page to be drawn.
A warehouse that cannot be read then is said in one log line, and the server
starts anyway: each page says so until it can be read.
"""

from __future__ import annotations

SETUP_MODULE = "panel_setup_module"  # the name `panel serve --setup` runs this file under


def setup() -> None:
    from bokeh.document import Document

    from dashboard import guards
    from dashboard.app import serve_page

    guards.narrow_component_route()
    guards.tolerate_any_url()
    guards.accept_long_queries()
    guards.quiet_refused_websockets()
    guards.refuse_autoload_without_login()
    guards.quiet_closed_connections()
    serve_page(Document())


if __name__ == SETUP_MODULE:
    setup()
