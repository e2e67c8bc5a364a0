"""Health endpoints for load balancers and process supervisors."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def live(request):
    """The process answers: nothing else is checked."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means unhealthy
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_broker() -> str | None:
    from config.celery import app

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        from pathlib import Path

        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        missing = [key for key in ("data_folder_in", "data_folder_out") if not Path(options[key]).is_dir()]
        if missing:
            return f"the broker folder {options[missing[0]]} does not exist"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # any transport error means unhealthy
        return f"{type(exc).__name__}: {exc}"
    return None


def health(request):
    """Database and broker both reachable: 200; otherwise 503 naming what failed."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    ok = all(v is None for v in checks.values())
    body = {
        "status": "ok" if ok else "error",
        "checks": {k: ("ok" if v is None else v) for k, v in checks.items()},
        "broker": settings.CELERY_BROKER_URL.split("://", 1)[0],
    }
    return JsonResponse(body, status=200 if ok else 503)
