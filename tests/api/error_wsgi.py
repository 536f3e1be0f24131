"""Slid's WSGI application serving tests.api.error_routes (Slid's routes and views that fail), for the
error tests that go through a real gunicorn."""

from django.conf import settings

from config.wsgi import application  # noqa: F401 - what gunicorn serves

settings.ROOT_URLCONF = "tests.api.error_routes"
