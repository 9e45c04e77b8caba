"""Zoom's OpenAPI description (read from the shared checkout, never copied here) as validators.

The spec lives beside the repository at ``../shared/zoom/ZoomMeetingAPISpec.openapi.json``
(or wherever ``ZOOM_OPENAPI_SPEC`` points). Where it is absent, the contract tests skip,
except in CI (``CI=true``), where they fail: a green CI run means they ran.

Validation is stricter than the spec on one point: objects may not carry
properties the spec does not declare. Zoom's schemas allow anything extra, which
would let our request bodies and the stand-in's answers drift unnoticed.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker

REPO_ROOT = Path(__file__).resolve().parents[2]


def spec_path() -> Path:
    override = os.environ.get("ZOOM_OPENAPI_SPEC")
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared" / "zoom" / "ZoomMeetingAPISpec.openapi.json"


def spec_missing_reason() -> str:
    return (
        f"Zoom's OpenAPI spec not found at {spec_path()} "
        "(set ZOOM_OPENAPI_SPEC to its path to run the contract tests)"
    )


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require_spec() -> None:
    """Skip the calling test when the spec is absent; fail it instead in CI."""
    if spec_path().exists():
        return
    if in_ci():
        pytest.fail(f"{spec_missing_reason()}; CI=true, so the contract tests must run")
    pytest.skip(spec_missing_reason())


@functools.cache
def load_spec() -> dict:
    return json.loads(spec_path().read_text())


def _template_regex(template: str) -> re.Pattern:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return re.compile(f"^{pattern}$")


def template_for(path: str) -> str:
    """The spec's path template for a concrete path below ``/v2``."""
    matches = [t for t in load_spec()["paths"] if _template_regex(t).match(path)]
    if not matches:
        raise AssertionError(f"{path} is not in Zoom's API description")
    # Prefer literal segments over parameters (".../registrants/status" over ".../{id}").
    return min(matches, key=lambda t: t.count("{"))


def operation(method: str, path: str) -> dict:
    ops = load_spec()["paths"][template_for(path)]
    try:
        return ops[method.lower()]
    except KeyError:
        raise AssertionError(f"Zoom has no {method} {template_for(path)}") from None


def request_schema(method: str, path: str) -> dict:
    return operation(method, path)["requestBody"]["content"]["application/json"]["schema"]


def response_schema(method: str, path: str, status: int) -> dict | None:
    """The JSON schema of the answer with ``status``, or ``None`` for a documented empty one."""
    responses = operation(method, path)["responses"]
    if str(status) not in responses:
        raise AssertionError(
            f"Zoom does not document HTTP {status} for {method} {template_for(path)}"
        )
    content = responses[str(status)].get("content")
    if not content:
        return None
    return content["application/json"]["schema"]


def parameter_schema(method: str, path: str, name: str) -> dict:
    for parameter in operation(method, path).get("parameters", []):
        if parameter.get("name") == name:
            return parameter["schema"]
    raise AssertionError(f"Zoom documents no parameter {name!r} for {method} {path}")


def strict(schema: dict) -> dict:
    """A copy where objects allow only declared properties, and OpenAPI 3.0's
    ``nullable`` becomes JSON Schema."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        if "allOf" in node:
            for part in node.pop("allOf"):
                walk(part)
                node.setdefault("properties", {}).update(part.get("properties", {}))
                node["required"] = sorted(
                    set(node.get("required", [])) | set(part.get("required", []))
                )
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for key in ("properties",):
            for child in node.get(key, {}).values():
                walk(child)
        for key in ("items", "oneOf", "anyOf", "additionalProperties", "not"):
            if key in node:
                walk(node[key])

    walk(schema)
    return schema


_formats = FormatChecker()


@_formats.checks("email")
def _email(value) -> bool:
    # Zoom documents empty addresses for people outside the host's account.
    return not isinstance(value, str) or value == "" or "@" in value


@_formats.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    if isinstance(value, str):
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def validate(instance, schema: dict, what: str = "") -> None:
    errors = sorted(
        Draft4Validator(strict(schema), format_checker=_formats).iter_errors(instance),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]
        raise AssertionError(f"{what} does not match Zoom's API description:\n" + "\n".join(lines))
