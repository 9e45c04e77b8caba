"""The Wagtail admin of the plugin, one module per area:

- :mod:`.registrations`: the Registrations list, add, inspect, rename, delete;
- :mod:`.actions`: staff actions on one registration (row menu and its page);
- :mod:`.events`: views on one event (Zoom sync page, resend the reminder to all);
- :mod:`.submissions`: an event page's submissions in Wagtail's Forms area;
- :mod:`.exports`: what both exports share (safe cells, campus time, people's words);
- :mod:`.reports`: reports on events.

Wiring (viewsets, URLs, buttons, hooks) is in ``wagtail_hooks.py``; who may see or
change registrations is decided by :mod:`wagtail_webinars.permissions` only.
"""
