from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainmapConfig(AppConfig):
    name = "chainmap"
    verbose_name = _("Industrial chains")
    default_auto_field = "django.db.models.BigAutoField"
