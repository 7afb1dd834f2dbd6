"""The server-side guards of dashboard/guards.py that a browser run cannot make happen at will."""

from __future__ import annotations

import asyncio
import logging

from tornado.websocket import WebSocketClosedError

from dashboard import guards


def test_a_message_to_a_closed_tab_is_one_line_and_other_errors_still_reach_asyncio(caplog):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    reached = []
    try:
        loop.set_exception_handler(lambda _loop, context: reached.append(context["message"]))
        guards.quiet_closed_connections()
        guards.quiet_closed_connections()  # idempotent: installed once
        handler = loop.get_exception_handler()
        with caplog.at_level(logging.INFO, logger="tornado.application"):
            handler(loop, {"message": "Task exception was never retrieved", "exception": WebSocketClosedError()})
        assert [r.getMessage() for r in caplog.records] == ["a message to a closed websocket was dropped"]
        assert reached == []
        handler(loop, {"message": "something else", "exception": ValueError("x")})
        assert reached == ["something else"]
    finally:
        asyncio.set_event_loop(None)
        loop.close()
