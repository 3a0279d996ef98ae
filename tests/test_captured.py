"""Pages captured from the live site (``centrasia doctor --save``): each must still
extract to the JSON saved beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from centrasia_crawler.fixture_pairs import check_pair, pairs

CAPTURED = Path(__file__).parent / "fixtures" / "captured"
PAIRS = list(pairs(CAPTURED))


@pytest.mark.skipif(
    not PAIRS, reason="no captured pages yet: centrasia doctor --save tests/fixtures/captured/DAY"
)
@pytest.mark.parametrize(
    "expected", PAIRS or [None], ids=lambda p: str(p.relative_to(CAPTURED)) if p else "none"
)
def test_a_captured_page_still_extracts_to_its_json(expected: Path) -> None:
    diff = check_pair(expected)
    assert not diff, (
        f"{expected} reads differently now; if that is right, accept it with"
        f" 'centrasia doctor --update --save {CAPTURED}':\n{diff}"
    )
