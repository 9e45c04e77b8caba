"""Django system checks: configuration problems named by setting, never by value."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string

from .conf import ZOOM_CREDENTIAL_SETTINGS, campus_time_zone_name, get_setting


@register()
def check_time_zone(app_configs=None, **kwargs):
    import zoneinfo

    name = campus_time_zone_name()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [
            Error(
                f"The campus time zone {name!r} is not a known time zone.",
                hint="Set WAGTAIL_WEBINARS['TIME_ZONE'] (or TIME_ZONE) to a zone like "
                "'America/New_York'.",
                id="wagtail_webinars.E001",
            )
        ]
    if not settings.USE_TZ:
        return [
            Error(
                "wagtail-webinars needs USE_TZ = True.",
                id="wagtail_webinars.E002",
            )
        ]
    return []


@register()
def check_zoom_credentials(app_configs=None, **kwargs):
    """Missing credentials are a warning (link-only providers still work); partial ones an error."""
    missing = [name for name in ZOOM_CREDENTIAL_SETTINGS if not get_setting(name)]
    if len(missing) == len(ZOOM_CREDENTIAL_SETTINGS):
        return [
            Warning(
                "Zoom credentials are not configured: managed Zoom events cannot sync.",
                hint="Set WAGTAIL_WEBINARS['ZOOM_ACCOUNT_ID'], ['ZOOM_CLIENT_ID'] and "
                "['ZOOM_CLIENT_SECRET'] (or the environment variables of the same names).",
                id="wagtail_webinars.W001",
            )
        ]
    if missing:
        return [
            Error(
                "Zoom credentials are incomplete; missing: " + ", ".join(missing) + ".",
                hint="Set every one of " + ", ".join(ZOOM_CREDENTIAL_SETTINGS) + ".",
                id="wagtail_webinars.E003",
            )
        ]
    return []


@register()
def check_reminder_claim_timeout(app_configs=None, **kwargs):
    """A reminder claim must outlive the task holding it: django-q2 kills a task
    after Q_CLUSTER["timeout"], and a claim taken over while its sweep still runs
    sends that batch twice."""
    task_timeout = (getattr(settings, "Q_CLUSTER", None) or {}).get("timeout")
    claim_timeout = get_setting("REMINDER_CLAIM_TIMEOUT_SECONDS")
    if not task_timeout or claim_timeout > task_timeout:
        return []
    return [
        Warning(
            f"WAGTAIL_WEBINARS['REMINDER_CLAIM_TIMEOUT_SECONDS'] ({claim_timeout} s) is not "
            f"longer than Q_CLUSTER['timeout'] ({task_timeout} s): a reminder sweep that is "
            "still sending can have its batch taken over by the next sweep and sent twice.",
            hint="Set REMINDER_CLAIM_TIMEOUT_SECONDS above the task timeout "
            "(the default, 300, suits the recommended timeout of 60).",
            id="wagtail_webinars.W002",
        )
    ]


#: Cache backends that live inside one process (or keep nothing at all).
PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register()
def check_shared_cache(app_configs=None, **kwargs):
    """With Zoom credentials, the access token, the token lock and the per-registration
    sync lock live in the default cache, which web and worker processes must share."""
    if not all(get_setting(name) for name in ZOOM_CREDENTIAL_SETTINGS):
        return []
    backend = (settings.CACHES.get("default") or {}).get("BACKEND", "")
    try:
        backend_class = import_string(backend)
    except ImportError:
        return []  # Django reports a cache it cannot load as soon as it is used.
    per_process = tuple(import_string(path) for path in PER_PROCESS_CACHES)
    if not (isinstance(backend_class, type) and issubclass(backend_class, per_process)):
        return []
    return [
        Warning(
            f"The default cache (CACHES['default'], {backend_class.__name__}) is not shared "
            "between processes: every worker and web process fetches its own Zoom access "
            "token, and the lock that stops two workers pushing the same registrant to "
            "Zoom does not reach across processes.",
            hint="Use Redis, Memcached or the database cache for CACHES['default'] "
            "(see docs/deployment.md, 'The cache must be shared').",
            id="wagtail_webinars.W003",
        )
    ]


@register()
def check_providers(app_configs=None, **kwargs):
    """Every provider named in WAGTAIL_WEBINARS["PROVIDERS"] loads and brings its block."""
    from .blocks import LocationBlock
    from .providers import get_provider_class, provider_paths
    from .providers.errors import ProviderConfigurationError

    errors = []
    for kind in provider_paths():
        try:
            provider_class = get_provider_class(kind)
        except ProviderConfigurationError as err:
            errors.append(Error(str(err), id="wagtail_webinars.E010"))
            continue
        block_class = provider_class.block_class
        if not (isinstance(block_class, type) and issubclass(block_class, LocationBlock)):
            errors.append(
                Error(
                    f"The provider for location block {kind!r} ({provider_class.__name__}) "
                    "declares no block_class, or one that is not a LocationBlock.",
                    hint="Set block_class to a wagtail_webinars.blocks.LocationBlock subclass "
                    "(see docs/adding-a-provider.md).",
                    id="wagtail_webinars.E011",
                )
            )
        if provider_class.kind != kind:
            errors.append(
                Warning(
                    f"The provider for location block {kind!r} ({provider_class.__name__}) "
                    f"says its kind is {provider_class.kind!r}.",
                    hint="Register it under its kind, or set kind to the block name.",
                    id="wagtail_webinars.W010",
                )
            )
    return errors


def event_page_models():
    from .models import event_page_models

    return event_page_models()


@register()
def check_registration_questions(app_configs=None, **kwargs):
    """Every event page model has the editor's extra questions as ``form_fields``
    (the registration form, the exports and GraphQL read them there)."""
    from modelcluster.models import get_all_child_relations

    errors = []
    for model in event_page_models():
        names = {relation.get_accessor_name() for relation in get_all_child_relations(model)}
        if "form_fields" not in names:
            label = model._meta.label
            errors.append(
                Error(
                    f"The event page model {label} has no registration questions model "
                    "(a child relation named form_fields).",
                    hint="Add one: class ...FormField(AbstractRegistrationFormField): page = "
                    f'ParentalKey("{label}", on_delete=models.CASCADE, '
                    'related_name="form_fields") (wagtail_webinars.models).',
                    id="wagtail_webinars.E020",
                )
            )
    return errors


@register()
def check_last_connection_tests(app_configs=None, databases=None, **kwargs):
    """Missing permissions the last "Test ... connection" found (read from the database,
    so only when the check is given one: ``migrate``, ``check --database default``)."""
    if not databases:
        return []
    from django.db import DatabaseError

    from .models import ConnectionTest

    try:
        rows = list(ConnectionTest.objects.exclude(missing=[]))
    except DatabaseError:  # not migrated yet
        return []
    return [
        Warning(
            f"At the last {row.connection} connection test ({row.tested_at:%Y-%m-%d %H:%M} "
            "UTC), these features lacked a permission: "
            + "; ".join(
                f"{item['label']} (needs {' or '.join(item['needs'])})" for item in row.missing
            )
            + ".",
            hint="Add the scopes to the app, then test the connection again in the admin "
            "(Settings).",
            id="wagtail_webinars.W030",
        )
        for row in rows
    ]
