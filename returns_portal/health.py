"""`/healthz`: is the database reachable, and the broker (and the object store, if there is one)? JSON for
load balancers and people."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from returns_portal.storage import object_store_status


def database_status() -> str:
    """ok, or error and the driver's exception; a kept-alive connection that a restart broke is replaced first."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "down"; say which
        return f"error: {exc.__class__.__name__}"
    return "ok"


def broker_status() -> str:
    if not settings.REDIS_URL:
        return "eager"  # embedded mode: tasks run in the web process, there is no broker to ask
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every service answers; otherwise 503, and `failing` names those that do not (the broker
    is the Redis that also holds the cache), so a load balancer and the person paged read the same thing."""
    checks = {"database": database_status(), "broker": broker_status()}
    if (store := object_store_status()) is not None:  # only where photos are kept in an object store
        checks["object_store"] = store
    failing = [name for name, value in checks.items() if value.startswith("error")]
    if not failing:
        return JsonResponse({"status": "ok", **checks})
    return JsonResponse({"status": "error", **checks, "failing": failing}, status=503)
