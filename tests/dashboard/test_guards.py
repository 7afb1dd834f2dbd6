"""The server-side guards of dashboard/guards.py that a browser run cannot make happen at will."""

from __future__ import annotations

import asyncio
import logging

from hypothesis import given, settings
from hypothesis import strategies as st
from tornado.websocket import WebSocketClosedError

from dashboard import guards


class Lines(logging.Handler):
    """The messages logged to one logger (whatever other tests did to propagation and levels)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_a_message_to_a_closed_tab_is_one_line_and_other_errors_still_reach_asyncio():
    loop = asyncio.new_event_loop()  # its own loop, never made the current one
    reached, logged = [], Lines()
    logger = logging.getLogger("tornado.application")
    level = logger.level
    logger.addHandler(logged)
    logger.setLevel(logging.INFO)
    try:
        loop.set_exception_handler(lambda _loop, context: reached.append(context["message"]))
        guards.quiet_closed_connections(loop)
        guards.quiet_closed_connections(loop)  # idempotent: installed once
        handler = loop.get_exception_handler()
        handler(loop, {"message": "Task exception was never retrieved", "exception": WebSocketClosedError()})
        assert logged.lines == ["a message to a closed websocket was dropped"]
        assert reached == []
        handler(loop, {"message": "something else", "exception": ValueError("x")})
        assert reached == ["something else"]
    finally:
        logger.removeHandler(logged)
        logger.setLevel(level)
        loop.close()


@settings(deadline=None)  # the first example imports Panel
@given(st.lists(st.tuples(st.text(max_size=8), st.text() | st.from_regex(r"[0-9²³¹٣]{1,5000}", fullmatch=True)),
                max_size=5))
def test_any_query_string_is_read_by_panel_once_guarded(pairs):
    """Panel's typed query parser (int() on what str.isdigit() passes) behind the guard: never an exception."""
    from urllib.parse import urlencode

    from panel.io import location  # a digit int() does not read, more digits than it takes, any text

    guards.tolerate_any_url()
    query = location.parse_query("?" + urlencode(pairs))
    assert isinstance(query, dict)
