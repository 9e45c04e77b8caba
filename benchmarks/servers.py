"""The processes the server benchmarks start: the example site under gunicorn, a
django-q2 ``qcluster`` (``manage.py qcluster``), and what they measure about them.

Every process starts in a session of its own and is stopped (SIGTERM to its group,
SIGKILL after a grace period) by the benchmark that started it, also when that
benchmark fails: use them as context managers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from benchmarks.common import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_env(port: int, **extra: str) -> dict[str, str]:
    """The environment of the site's processes: this process's database and data
    folder, the benchmark settings, links and the Zoom stand-in on ``port``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.site_settings",
        "DJANGO_DEBUG": "0",
        "WAGTAILADMIN_BASE_URL": f"http://127.0.0.1:{port}",
        "PYTHONPATH": str(ROOT),
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


class Process:
    """A started command; ``stop()`` ends it and everything it started."""

    def __init__(self, name: str, args: list[str], env: dict, log: Path):
        self.name = name
        self.log = log
        self._handle = log.open("ab")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.peak_rss_kb: dict[int, int] = {}

    @property
    def pid(self) -> int:
        return self.popen.pid

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def descendants(self) -> list[int]:
        """This process and everything it started (from /proc)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += children.get(pid, [])
        return found

    def sample_memory(self) -> None:
        """Remember each process's peak resident memory (VmHWM) seen so far."""
        for pid in self.descendants():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        kb = int(line.split()[1])
                        self.peak_rss_kb[pid] = max(kb, self.peak_rss_kb.get(pid, 0))
            except OSError:
                continue

    def stop(self, grace: float = 15) -> None:
        if self.alive():
            self.sample_memory()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(5)
        self._handle.close()


def gunicorn(port: int, env: dict, log: Path, access_log: Path, workers: int = 2) -> Process:
    """The example site under gunicorn, ``workers`` sync workers, on 127.0.0.1:``port``."""
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "example_site.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        str(access_log),
        "--access-logformat",
        "%(m)s %(U)s %(s)s %(M)s",
        "--timeout",
        "120",
        # No shared control socket in ~/.gunicorn: other servers may run beside this one.
        "--no-control-socket",
    ]
    server = Process("gunicorn", args, env, log)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_for_http(url: str, server: Process, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"{server.name} exited; see {server.log}")
        try:
            requests.get(url, timeout=30)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.3)
    raise RuntimeError(f"{server.name} did not answer {url} in {timeout:.0f} s; see {server.log}")


def qcluster(env: dict, log: Path, timeout: float = 90) -> Process:
    """A real django-q2 cluster (``manage.py qcluster``); returns once it runs."""
    cluster = Process("qcluster", [sys.executable, "manage.py", "qcluster"], env, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not cluster.alive():
            raise RuntimeError(f"qcluster exited; see {log}")
        if b"running." in log.read_bytes():
            return cluster
        time.sleep(0.3)
    cluster.stop()
    raise RuntimeError(f"qcluster did not start in {timeout:.0f} s; see {log}")


def access_log_calls(access_log: Path, contains: str = "") -> list[tuple[str, str, str]]:
    """(method, path, status) of each request in a gunicorn access log."""
    calls = []
    for line in access_log.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and contains in parts[1]:
            calls.append((parts[0], parts[1], parts[2]))
    return calls
