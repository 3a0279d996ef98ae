"""The documents that describe code stay true to it: docs/cli.md and docs/schema.md's
tables are generated (cog) and must be current; docs/design.md names every package
and module of centrasia_crawler, and none that is gone."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
COG = Path(sys.executable).with_name("cog")


def _cog_check(docs: Path, *pages: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COG), "-I", str(docs), "--check", *(str(docs / p) for p in pages)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_generated_documents_are_current() -> None:
    done = _cog_check(DOCS, "cli.md", "schema.md")
    assert done.returncode == 0, f"run `make docs`:\n{done.stdout}{done.stderr}"


def test_schema_md_states_the_version_an_archive_is_created_at() -> None:
    from centrasia_crawler.archive.schema import migrate

    with closing(sqlite3.connect(":memory:", isolation_level=None)) as conn:
        migrate(conn)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    text = (DOCS / "schema.md").read_text(encoding="utf-8")
    assert re.findall(r"`PRAGMA user_version` \(now (\d+)\)", text) == [str(version)]
    described = re.findall(r"^### `(\w+)`$", text, re.M)
    assert described and set(described) <= tables, set(described) - tables


def test_a_stale_schema_md_fails_the_check(tmp_path: Path) -> None:
    for name in ("schema.md", "schema_tables.py"):
        shutil.copy(DOCS / name, tmp_path / name)
    page = tmp_path / "schema.md"
    text = page.read_text(encoding="utf-8")
    stale = re.sub(r"(`PRAGMA user_version` \(now )\d+", r"\g<1>11", text)
    assert stale != text
    page.write_text(stale.replace("| `body` | TEXT |", "| `body` | BLOB |"), encoding="utf-8")
    done = _cog_check(tmp_path, "schema.md")
    assert done.returncode != 0, done.stdout


def _modules() -> set[str]:
    """Every package (``name/``) and module (``name/module.py``) of the package, as
    docs/design.md names them: relative to ``centrasia_crawler/``, which is itself one."""
    package = ROOT / "centrasia_crawler"
    found = {"centrasia_crawler/"}
    for path in package.rglob("*.py"):
        relative = path.relative_to(package)
        if path.name == "__init__.py":
            if relative.parent != Path():
                found.add(f"{relative.parent.as_posix()}/")
        else:
            found.add(relative.as_posix())
    return found


def _design_rows() -> dict[str, str]:
    text = (DOCS / "design.md").read_text(encoding="utf-8")
    section = text[text.index("## The modules") :]
    section = section[: section.index("\n## ", 1)]
    return dict(re.findall(r"^\| `([^`]+)` \| (.*) \|$", section, re.M))


def test_design_md_names_every_package_and_module() -> None:
    rows = _design_rows()
    modules = _modules()
    assert len(modules) > 50
    missing = sorted(modules - set(rows))
    assert not missing, f"docs/design.md has no line for {missing}"
    gone = sorted(set(rows) - modules)
    assert not gone, f"docs/design.md names modules that do not exist: {gone}"
    assert all(role.strip() for role in rows.values())
