from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Transcript scoring")

    def ready(self):
        # The services queue chunks by task name (scoring.queue): register the tasks in
        # every process, the web and the commands included, not only in the workers.
        from scoring import tasks  # noqa: F401

        # The embedded broker keeps its queue in folders; web and worker both need them.
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            for key in ("data_folder_in", "data_folder_out", "control_folder"):
                folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(key)
                if folder:
                    Path(folder).mkdir(parents=True, exist_ok=True)
