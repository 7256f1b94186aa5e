"""The Celery app: a worker runs tasks, beat runs the periodic ones in settings.CELERY_BEAT_SCHEDULE."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bettertogether.settings")

app = Celery("bettertogether")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
