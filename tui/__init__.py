"""pmbrowse's face: the Textual app and the ``pmbrowse`` command line. It only calls ``store``."""
