"""Write the printed schema to ``schema.graphql`` (or to the path given):

DJANGO_SETTINGS_MODULE=tests.settings python -m wagtail_webinars.graphql.print_schema
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    import django

    django.setup()
    from .schema import printed_schema

    target = Path(argv[1]) if len(argv) > 1 else Path("schema.graphql")
    target.write_text(printed_schema())
    print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv)
