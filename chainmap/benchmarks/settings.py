"""Settings of the gunicorn that ``chainmap.benchmarks.pages`` starts: ``config.settings`` (from the
environment the benchmark gives it: production, DEBUG off, the scratch database) plus the bare
baseline view. Used by the benchmark only, never by a deployment."""

from config.settings import *  # noqa: F403
from config.settings import CACHES, DATABASES, STORAGES

ROOT_URLCONF = "chainmap.benchmarks.bare_urls"

# Static files are not served in the benchmark: plain storage, so pages render without the
# manifest that collectstatic would write.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

# The scratch data must never meet results cached from another database on the same Redis.
CACHES = {
    alias: {**config, "KEY_PREFIX": f"benchmark:{DATABASES['default']['NAME']}"} for alias, config in CACHES.items()
}
