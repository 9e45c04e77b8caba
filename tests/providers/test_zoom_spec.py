"""Where Zoom's OpenAPI spec is missing, the contract tests skip, except in CI."""

from __future__ import annotations

import pytest

from tests.providers import zoom_spec


@pytest.fixture
def no_spec(monkeypatch, tmp_path):
    monkeypatch.setenv("ZOOM_OPENAPI_SPEC", str(tmp_path / "missing.json"))


def test_missing_spec_fails_in_ci(no_spec, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="contract tests must run"):
        zoom_spec.require_spec()


def test_missing_spec_skips_elsewhere(no_spec, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        zoom_spec.require_spec()


def test_present_spec_runs(monkeypatch, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text("{}")
    monkeypatch.setenv("ZOOM_OPENAPI_SPEC", str(spec))
    monkeypatch.setenv("CI", "true")
    zoom_spec.require_spec()
