"""Settings for the example site (the demo). Not part of the installed package."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WEBINARS_VAR_DIR", BASE_DIR / "var"))


def _private_dir(path: Path) -> Path:
    """A folder only its owner can read: it holds the database, mail and the key.

    A folder that exists already is tightened only when it is ours and not a
    shared one (sticky, like /tmp): WEBINARS_VAR_DIR may name any folder.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid == os.getuid() and not info.st_mode & stat.S_ISVTX:
        path.chmod(0o700)
    return path


def _private_file(path: Path) -> Path:
    """Create ``path`` (if missing) readable and writable by its owner only."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)
    return path


def _secret_key(path: Path) -> str:
    """DJANGO_SECRET_KEY, else a random key made on first run and kept in the data
    folder. Every cancel and join link is signed with it: there is no public
    fallback that would let anyone forge them."""
    if os.environ.get("DJANGO_SECRET_KEY"):
        return os.environ["DJANGO_SECRET_KEY"]
    from django.core.management.utils import get_random_secret_key

    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if key:
            return key
        # An empty file (a run stopped mid-write): make a new key.
        fd = os.open(path, os.O_TRUNC | os.O_WRONLY)
    with os.fdopen(fd, "w") as handle:
        key = get_random_secret_key()
        handle.write(key + "\n")
    return key


_private_dir(VAR_DIR)
SECRET_KEY = _secret_key(VAR_DIR / "secret_key")
# DEBUG is a local-demo convenience only; production settings turn it off
# (example_site/settings_production.py, docs/deployment.md).
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

INSTALLED_APPS = [
    "example_site.home",
    "example_site.zoom_standin",
    "wagtail_webinars",
    "wagtail.contrib.forms",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_q",
    "graphene_django",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
]

ROOT_URLCONF = "example_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "example_site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "example_site.wsgi.application"

# SQLite by default; DATABASE_URL (postgres://...) for anything bigger.
# transaction_mode IMMEDIATE: the web process and the django-q2 worker write at
# once; without it read-then-write transactions fail with "database is locked".
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'demo.sqlite3'}"),
        # Persistent connections: each queued task would otherwise make the next
        # query open a new connection (docs/deployment.md, "Production settings").
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    if not os.environ.get("DATABASE_URL"):
        # Registrants' names and emails live in it: owner only, from the start.
        _private_file(VAR_DIR / "demo.sqlite3")

# Shared by the web process and the worker (the Zoom access token lives here).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

WAGTAIL_SITE_NAME = "Example University Events"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# Mail the demo "sends" is written to files a person can open: var/mail/*.log
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(_private_dir(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = "events@example.edu"

# django-q2 with the ORM broker: no extra service for the demo.
Q_CLUSTER = {
    "name": "webinars-demo",
    "orm": "default",
    "workers": 2,
    "timeout": 60,
    "retry": 120,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 500,
}

WAGTAIL_WEBINARS: dict = {
    "TIME_ZONE": TIME_ZONE,
}

# Zoom: real credentials from the environment talk to Zoom; without them the
# demo uses the Zoom stand-in app served by this same site.
if not os.environ.get("ZOOM_CLIENT_SECRET"):
    _standin = os.environ.get("ZOOM_STANDIN_URL", WAGTAILADMIN_BASE_URL + "/zoom-standin")
    WAGTAIL_WEBINARS.update(
        {
            "ZOOM_ACCOUNT_ID": "demo-account",
            "ZOOM_CLIENT_ID": "demo-client",
            "ZOOM_CLIENT_SECRET": "demo-secret",
            "ZOOM_API_URL": _standin + "/v2",
            "ZOOM_OAUTH_URL": _standin + "/oauth/token",
            # The stand-in signs its webhooks with the secret token the site verifies
            # with, as a Zoom app and the site share one (docs/providers/zoom.md).
            "ZOOM_WEBHOOK_SECRET_TOKEN": os.environ.get(
                "ZOOM_WEBHOOK_SECRET_TOKEN", "demo-webhook-secret"
            ),
        }
    )
    # Where the stand-in sends them: this site's webhook endpoint.
    ZOOM_STANDIN_WEBHOOK_URL = os.environ.get(
        "ZOOM_STANDIN_WEBHOOK_URL", WAGTAILADMIN_BASE_URL + "/events/webhooks/zoom/"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"wagtail_webinars": {"handlers": ["console"], "level": "INFO"}},
}
