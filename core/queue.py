"""Asking the worker to run a task, from a service, without importing the task.

Tasks import services (a task loads rows and calls a service); services never import tasks. A service
that needs work done in the background names the task, and it is enqueued once the transaction commits,
so the worker never looks for rows that are not there yet (or that a rollback took away).
"""

from typing import Any

from celery import current_app
from django.db import transaction


def enqueue(task_name: str, *args: Any) -> None:
    """Send the task called ``task_name`` now (honours CELERY_TASK_ALWAYS_EAGER, as ``.delay`` does)."""
    current_app.tasks[task_name].delay(*args)


def enqueue_on_commit(task_name: str, *args: Any) -> None:
    """Send the task called ``task_name`` with ``args`` once the current transaction commits (at once when
    there is none)."""
    transaction.on_commit(lambda: enqueue(task_name, *args))
