"""The ``zoom`` fixture (Zoom over ``responses``) comes from tests/conftest.py."""
