"""Write deploy/constraints.txt: every package a production install needs, pinned.

The production install (docs/operations.md) is not editable and has no test extras:

    /opt/centrasia/bin/pip install --constraint deploy/constraints.txt .

This walks the requirements of centrasia-crawler (no extras) through the installed
packages' metadata and pins each at the version installed here, where the tests ran:

    .venv/bin/python deploy/pin_constraints.py > deploy/constraints.txt
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, distribution

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def closure(root: str = "centrasia-crawler") -> dict[str, str]:
    """Every package ``root`` needs (extras it asks of them included), by name: version."""
    environment = default_environment()
    found: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue  # a requirement for another platform or Python
        key = canonicalize_name(dist.metadata["Name"])
        if key != canonicalize_name(root):
            found[key] = dist.version
        for line in dist.requires or ():
            requirement = Requirement(line)
            marker = requirement.marker
            wanted = extras or {""}
            if marker is not None and not any(
                marker.evaluate({**environment, "extra": extra}) for extra in wanted
            ):
                continue
            todo.append((requirement.name, frozenset(requirement.extras)))
    return dict(sorted(found.items()))


def main() -> int:
    print("# Every dependency of a production install, pinned (deploy/pin_constraints.py).")
    print("# pip install --constraint deploy/constraints.txt .")
    for name, version in closure().items():
        print(f"{name}=={version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
