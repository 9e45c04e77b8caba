"""Testing a provider connection ("Test Zoom connection"): the one service the admin
screen calls, and what the system check reads.

The provider does the testing (:meth:`Provider.test_connection`); this keeps the last
result of each connection (time, missing permissions, the problem in words) so that
``manage.py check`` can say what was missing without calling the provider.
"""

from __future__ import annotations

from django.utils import timezone

from .providers import provider_classes
from .providers.base import ConnectionReport, Provider

#: Who may test connections: the users who may change the app's settings.
PERMISSION = "wagtail_webinars.change_emailbrandingsettings"


def may_test(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PERMISSION))


def connection_classes() -> dict[str, type[Provider]]:
    """One provider class per testable connection (meeting and webinar share Zoom's)."""
    found: dict[str, type[Provider]] = {}
    for provider_class in provider_classes().values():
        name = provider_class.connection_name
        if name and provider_class.connection_tester and name not in found:
            found[name] = provider_class
    return found


def run_test(name: str) -> ConnectionReport:
    """Test the connection now and keep what it found."""
    from .models import ConnectionTest

    report = connection_classes()[name].test_connection()
    ConnectionTest.objects.update_or_create(
        connection=name,
        defaults={
            "tested_at": timezone.now(),
            "connected": report.connected,
            "problem": report.problem,
            "missing": [{"label": f.label, "needs": list(f.needs)} for f in report.missing],
        },
    )
    return report


def last_test(name: str):
    from .models import ConnectionTest

    return ConnectionTest.objects.filter(connection=name).first()
