"""The marks of a match in a text, and the snippets and concordance lines made with them.

Pure text work on what FTS5's ``snippet()`` and ``highlight()`` return: no SQL.
"""

from __future__ import annotations

import re
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


def marked_spans(marked: str) -> tuple[str, list[tuple[int, int]]]:
    r"""A highlighted text without its marks, and where each marked span stands in it.

    >>> marked_spans("Визит \x02Жапарова\x03 в Москву")
    ('Визит Жапарова в Москву', [(6, 14)])
    """
    plain = marked.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    spans, position, start = [], 0, None
    for piece in _MARKS.split(marked):
        if piece == MARK_OPEN:
            start = position
        elif piece == MARK_CLOSE:
            if start is not None:
                spans.append((start, position))
            start = None
        else:
            position += len(piece)
    return plain, spans


def oneline(text: str) -> str:
    """White space made single spaces, one for one."""
    return _SPACE.sub(" ", text)


_MARKS: Final = re.compile(f"([{MARK_OPEN}{MARK_CLOSE}])")
_SPACE: Final = re.compile(r"\s")
