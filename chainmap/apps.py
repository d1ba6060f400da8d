import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("chainmap")


class ChainmapConfig(AppConfig):
    name = "chainmap"
    verbose_name = _("Industrial chains")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chainmap import signals  # noqa: F401  (connects the diagram re-render hooks)
        from chainmap.services.diagrams import fonts

        warning = fonts.startup_warning()
        if warning:
            logger.warning(warning)
