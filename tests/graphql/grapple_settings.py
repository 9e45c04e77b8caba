"""Test settings with wagtail-grapple installed (used in a subprocess only: grapple
patches graphql-core's rules at import, which the rest of the suite must not see)."""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "grapple", "wagtail_headless_preview"]
GRAPPLE = {"APPS": ["home"], "ADD_SEARCH_HIT": False, "EXPOSE_GRAPHIQL": False}
