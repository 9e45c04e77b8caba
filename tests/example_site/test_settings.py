"""The example site is safe by default: its own secret key, private data files,
and production settings that pass ``manage.py check --deploy`` (issue 9 #13)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], var_dir: Path, **env) -> subprocess.CompletedProcess:
    environ = {
        key: value
        for key, value in os.environ.items()
        # The test run's own settings; DJANGO_ALLOW_ASYNC_UNSAFE is set for the
        # browser tests and is itself a deployment error (async.E001).
        if key
        not in {
            "DJANGO_SECRET_KEY",
            "DJANGO_SETTINGS_MODULE",
            "DATABASE_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    environ.update({"WEBINARS_VAR_DIR": str(var_dir), **env})
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def _settings_key(var_dir: Path, **env) -> str:
    answer = _run(
        ["-c", "from example_site import settings; print(settings.SECRET_KEY)"], var_dir, **env
    )
    assert answer.returncode == 0, answer.stderr
    return answer.stdout.strip()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_run_makes_a_private_random_key_and_keeps_it(tmp_path):
    first = _settings_key(tmp_path / "a")
    assert len(first) >= 50 and "demo" not in first and not first.startswith("django-insecure")
    assert _settings_key(tmp_path / "a") == first  # kept: outstanding links stay valid
    assert _settings_key(tmp_path / "b") != first  # every data folder its own
    key_file = tmp_path / "a" / "secret_key"
    assert key_file.read_text().strip() == first
    assert _mode(key_file) == 0o600


def test_environment_key_wins(tmp_path):
    assert _settings_key(tmp_path, DJANGO_SECRET_KEY="from-the-environment") == (
        "from-the-environment"
    )


def test_database_and_mail_folder_are_owner_only(tmp_path):
    _settings_key(tmp_path)
    assert _mode(tmp_path) == 0o700
    assert _mode(tmp_path / "demo.sqlite3") == 0o600
    assert _mode(tmp_path / "mail") == 0o700


def test_production_settings_pass_check_deploy(tmp_path):
    answer = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        DJANGO_SETTINGS_MODULE="example_site.settings_production",
        WAGTAILADMIN_BASE_URL="https://events.example.edu",
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "System check identified no issues" in answer.stdout


def test_a_shared_folder_is_left_as_it_is(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    _settings_key(shared)
    assert _mode(shared) == 0o1777
    assert _mode(shared / "secret_key") == 0o600
    assert _mode(shared / "mail") == 0o700
