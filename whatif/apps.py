from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WhatIfConfig(AppConfig):
    """What a draft directive would change, before it is published: the what-if runs
    over stored transcripts, and the publish page that shows their report."""

    name = "whatif"
    verbose_name = _("What-if before publishing")

    def ready(self):
        # The services queue chunks by task name: register the task in every process.
        from whatif import tasks  # noqa: F401
