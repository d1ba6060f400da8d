"""On PostgreSQL, terms of one chain may never overlap: an exclusion constraint over their date ranges.

SQLite has no exclusion constraints; there the leadership services check the same rule.
"""

from django.db import migrations

CONSTRAINT = "chainmap_term_no_overlap"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE chainmap_leadershipterm ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (chain_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE chainmap_leadershipterm DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("chainmap", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
