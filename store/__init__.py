"""pmbrowse's domain: articles, parsers, the library store, search, links, export, online clients.

Nothing here imports Textual or Rich, so all of it can be scripted, tested and benchmarked headless.
"""
