"""Webhooks: what providers tell us as it happens, in our words.

* :mod:`.endpoint`: the URL providers post to (``webhooks/<name>/``): verifies the
  signature through the provider (:meth:`Provider.verify_webhook`), records the
  delivery once (its key makes a repeated delivery change nothing) and queues
  one task; it answers at once and never fails with a 500.
* :mod:`.handlers`: the task: what "a participant joined", "a registration was
  cancelled at the provider", "the meeting changed / was deleted / ended" mean
  for our events and registrations, through the services (check-in, registration,
  details refresh). Late and repeated deliveries change nothing.
* :mod:`.adoption`: someone who registered at the provider directly becomes a
  registration when staff adopt them.

Every Zoom detail (headers, signature, payload shapes) is in
:mod:`wagtail_webinars.providers.zoom.webhooks`.
"""
