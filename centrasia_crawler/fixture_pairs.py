"""Fixture pairs: a page as the site sent it, and what extraction read from it.

A pair is two files side by side: ``NAME.http``, the response as it came (status line,
headers, a blank line, the body as bytes), and ``NAME.json``, the page's URL, the kind
of page it was read as, and the extracted data. ``centrasia doctor --save DIR`` writes
them (:func:`save_pair`); pairs under ``tests/fixtures/captured/`` are regression tests,
each page must still extract to its JSON (:func:`check_pair`, ``tests/test_captured.py``);
``centrasia doctor --update`` accepts today's extraction (:func:`update_pair`).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Sequence
from email.message import Message
from pathlib import Path
from typing import Any

from centrasia_crawler.extraction import NotACentrasiaPage, PageKind, extract_as


def save_pair(
    directory: Path,
    name: str,
    *,
    url: str,
    status: int,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    kind: PageKind,
    data: dict[str, Any],
) -> Path:
    """Write ``NAME.http`` and ``NAME.json`` under ``directory``; the JSON's path."""
    directory.mkdir(parents=True, exist_ok=True)
    head = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers]
    (directory / f"{name}.http").write_bytes(
        ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace") + body
    )
    path = directory / f"{name}.json"
    path.write_text(_dumps({"url": url, "kind": kind, "data": data}), encoding="utf-8")
    return path


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def read_response(path: Path) -> tuple[int, Message, bytes]:
    """The status, headers and body of a pair's ``.http`` file."""
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = Message()
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    return int(status_line.split()[1]), headers, body


def pairs(directory: Path) -> Iterator[Path]:
    """The JSON of every fixture pair under ``directory``."""
    return (p for p in sorted(directory.rglob("*.json")) if p.with_suffix(".http").exists())


def reextract(expected_path: Path) -> dict[str, Any]:
    """What extraction reads today from a pair's saved page, as its JSON is written."""
    saved = json.loads(expected_path.read_text(encoding="utf-8"))
    _, headers, body = read_response(expected_path.with_suffix(".http"))
    data = extract_as(saved["kind"], body, saved["url"], headers.get("Content-Type"))
    return {"url": saved["url"], "kind": saved["kind"], "data": data}


def check_pair(expected_path: Path) -> str:
    """A unified diff of the pair's JSON against today's extraction ('' when equal)."""
    old = expected_path.read_text(encoding="utf-8")
    try:
        new = _dumps(reextract(expected_path))
    except NotACentrasiaPage as exc:
        new = f"cannot be read any more: {exc}\n"
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            f"{expected_path} (saved)",
            f"{expected_path} (extracted now)",
        )
    )


def update_pair(expected_path: Path) -> tuple[str, bool]:
    """Rewrite a pair's JSON with today's extraction: the diff shown to the person, and
    whether the page could be read at all (if not, its JSON is left as it was)."""
    diff = check_pair(expected_path)
    if not diff:
        return "", True
    try:
        fresh = reextract(expected_path)
    except NotACentrasiaPage:
        return diff, False
    expected_path.write_text(_dumps(fresh), encoding="utf-8")
    return diff, True
