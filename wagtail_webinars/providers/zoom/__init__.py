"""Managed Zoom meetings and webinars.

* :mod:`.client`: the HTTP plumbing (Server-to-Server OAuth, one session, errors, paging);
* :mod:`.provider`: what the product asks of Zoom, with Zoom's quirks;
* :mod:`.meetings`: a meeting or webinar as Zoom describes it, and what to fix in Zoom;
* :mod:`.messages`: Zoom's error codes as sentences staff can act on;
* :mod:`.reports`: participant reports, every instance of a meeting (check-in).
* :mod:`.blocks`: what editors fill in for Zoom (managed or link only), Zoom's ID and
  join-link rules.

Nothing here imports the sync or the registration service: they use the provider.
"""
