"""The base page model of a site that swapped Wagtail's (WAGTAIL_PAGE_MODEL), for
tests/settings_swapped_page.py. Alone in its app, as Wagtail recommends: the event
page models load it while they are being defined."""
