"""Private PostgreSQL and Redis servers for a bench that stops and starts them (bench/faults.py).

Each runs from a temporary folder on a free port, never touching the machine's shared servers;
`private_services()` removes processes and folders on the way out, whatever happened.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis


class Unavailable(Exception):
    """The private servers cannot be made on this machine (no binaries, no OS user to run them)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    if initdb := shutil.which("initdb"):
        return Path(initdb).parent
    raise Unavailable("no initdb: install PostgreSQL's server package (Debian: postgresql)")


def _as_owner() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its commands as the `postgres` OS user."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("runuser"):
        raise Unavailable("running as root without runuser: cannot run PostgreSQL as the postgres user")
    try:
        subprocess.run(["id", "postgres"], check=True, capture_output=True)
    except subprocess.CalledProcessError as error:
        raise Unavailable("running as root and there is no `postgres` OS user to run PostgreSQL") from error
    return ["runuser", "-u", "postgres", "--"]


class Postgres:
    """A throwaway cluster: `stop()` and `start()` are the fault, `url` the database the portal uses."""

    def __init__(self, folder: Path) -> None:
        self.bin, self.owner, self.port = postgres_bin(), _as_owner(), free_port()
        self.data, self.log = folder / "data", folder / "postgres.log"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/portal"
        options = f"-p {self.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._ctl = ["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w"]
        if self.owner:
            shutil.chown(folder, "postgres")

    def create(self) -> None:
        """initdb, start, and the portal's empty database."""
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"
        )
        self.start()
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE portal")

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run([*self.owner, str(self.bin / program), *args], capture_output=True, text=True)
        if result.returncode:
            raise Unavailable(f"{program} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> None:
        self._run(*self._ctl, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(*self._ctl, "-m", mode, "stop")

    def stop_if_running(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")


class Redis:
    """A private redis-server that keeps nothing on disk, as a restart that loses its queues."""

    def __init__(self, folder: Path) -> None:
        if not shutil.which("redis-server"):
            raise Unavailable("no redis-server: install Redis (Debian: redis-server)")
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        command = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise Unavailable("redis-server did not answer within 5 s")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process and its group (gunicorn's and Celery's children), then SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except (PermissionError, ProcessLookupError):
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Private:
    folder: Path
    postgres: Postgres
    redis: Redis
    stack: ExitStack  # stops, on the way out, whatever else the bench starts

    def spawn(self, command: list[str], log_name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """A process in a group of its own, its output in the folder, stopped with everything else."""
        log = (self.folder / log_name).open("wb")
        self.stack.callback(log.close)
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.stack.callback(stop, process)
        return process


@contextmanager
def private_services() -> Iterator[Private]:
    """A cluster and a Redis in one temporary folder, all of it gone when the block ends."""
    with ExitStack() as stack:
        folder = Path(tempfile.mkdtemp(prefix="portal-faults-"))
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        folder.chmod(0o711)  # the postgres OS user passes through to its own sub-folder
        (folder / "pg").mkdir()
        postgres = Postgres(folder / "pg")
        stack.callback(postgres.stop_if_running)
        postgres.create()
        redis_server = Redis(folder)
        stack.callback(redis_server.stop)
        yield Private(folder, postgres, redis_server, stack)
