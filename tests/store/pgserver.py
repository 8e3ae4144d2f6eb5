"""Start and stop a throw-away PostgreSQL 15 + PostGIS server for tests and benchmarks.

The server runs as user ``postgres`` (initdb refuses root) in a temporary data folder, listens on
127.0.0.1 only, and is removed when stopped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")


def pg_bin() -> Path | None:
    """Folder with initdb/pg_ctl, or None when PostgreSQL is not installed."""
    for candidate in PG_BIN_CANDIDATES:
        if (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def postgis_installed() -> bool:
    """Whether the PostGIS extension files are installed for the found server."""
    share = Path("/usr/share/postgresql")
    return any(share.glob("*/extension/postgis.control"))


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@dataclass
class PgServer:
    """A running throw-away server: ``url`` points at database ``quartiersatlas``."""

    bindir: Path
    datadir: Path
    port: int

    @property
    def url(self) -> str:
        """Connection URL of the test database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/quartiersatlas"

    def start(self) -> None:
        """Start the server (again) and wait until it accepts connections."""
        subprocess.run(
            _as_postgres(
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.datadir),
                    "-l",
                    str(self.datadir / "server.log"),
                    "-w",
                    "-o",
                    f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL did not start on port {self.port}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``mode`` fast or immediate)."""
        subprocess.run(
            _as_postgres(
                [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "stop"]
            ),
            check=False,
            capture_output=True,
        )

    def psql(self, sql: str, database: str = "quartiersatlas") -> str:
        """Run SQL with psql as the superuser and return its output."""
        result = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atc",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout


def start_server(*, postgis: bool = True) -> PgServer:
    """Create, start and prepare a server with database ``quartiersatlas`` (and PostGIS)."""
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries not found")
    datadir = Path(tempfile.mkdtemp(prefix="qa-pg-"))
    shutil.chown(datadir, "postgres", "postgres") if os.geteuid() == 0 else None
    datadir.chmod(0o700)
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    server = PgServer(bindir, datadir, free_port())
    server.start()
    server.psql("CREATE DATABASE quartiersatlas", database="postgres")
    if postgis:
        server.psql("CREATE EXTENSION postgis")
    return server


def remove_server(server: PgServer) -> None:
    """Stop the server and delete its data folder."""
    server.stop("immediate")
    with contextlib.suppress(OSError):
        shutil.rmtree(server.datadir)
