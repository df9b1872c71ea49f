"""The bundled demo library: the article page shipped in ``store/demo/``."""

from __future__ import annotations

import io
from importlib import resources

from store.formats.page import PageParser
from store.model import Article, Origin


def demo_articles() -> list[tuple[Article, Origin]]:
    folder = resources.files("store") / "demo"
    found: list[tuple[Article, Origin]] = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".txt"):
            data = item.read_bytes()
            for article in PageParser().parse(io.BytesIO(data), f"demo/{item.name}"):
                found.append((article, Origin("page", f"bundled demo ({item.name})")))
    return found
