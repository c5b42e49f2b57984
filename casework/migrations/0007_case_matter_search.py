"""The words of each case's matter for the search box (casework/search.py), with a GIN index, and the
words of the cases registered before it."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import migrations

from casework.search import matter_search_vector

BATCH = 2000


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Case = apps.get_model("casework", "Case")
    last = 0
    while True:
        rows = list(
            Case.objects.filter(pk__gt=last, matter_search__isnull=True).order_by("pk").values_list("pk", "matter_name")[:BATCH]
        )
        if not rows:
            return
        for pk, matter in rows:
            Case.objects.filter(pk=pk).update(matter_search=matter_search_vector(matter))
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0006_text_max_lengths"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="matter_search",
            field=SearchVectorField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="case",
            index=GinIndex(fields=["matter_search"], name="case_matter_search"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
