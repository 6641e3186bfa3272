"""Issue 14, levels above the township: the change log, the survey reports and the search index
know the county of their record (a county's users read theirs only). Existing rows get the county
of their township, or else the only county of the database (a one-county portal); the county's
reports are renamed ``county:<code>``."""
import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_county(apps, schema_editor):
    County = apps.get_model("villages", "County")
    Township = apps.get_model("villages", "Township")
    only = list(County.objects.values_list("pk", flat=True)[:2])
    for name in ("ObjectChange", "Report", "SearchEntry"):
        model = apps.get_model("wenshang", name)
        model.objects.filter(county__isnull=True, township__isnull=False).update(
            county_id=Subquery(Township.objects.filter(pk=OuterRef("township_id")).values("county_id")[:1])
        )
        if len(only) == 1:
            model.objects.filter(county__isnull=True).update(county_id=only[0])
    if len(only) == 1:  # the county's reports are named by its code, as every county's now (county:<code>)
        code = County.objects.get(pk=only[0]).code
        apps.get_model("wenshang", "Report").objects.filter(subject="county").update(subject=f"county:{code}")


class Migration(migrations.Migration):

    dependencies = [
        ("villages", "0004_county_catalogues"),
        ("wenshang", "0007_user_county_city"),
    ]

    operations = [
        migrations.AddField(
            model_name="objectchange",
            name="county",
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="villages.county", verbose_name="county"),
        ),
        migrations.AddField(
            model_name="report",
            name="county",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="villages.county", verbose_name="county"),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="county",
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="villages.county"),
        ),
        migrations.RunPython(fill_county, migrations.RunPython.noop),
    ]
