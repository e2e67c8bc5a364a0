"""Django's makemessages that also reads the engine's ``N_`` marker (rules.messages):
the reasons of verdicts are English templates in the pure rules/ package."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
