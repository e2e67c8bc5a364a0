"""The embedded default: one machine, SQLite, the filesystem broker, DEBUG on."""

from .base import *  # noqa: F403
from .base import env_bool, env_str

DEBUG = env_bool("DJANGO_DEBUG", True)
# A development-only key; production.py has no default at all.
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
