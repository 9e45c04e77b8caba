"""The example site's production settings.

Use them with ``DJANGO_SETTINGS_MODULE=example_site.settings_production``.

Everything of :mod:`example_site.settings`, with DEBUG off, static files served
by WhiteNoise, HTTPS only and secure cookies. ``manage.py check --deploy`` gives
no warning under these settings (a test runs it). Set in the environment:

* ``DJANGO_ALLOWED_HOSTS``: the site's host names, comma-separated (default: the
  host of ``WAGTAILADMIN_BASE_URL``);
* ``WAGTAILADMIN_BASE_URL``: the site's https URL, used in emails;
* ``DJANGO_SECRET_KEY`` (else the key made on first run in the data folder);
* ``DATABASE_URL`` for PostgreSQL; ``EMAIL_BACKEND`` and Django's ``EMAIL_*`` for SMTP.

Run ``manage.py collectstatic`` on every deploy: WhiteNoise serves the hashed,
compressed copies it makes. See docs/deployment.md.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from .settings import *  # noqa: F403
from .settings import MIDDLEWARE, WAGTAILADMIN_BASE_URL

DEBUG = False

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get(
        "DJANGO_ALLOWED_HOSTS", urlsplit(WAGTAILADMIN_BASE_URL).hostname or ""
    ).split(",")
    if host.strip()
]

# SecurityMiddleware first (HTTPS redirect and security headers on every answer),
# WhiteNoise right after it, as WhiteNoise documents.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *(m for m in MIDDLEWARE if m != "django.middleware.security.SecurityMiddleware"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS only. Behind a proxy that terminates TLS, also set
# SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") (only if the proxy
# always sets that header itself).
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading asks browsers to ship "HTTPS only" for the domain: every subdomain
# must serve HTTPS before the domain is submitted to the preload list.
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
