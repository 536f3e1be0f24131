"""Celery tasks: thin — load by id, call a service, own the retry policy."""
