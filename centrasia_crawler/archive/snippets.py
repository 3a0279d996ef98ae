"""The marks of a match in a text, and the snippets and concordance lines made with them.

Pure text work on what FTS5's ``snippet()`` and ``highlight()`` return: no SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

#: Marks around a match in a snippet (plain text; the CLI shows them as [ ]).
MARK_OPEN: Final = "\x02"
MARK_CLOSE: Final = "\x03"
ELLIPSIS: Final = "…"


def unfold_snippet(snippet: str, original: str, folded: str) -> str:
    r"""The snippet FTS made from the ё-folded text, in the original's letters.

    Folding replaces one letter by one letter, so the snippet's text stands at the same
    place in both; the marks (and the ellipses FTS adds at either end) stay as they are.

    >>> unfold_snippet("…\x02Елка\x03 у дома", "Эта Ёлка у дома", "Эта Елка у дома")
    '…\x02Ёлка\x03 у дома'
    """
    plain = snippet.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    for lead in (0, 1):
        for trail in (0, 1):
            if (lead and not plain.startswith(ELLIPSIS)) or (
                trail and not plain.endswith(ELLIPSIS)
            ):
                continue
            core = plain[lead : len(plain) - trail]
            start = folded.find(core) if core else -1
            if start < 0:
                continue
            out, position, letters = [], start, 0
            for ch in snippet:
                if ch in (MARK_OPEN, MARK_CLOSE):
                    out.append(ch)
                    continue
                letters += 1
                if letters <= lead or letters > len(plain) - trail:
                    out.append(ch)  # an ellipsis FTS added
                else:
                    out.append(original[position])
                    position += 1
            return "".join(out)
    return snippet


def marked_as_written(marked: str | None, text: str | None) -> str | None:
    """A text highlighted in its folded letters (one letter for one), in its own."""
    if marked is None or text is None:
        return marked
    out, position = [], 0
    for ch in marked:
        if ch in (MARK_OPEN, MARK_CLOSE):
            out.append(ch)
        else:
            out.append(text[position] if position < len(text) else ch)
            position += 1
    return "".join(out)


def concordance(marked: str, width: int) -> Iterator[tuple[str, str, str]]:
    r"""The marked spans of a highlighted text with ``width`` characters either side.

    >>> list(concordance("Визит Жапарова в Москву", 6))
    [('Визит ', 'Жапарова', ' в Мос')]
    """
    plain = marked.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    position = 0  # in the plain text
    start = None
    for piece in re.split(f"([{MARK_OPEN}{MARK_CLOSE}])", marked):
        if piece == MARK_OPEN:
            start = position
        elif piece == MARK_CLOSE and start is not None:
            left = plain[max(0, start - width) : start]
            right = plain[position : position + width]
            yield _oneline(left), _oneline(plain[start:position]), _oneline(right)
            start = None
        elif piece not in (MARK_OPEN, MARK_CLOSE):
            position += len(piece)


def _oneline(text: str) -> str:
    return re.sub(r"\s", " ", text)
