"""Issue 14, levels above the township: every county-level record belongs to a county (the banks' agriculture-loan reports).
Existing rows get the county of their township, or else the only county of the database (a
one-county portal); unique names and numbers become unique per county."""
import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_county(apps, schema_editor):
    County = apps.get_model("villages", "County")
    Township = apps.get_model("villages", "Township")
    only = list(County.objects.values_list("pk", flat=True)[:2])
    for name, via in [('AgriLoanReport', None)]:
        model = apps.get_model("finance", name)
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

    dependencies = [('finance', '0002_initial'), ('villages', '0004_county_catalogues')]

    operations = [
        migrations.RemoveConstraint(model_name="agriloanreport", name="agriloanreport_unique"),
        migrations.AddField(model_name="agriloanreport", name="county", field=county(True)),
        migrations.RunPython(fill_county, migrations.RunPython.noop),
        migrations.AlterField(model_name="agriloanreport", name="county", field=county(False)),
        migrations.AddConstraint(model_name="agriloanreport", constraint=models.UniqueConstraint(fields=('county', 'bank', 'year', 'quarter'), name="agriloanreport_unique")),
    ]
