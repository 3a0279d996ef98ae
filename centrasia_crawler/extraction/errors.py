"""The one exception extraction raises for input it cannot take."""

from __future__ import annotations


class NotACentrasiaPage(ValueError):
    """The input is not a (complete) centrasia.org page of the kind asked for.

    Raised for empty, binary, truncated or foreign documents, and for pages whose
    layout no longer shows what extraction anchors on. ``str(exc)`` is a one-line
    reason beginning with ``not a centrasia page:``.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"not a centrasia page: {reason}")
