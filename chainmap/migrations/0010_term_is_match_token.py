"""``Term`` is renamed ``MatchToken`` (a matching token, not a leadership term). Only the model's
state changes: the table keeps its name (``chainmap_term``) and no row or column moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("chainmap", "0009_page_speed"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameModel(old_name="Term", new_name="MatchToken"),
                migrations.AlterModelTable(name="matchtoken", table="chainmap_term"),
                migrations.AlterModelOptions(
                    name="matchtoken",
                    options={"verbose_name": "matching token", "verbose_name_plural": "matching tokens"},
                ),
            ],
            database_operations=[],
        ),
    ]
