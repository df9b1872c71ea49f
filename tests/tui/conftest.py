"""The local HTTP server, for the fetch command and the app's online keys (see ``tests/online_server.py``)."""

from tests.online_server import server

__all__ = ["server"]
