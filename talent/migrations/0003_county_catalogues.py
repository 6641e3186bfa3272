"""Issue 14, levels above the township: every county-level record belongs to a county (recruiting stations, party schools, trainings, first-secretary batches and alliances).
Existing rows get the county of their township, or else the only county of the database (a
one-county portal); unique names and numbers become unique per county."""
import django.core.validators
import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_county(apps, schema_editor):
    County = apps.get_model("villages", "County")
    Township = apps.get_model("villages", "Township")
    only = list(County.objects.values_list("pk", flat=True)[:2])
    for name, via in [('RecruitingStation', None), ('PartySchool', 'township'), ('Training', 'township'), ('FirstSecretaryBatch', None), ('FirstSecretaryAlliance', None)]:
        model = apps.get_model("talent", name)
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

    dependencies = [('talent', '0002_initial'), ('villages', '0004_county_catalogues')]

    operations = [
        migrations.AlterField(model_name="recruitingstation", name="name", field=models.CharField(max_length=100, verbose_name="name")),
        migrations.AlterField(model_name="partyschool", name="name", field=models.CharField(max_length=100, verbose_name="name")),
        migrations.AlterField(model_name="firstsecretaryalliance", name="name", field=models.CharField(max_length=100, verbose_name="name")),
        migrations.AlterField(model_name="firstsecretarybatch", name="year", field=models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(2000), django.core.validators.MaxValueValidator(2100)], verbose_name="year")),
        migrations.AddField(model_name="recruitingstation", name="county", field=county(True)),
        migrations.AddField(model_name="partyschool", name="county", field=county(True)),
        migrations.AddField(model_name="training", name="county", field=county(True)),
        migrations.AddField(model_name="firstsecretarybatch", name="county", field=county(True)),
        migrations.AddField(model_name="firstsecretaryalliance", name="county", field=county(True)),
        migrations.RunPython(fill_county, migrations.RunPython.noop),
        migrations.AlterField(model_name="recruitingstation", name="county", field=county(False)),
        migrations.AlterField(model_name="partyschool", name="county", field=county(False)),
        migrations.AlterField(model_name="training", name="county", field=county(False)),
        migrations.AlterField(model_name="firstsecretarybatch", name="county", field=county(False)),
        migrations.AlterField(model_name="firstsecretaryalliance", name="county", field=county(False)),
        migrations.AddConstraint(model_name="recruitingstation", constraint=models.UniqueConstraint(fields=('county', 'name'), name="recruitingstation_unique_name")),
        migrations.AddConstraint(model_name="partyschool", constraint=models.UniqueConstraint(fields=('county', 'name'), name="partyschool_unique_name")),
        migrations.AddConstraint(model_name="firstsecretarybatch", constraint=models.UniqueConstraint(fields=('county', 'year'), name="firstsecretarybatch_unique_year")),
        migrations.AddConstraint(model_name="firstsecretaryalliance", constraint=models.UniqueConstraint(fields=('county', 'name'), name="fsalliance_unique_name")),
    ]
