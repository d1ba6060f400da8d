from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Joint projects and challenges")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # What chainmap's pages and round reports show of this app, without chainmap importing it.
        from chainmap.core import extensions
        from projects.challenges.selectors import challenges_on_bottleneck
        from projects.joint.selectors import projects_on_bottleneck, report_section_rows, report_status_labels

        extensions.register_bottleneck_count("projects", projects_on_bottleneck)
        extensions.register_bottleneck_count("challenges", challenges_on_bottleneck)
        extensions.register_report_section(
            extensions.JOINT_PROJECTS,
            extensions.ReportSection(rows=report_section_rows, status_labels=report_status_labels),
        )
