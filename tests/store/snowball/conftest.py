"""The local HTTP server and sessions on it (see ``tests/online_server.py``)."""

from tests.online_server import make_online, server

__all__ = ["make_online", "server"]
