from typing import Any

from django.core.management.base import BaseCommand

from chainmap.core.schedules import schedules_setup


class Command(BaseCommand):
    help = "Create the periodic jobs (django-celery-beat) that are missing; existing ones are left as edited."

    def handle(self, *args: Any, **options: Any) -> None:
        created = schedules_setup()
        self.stdout.write(f"periodic jobs created: {', '.join(created) or 'none (all present)'}")
