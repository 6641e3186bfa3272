"""Issue 14, levels above the township: every county-level record belongs to a county (survey rounds and targets).
Existing rows get the county of their township, or else the only county of the database (a
one-county portal); unique names and numbers become unique per county."""
import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_county(apps, schema_editor):
    County = apps.get_model("villages", "County")
    Township = apps.get_model("villages", "Township")
    only = list(County.objects.values_list("pk", flat=True)[:2])
    for name, via in [('SurveyRound', None), ('Target', 'township')]:
        model = apps.get_model("villages", name)
        if via:
            model.objects.filter(county__isnull=True, **{f"{via}__isnull": False}).update(
                county_id=Subquery(Township.objects.filter(pk=OuterRef(f"{via}_id")).values("county_id")[:1])
            )
        if len(only) == 1:
            model.objects.filter(county__isnull=True).update(county_id=only[0])
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events before the ALTERs


def county(null):
    return models.ForeignKey(
        null=null, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="villages.county", verbose_name="county"
    )


class Migration(migrations.Migration):

    dependencies = [('villages', '0003_city')]

    operations = [
        migrations.RemoveConstraint(model_name="surveyround", name="surveyround_unique"),
        migrations.RemoveConstraint(model_name="target", name="target_unique_county"),
        migrations.AddField(model_name="surveyround", name="county", field=county(True)),
        migrations.AddField(model_name="target", name="county", field=county(True)),
        migrations.RunPython(fill_county, migrations.RunPython.noop),
        migrations.AlterField(model_name="surveyround", name="county", field=county(False)),
        migrations.AlterField(model_name="target", name="county", field=county(False)),
        migrations.AddConstraint(model_name="surveyround", constraint=models.UniqueConstraint(fields=('county', 'year', 'quarter'), name="surveyround_unique")),
        migrations.AddConstraint(
            model_name="target",
            constraint=models.UniqueConstraint(
                condition=models.Q(("township__isnull", True), ("village__isnull", True)), fields=("county", "year", "indicator"),
                name="target_unique_county", violation_error_message="The county already has a target for this indicator and year.",
            ),
        ),
    ]
