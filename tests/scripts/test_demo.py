"""``scripts/demo`` stops the web server and the worker on SIGTERM to its own PID
(issue 7 #19), as it does on Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            children = (task / "children").read_text().split() if task.exists() else []
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited


def _wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _serves(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/events-index/", timeout=2)
    except OSError:
        return False
    return True


def test_sigterm_to_the_script_stops_server_and_worker(tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DJANGO_SECRET_KEY"}
    }
    env.update({"PORT": str(port), "WEBINARS_VAR_DIR": str(tmp_path / "var")})
    demo = subprocess.Popen(
        [str(ROOT / "scripts" / "demo")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # our own group, to clean up should the test fail
    )
    children: set[int] = set()
    try:
        assert _wait_until(lambda: _serves(port), 240), "the demo never served its site"
        children = _descendants(demo.pid)
        commands = {Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children if _alive(pid)}
        assert any(b"runserver" in c for c in commands)
        assert any(b"qcluster" in c for c in commands)

        demo.send_signal(signal.SIGTERM)  # to the script's own PID, not its group
        demo.wait(timeout=60)
        assert _wait_until(lambda: not any(_alive(pid) for pid in children), 30)
        assert not _serves(port)
    finally:
        # Whatever the outcome, nothing of this demo outlives the test.
        if demo.poll() is None or any(_alive(pid) for pid in children):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(demo.pid, signal.SIGKILL)
        demo.wait(timeout=10)
