"""A stand-in for a host project's own app, installed only by the test settings.

It defines event pages the way a site would: one built from ``AbstractEventPage``
and one extending the app's ``EventPage``, so the tests can show that reminders
and the admin's resend work for any event page model, not just ours.
"""
