"""The pages of a site on a swapped base page model (tests/settings_swapped_page.py):
home and index pages, and an event page built from ``EventFieldsMixin`` and the
site's base page."""
