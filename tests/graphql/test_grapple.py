"""With wagtail-grapple installed, our fields join grapple's schema unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("grapple", reason="wagtail-grapple is in the testing extra")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, django
django.setup()
from graphql import print_type
from grapple.schema import schema
from wagtail_webinars.graphql.schema import schema as ours
types = {}
for name in ("Event", "Registrant", "Register", "Headcount", "CheckIn"):
    types[name] = [print_type(s.graphql_schema.get_type(name)) for s in (schema, ours)]
query = schema.graphql_schema.query_type.fields
mutation = schema.graphql_schema.mutation_type.fields
print(json.dumps({"types": types, "query": sorted(query), "mutation": sorted(mutation)}))
"""


def test_our_fields_register_into_grapples_schema():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.graphql.grapple_settings"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert {
        "events",
        "event",
        "registrants",
        "eventHeadcount",
        "unmatchedParticipants",
        "pages",
    } <= set(found["query"])
    assert {"register", "cancelRegistration", "checkIn", "linkParticipant"} <= set(
        found["mutation"]
    )
    for name, (in_grapple, in_ours) in found["types"].items():
        assert in_grapple == in_ours, name
