"""Settings for the test suite."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, VAR_DIR

DEBUG = False
SECRET_KEY = "test-only-key"
# The suite's assertions read the English texts; the i18n tests ask for Indonesian
# (the production default) explicitly, per request or with translation.override.
LANGUAGE_CODE = "en"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A file, not memory, so that a real worker process in the integration tests can
# open the same test database. One per test run, so parallel runs do not collide.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    # Likewise on a shared server: two checkouts testing at once get two test databases.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

MEDIA_ROOT = VAR_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run in the test process unless a test starts a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
AXES_ENABLED = True
TEMPLATES_DIR = BASE_DIR / "templates"
