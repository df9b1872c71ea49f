"""The main screen, split by concern: each part owns its state, in a module of its own, and the screen
(``screen.py``) composes them and routes messages and keys to them.

- ``search.py``: search and results (a widget: the result list, its query and order, the index);
- ``reader.py``: the open article, its panes, the trail (a widget: the right-hand column);
- ``marking.py``: marks and screening, and which article a key acts on (the target rule);
- ``online.py``: fetches and PubMed searches; ``exporting.py``: copy, open, export;
- ``views.py``: the citation map and citation chasing; ``changes.py``: other processes' changes;
- ``loading.py``: reading the library after the first paint; ``quitting.py``: compaction at the end;
  ``keeping.py``: the session file, saved off the UI thread;
- ``parts.py``: what the parts share.

A package under ``tui/screens/`` rather than a top-level ``tui/main/``: these parts are the main
screen's and no other screen's, and ``tui.screens.main.MainScreen`` stays where the app, the other
screens and the tests have always found it.
"""

from tui.screens.main.screen import MainScreen

__all__ = ["MainScreen"]
