import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("chainmap")

# The areas whose ``tasks`` module Celery registers (config.celery).
TASK_AREAS = (
    "chainmap.diagrams",
    "chainmap.imports",
    "chainmap.leadership",
    "chainmap.matching",
    "chainmap.reports",
)


class ChainmapConfig(AppConfig):
    name = "chainmap"
    verbose_name = _("Industrial chains")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The signal receivers: the site's write version, and each chain's data version and diagrams.
        from chainmap.core import signals as core_signals  # noqa: F401
        from chainmap.diagrams.services import fonts
        from chainmap.maps import signals as maps_signals  # noqa: F401

        warning = fonts.startup_warning()
        if warning:
            logger.warning(warning)
