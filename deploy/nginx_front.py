"""deploy/nginx/centrasia.conf made runnable without root, for instances on loopback
ports: the test of two instances behind nginx and ``bench/serve.py --load --instances``
start a real nginx with it.

    python deploy/nginx_front.py DIR FRONT PORT [PORT ...]

writes DIR/nginx.conf (run ``nginx -c DIR/nginx.conf -p DIR``): the shipped file with
one upstream ``server`` line per PORT, listening on 127.0.0.1:FRONT, and every path it
writes (cache, temporary files, logs, pid) under DIR.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent / "nginx" / "centrasia.conf"
#: The shipped upstream's instances, replaced by the ports given.
_SERVERS = re.compile(r"(?:    server 127\.0\.0\.1:\d+ (max_fails=\S+ fail_timeout=\S+);\n)+")


def front_config(directory: Path, ports: Sequence[int], front: int) -> Path:
    """The shipped configuration for ``ports`` behind ``front``, in a whole nginx
    configuration whose every file is under ``directory``: its main file."""
    text = SHIPPED.read_text(encoding="utf-8")
    servers = _SERVERS.search(text)
    if servers is None:
        raise ValueError(f"{SHIPPED}: no upstream server lines")
    lines = "".join(f"    server 127.0.0.1:{port} {servers.group(1)};\n" for port in ports)
    text = text[: servers.start()] + lines + text[servers.end() :]
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{front};"),
        ("/var/cache/nginx/centrasia", str(directory / "cache")),
    ):
        if text.count(old) != 1:
            raise ValueError(f"{SHIPPED}: expected {old!r} once")
        text = text.replace(old, new)
    (directory / "centrasia.conf").write_text(text, encoding="utf-8")
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root root;\n" if os.geteuid() == 0 else ""
    main = directory / "nginx.conf"
    main.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'};\nevents {{ worker_connections 256; }}\n"
        f"http {{\n    access_log {directory / 'access.log'};\n{temp}\n"
        f"    include {directory / 'centrasia.conf'};\n}}\n",
        encoding="utf-8",
    )
    return main


if __name__ == "__main__":
    directory, front, *ports = sys.argv[1:]
    print(front_config(Path(directory), [int(p) for p in ports], int(front)))
