"""The worker keeps its database connection from one task to the next (CELERY_DB_REUSE_MAX), so
before each task it does what Django does before each request: a connection that failed or grew old
is closed, and the next query checks the connection first (CONN_HEALTH_CHECKS). A database restart
between two tasks therefore costs a reconnection, never a failed task."""

from celery.signals import task_prerun
from django.db import close_old_connections


@task_prerun.connect
def check_database_connection(**_) -> None:
    close_old_connections()
