"""The errors the domain raises. Each one's ``str()`` is a single line a user can act on."""

from __future__ import annotations


class PmbrowseError(Exception):
    """Base class: anything the command line reports as one line instead of a traceback."""


class ParseError(PmbrowseError):
    """An input file that does not follow its format: says which file, and where (line or record)."""

    def __init__(self, message: str, *, source: str = "", line: int | None = None, record: str = "") -> None:
        self.message = message
        self.source = source
        self.line = line
        self.record = record
        super().__init__(str(self))

    def with_source(self, source: str) -> ParseError:
        """The same error, naming the file it came from."""
        return ParseError(self.message, source=source, line=self.line, record=self.record)

    def __str__(self) -> str:
        where = self.source or "<input>"
        if self.line is not None:
            where += f", line {self.line}"
        if self.record:
            where += f", record {self.record}"
        return f"{where}: {self.message}"


class LibraryFileError(PmbrowseError):
    """The library file is not a library pmbrowse can use; it is left untouched."""


class LibraryBusyError(PmbrowseError):
    """Another process is writing the library right now."""


class OnlineError(PmbrowseError):
    """A request to an online service failed for good, or its answer could not be used.

    ``str()`` is one line naming the service and the last problem, e.g.
    ``PubMed did not answer after 4 tries: HTTP 503 Service Unavailable``. Nothing fetched in the same
    operation has been stored when this is raised.
    """

    def __init__(self, message: str, *, service: str = "", url: str = "", status: int | None = None) -> None:
        self.message = message
        self.service = service
        self.url = url
        self.status = status
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class InterruptedAfterCommit(KeyboardInterrupt):
    """Ctrl-C that came after the library's commit point (a journal's seal written, a new base or
    journal renamed into place): what the command changed is in the library, and is said to be, not
    that the library was left as it was. Raised from the interrupt it replaces."""


def os_reason(exc: OSError) -> str:
    """What went wrong with a file, in one line: the system's words and the file's name ("No space left
    on device (library.marks.json)"), not Python's "[Errno 28] ...: '...'"."""
    return f"{exc.strerror or exc}{f' ({exc.filename})' if exc.filename else ''}"
