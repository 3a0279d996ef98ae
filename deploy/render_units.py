"""The systemd units, rendered from one template: ``python deploy/render_units.py [DIR]``.

Every service shares one hardened [Service] block; the units differ only in what they
run and when. The files in deploy/systemd/ are this script's output for the paths of
docs/operations.md (a test renders them again and compares, then runs
``systemd-analyze verify`` and ``security`` on them): change this file, not those.

    python deploy/render_units.py deploy/systemd
    python deploy/render_units.py --prefix /srv/venv --state /srv/centrasia /tmp/units
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: Where the production install puts the virtual environment (docs/operations.md).
PREFIX = "/opt/centrasia"
#: The service's state: the archive and the backfills' JOBDIRs (systemd creates it).
STATE = "/var/lib/centrasia"
#: Where backups go.
BACKUPS = "/var/backups/centrasia"
#: node_exporter's textfile collector directory: Debian's and Ubuntu's
#: prometheus-node-exporter package reads this one (upstream's node_exporter reads
#: what its --collector.textfile.directory names: render with --textfile DIR).
TEXTFILE = "/var/lib/prometheus/node-exporter"

#: What every service runs with: a dedicated user, nothing writable but the state (and
#: what the unit adds), no privileges, no devices, no kernel knobs, only the network
#: families and system calls a Python crawler uses. `systemd-analyze security` rates it
#: OK; MemoryDenyWriteExecute= is left out (libffi closures of ctypes/cffi need W+X
#: pages on some systems), as are IPAddress* (the crawl talks to the internet).
HARDENING = """\
User=centrasia
Group=centrasia
StateDirectory=centrasia
StateDirectoryMode=0750
WorkingDirectory={state}
Environment=CENTRASIA_ARCHIVE={state}/archive.sqlite
UMask={umask}
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
PrivateTmp=yes
PrivateDevices=yes
PrivateUsers=yes
DevicePolicy=closed
ProtectSystem=strict
ProtectHome=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
KeyringMode=private
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
"""

HEADER = "# Rendered by deploy/render_units.py from one template; edit that, not this file.\n"


def service(
    description: str,
    body: str,
    unit: str = "",
    umask: str = "0027",
    install: str = "",
    **paths: str,
) -> str:
    """A service: its [Unit] lines, its own [Service] lines, then the shared block (with
    its ``umask``: a unit never sets UMask= itself, the block's would win), and its
    ``install`` lines if it has any."""
    unit_section = f"[Unit]\nDescription={description}\n{unit}"
    text = f"{HEADER}{unit_section}\n[Service]\n{body}Nice=10\n{HARDENING}".format(
        umask=umask, **paths
    )
    return f"{text}\n[Install]\n{install}" if install else text


def timer(description: str, schedule: str) -> str:
    return (
        f"{HEADER}[Unit]\nDescription={description}\n\n[Timer]\n{schedule}"
        "\n[Install]\nWantedBy=timers.target\n"
    )


NETWORK = "Wants=network-online.target\nAfter=network-online.target\n"
ALERT = "OnFailure=centrasia-alert@%n.service\n"


def units(
    prefix: str = PREFIX, state: str = STATE, backups: str = BACKUPS, textfile: str = TEXTFILE
) -> dict[str, str]:
    """The units by file name, for these paths."""
    paths = {"prefix": prefix, "state": state, "backups": backups, "textfile": textfile}
    centrasia = f"{prefix}/bin/centrasia"
    return {
        "centrasia-crawl.service": service(
            "centrasia.org archival crawl (incremental)",
            "Type=oneshot\n"
            f"ExecStart={centrasia} crawl\n"
            "# 75 (EX_TEMPFAIL): another run held the archive's lock; 143: stopped by\n"
            "# SIGTERM (systemctl stop, a shutdown) with nothing else wrong. Not failures.\n"
            "SuccessExitStatus=75 143\n"
            "TimeoutStartSec=50min\n"
            "TimeoutStopSec=5min\n",
            NETWORK + ALERT,
            **paths,
        ),
        "centrasia-crawl.timer": timer(
            "Hourly centrasia.org archival crawl",
            "OnCalendar=hourly\nRandomizedDelaySec=5min\nPersistent=true\n",
        ),
        "centrasia-backfill@.service": service(
            "centrasia.org backfill of the year %i",
            # A backfill runs for hours: the hourly crawl is paused meanwhile (Conflicts=
            # stops its timer), so it is not refused with 75 every hour; when the
            # backfill ends, ok or not, the timer starts again (a missed hour runs at
            # once: Persistent=true). Started while an hourly run holds the lock, it
            # tries again two minutes later. Stopped (systemctl stop, a reboot), it
            # resumes from its JOBDIR when started again.
            "Type=exec\n"
            f"ExecStart={centrasia} crawl --since %i-01-01 --until %i-12-31"
            f" -s JOBDIR={state}/job-%i\n"
            "# 143: stopped by SIGTERM (systemctl stop), its JOBDIR keeping its place.\n"
            "SuccessExitStatus=143\n"
            "RestartForceExitStatus=75\n"
            "RestartSec=2min\n"
            "TimeoutStopSec=5min\n",
            NETWORK
            + "Conflicts=centrasia-crawl.timer\n"
            + "After=centrasia-crawl.service\n"
            + "OnSuccess=centrasia-crawl.timer\n"
            + "OnFailure=centrasia-crawl.timer centrasia-alert@%n.service\n",
            **paths,
        ),
        "centrasia-refresh.service": service(
            "centrasia.org refresh: the last 3 days' articles fetched again (edits kept)",
            "Type=oneshot\n"
            f"ExecStart={centrasia} crawl --refresh 3\n"
            "SuccessExitStatus=75 143\n"
            "TimeoutStartSec=3h\n"
            "TimeoutStopSec=5min\n",
            NETWORK + ALERT,
            **paths,
        ),
        "centrasia-refresh.timer": timer(
            "Daily centrasia.org refresh",
            "OnCalendar=*-*-* 04:20\nPersistent=true\n",
        ),
        "centrasia-maintain.service": service(
            "centrasia.org archive upkeep: check it whole, prune what is older than 90"
            " days, recompress",
            # Prune and compact take the archive's lock; at half past, the hourly run is
            # long done (75, the lock held by a backfill: skipped this month, said in the
            # journal). A damaged archive (exit 2) stops the upkeep there, and alerts.
            "Type=oneshot\n"
            f"ExecStart={centrasia} check --full\n"
            f"ExecStart={centrasia} prune --older-than 90\n"
            f"ExecStart={centrasia} compact\n"
            "SuccessExitStatus=75\n"
            "TimeoutStartSec=6h\n",
            ALERT,
            **paths,
        ),
        "centrasia-maintain.timer": timer(
            "Monthly centrasia.org archive upkeep",
            "OnCalendar=*-*-01 05:35\nPersistent=true\n",
        ),
        "centrasia-fresh.service": service(
            "Is the centrasia.org archive fresh? (an ok crawl within 3 hours)",
            f"Type=oneshot\nExecStart={centrasia} runs --fresh 3\n",
            ALERT,
            **paths,
        ),
        "centrasia-fresh.timer": timer(
            "Check the centrasia.org archive's freshness hourly",
            "OnCalendar=*:45\nPersistent=true\n",
        ),
        "centrasia-metrics.service": service(
            "centrasia.org archive metrics for node_exporter",
            # node_exporter (another user) reads the file: it is written 0644 whatever
            # the umask. A missing directory fails the unit at once (no "-" before the
            # path: systemd cannot make it writable), and that alerts.
            f"Type=oneshot\nExecStart={centrasia} runs --metrics {textfile}/centrasia.prom\n"
            f"ReadWritePaths={textfile}\n",
            ALERT,
            umask="0022",
            **paths,
        ),
        "centrasia-metrics.timer": timer(
            "centrasia.org archive metrics every 5 minutes",
            "OnCalendar=*:0/5\n",
        ),
        "centrasia-backup.service": service(
            "Back up the centrasia.org archive (the newest 14 kept)",
            f"Type=oneshot\nExecStart={centrasia} backup {backups} --keep 14\n"
            f"ReadWritePaths={backups}\n",
            ALERT,
            **paths,
        ),
        "centrasia-check.service": service(
            "Is the centrasia.org archive sound? (PRAGMA quick_check)",
            f"Type=oneshot\nExecStart={centrasia} check\n",
            ALERT,
            **paths,
        ),
        "centrasia-check.timer": timer(
            "Daily check of the centrasia.org archive",
            "OnCalendar=*-*-* 02:50\nPersistent=true\n",
        ),
        "centrasia-backup.timer": timer(
            "Daily backup of the centrasia.org archive",
            "OnCalendar=*-*-* 03:30\nRandomizedDelaySec=10min\nPersistent=true\n",
        ),
        "centrasia-serve@.service": service(
            "centrasia.org archive in Datasette on 127.0.0.1:%i",
            # One Datasette per instance, the instance its port (centrasia-serve@8001,
            # @8002, ...), all reading the one archive (WAL lets readers in several
            # processes read while the crawl writes); deploy/nginx/centrasia.conf
            # balances them. Never --immutable: the crawl writes this archive.
            f"Type=exec\nExecStart={centrasia} serve --host 127.0.0.1 --port %i\n"
            "Restart=on-failure\n"
            "RestartSec=5s\n"
            "TimeoutStopSec=30s\n",
            "After=network.target\nPartOf=centrasia-serve.target\n",
            install="WantedBy=centrasia-serve.target\n",
            **paths,
        ),
        "centrasia-serve.target": (
            f"{HEADER}[Unit]\nDescription=centrasia.org archive in Datasette, every instance"
            " enabled\n\n[Install]\nWantedBy=multi-user.target\n"
        ),
        "centrasia-alert@.service": service(
            "Tell that %i failed",
            # One critical line in the journal, through logger only: the shared hardening
            # (no setgid, no privileges, ProtectSystem=strict) leaves sendmail unable to
            # queue mail, so have the journal's reader (journalctl -p crit, a log shipper,
            # Prometheus on the metrics) alert, rather than mail from here.
            'Type=oneshot\nExecStart=/usr/bin/logger -p daemon.crit -t centrasia "%i failed:'
            ' journalctl -u %i"\n',
            **paths,
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", nargs="?", default=str(Path(__file__).parent / "systemd"))
    parser.add_argument("--prefix", default=PREFIX)
    parser.add_argument("--state", default=STATE)
    parser.add_argument("--backups", default=BACKUPS)
    parser.add_argument("--textfile", default=TEXTFILE)
    args = parser.parse_args(argv)
    out = Path(args.directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in units(args.prefix, args.state, args.backups, args.textfile).items():
        (out / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
