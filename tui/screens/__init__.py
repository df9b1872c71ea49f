"""The app's screens: ``main`` (search, read, walk) and ``help``."""
