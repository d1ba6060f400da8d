"""Page speed: the chain's data version (key of its cached counts and map data), the placement
review queue's partial index and, on PostgreSQL, a trigram index for enterprise name search."""

from django.db import migrations, models
from django.db.models import Q

TRIGRAM_INDEX = "chainmap_ent_name_trgm"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite (the embedded default) searches by scanning; its data is small
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # ``name__icontains`` compiles to UPPER(name) LIKE UPPER(%s): the index is on that expression.
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON chainmap_enterprise USING gin (UPPER(name) gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("chainmap", "0008_api_versions")]

    operations = [
        migrations.AddField(
            model_name="chain",
            name="data_version",
            field=models.PositiveBigIntegerField(default=1, editable=False, verbose_name="data version"),
        ),
        migrations.AddIndex(
            model_name="placement",
            index=models.Index(
                condition=Q(status="proposed"), fields=["created_at"], name="chainmap_placement_queue"
            ),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]
