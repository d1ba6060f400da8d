from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Joint projects and challenges")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # What chainmap's bottleneck page shows of this app, without chainmap importing it.
        from chainmap.core import extensions
        from chainmap.reports import sections
        from projects.challenges.selectors import challenges_on_bottleneck
        from projects.joint.selectors import projects_on_bottleneck, report_section_rows, report_status_labels

        extensions.register_bottleneck_count("projects", projects_on_bottleneck)
        extensions.register_bottleneck_count("challenges", challenges_on_bottleneck)
        # The round report's joint-projects section, without chainmap.reports importing this app.
        sections.register_report_section(
            sections.JOINT_PROJECTS,
            sections.ReportSection(rows=report_section_rows, status_labels=report_status_labels),
        )
