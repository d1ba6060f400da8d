"""After any committed write or finished job: move the site's write version (``chainmap.core.cache``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from celery.signals import task_postrun
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from chainmap.core import cache as summaries

if TYPE_CHECKING:
    from django.db.models import Model


@receiver(post_save, dispatch_uid="chainmap_summary_site_post_save")
@receiver(post_delete, dispatch_uid="chainmap_summary_site_post_delete")
@receiver(m2m_changed, dispatch_uid="chainmap_summary_site_m2m")
def site_data_changed(sender: type[Model], raw: bool = False, **kwargs: Any) -> None:
    """Any row of the product (and its users and groups): the site's write version."""
    if not raw and sender._meta.app_label in summaries.SITE_APPS:
        summaries.bump_table(summaries.SITE)


@task_postrun.connect(dispatch_uid="chainmap_summary_site_after_job")
def job_finished(**kwargs: Any) -> None:
    """A job may write with ``update()``, which fires no signal: the site's write version moves after
    each job, wherever it ran (a worker, the background thread, the caller)."""
    summaries.bump_site_now()
