"""The local HTTP server (see ``tests/online_server.py``)."""

from tests.online_server import server

__all__ = ["server"]
