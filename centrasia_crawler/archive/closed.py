"""What an archive is once closed: its connection is replaced by one that raises
:class:`ArchiveClosed` for anything asked of it, so a result streamed after the ``with``
block ends says why instead of sqlite3's "Cannot operate on a closed database"."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from centrasia_crawler.archive.store import Archive


class ArchiveClosed(sqlite3.ProgrammingError):
    """An :class:`Archive`, or a result streamed from it, used after it was closed."""

    def __init__(self) -> None:
        super().__init__("the archive was closed when its with block ended")


class _ClosedConnection:
    """A closed archive's connection: whatever is asked of it raises ArchiveClosed."""

    in_transaction = False

    def close(self) -> None:
        """Closing twice is no error."""

    def __getattr__(self, name: str) -> Any:
        raise ArchiveClosed


def streamed(archive: Archive, cursor: Iterable[Any]) -> Iterator[Any]:
    """The rows of ``cursor``; :class:`~centrasia_crawler.archive.closed.ArchiveClosed`
    if the archive is closed before they are all read."""
    iterator = iter(cursor)
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except sqlite3.ProgrammingError:
            if isinstance(archive.conn, _ClosedConnection):
                raise ArchiveClosed from None
            raise
        yield row
