"""Issue 14, item 3: the figures kept pre-aggregated (``wenshang.web.aggregates``). A database that
already holds records has them filled after ``migrate`` (``aggregates.fill_after_migrate``, with the
models as they are then), or by ``manage.py metrics rebuild``."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("villages", "0001_initial"),
        ("wenshang", "0007_user_county_city"),
    ]

    operations = [
        migrations.CreateModel(
            name="MetricAggregate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("level", models.CharField(choices=[("v", "village"), ("t", "township"), ("c", "county")], max_length=1, verbose_name="level")),
                ("metric", models.CharField(max_length=64, verbose_name="metric")),
                ("year", models.SmallIntegerField(blank=True, null=True, verbose_name="year")),
                ("quarter", models.SmallIntegerField(blank=True, null=True, verbose_name="quarter")),
                ("member", models.CharField(blank=True, default="", max_length=64, verbose_name="member")),
                ("value", models.DecimalField(decimal_places=2, default=0, max_digits=24, verbose_name="value")),
                ("den", models.DecimalField(blank=True, decimal_places=2, max_digits=24, null=True, verbose_name="denominator")),
                ("county", models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="villages.county")),
                ("township", models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="villages.township")),
                ("village", models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="villages.village")),
            ],
            options={
                "verbose_name": "metric aggregate",
                "verbose_name_plural": "metric aggregates",
                "ordering": ["level", "metric", "county", "township", "village", "year", "quarter"],
                "indexes": [
                    models.Index(fields=["level", "metric", "village"], name="metricagg_village_idx"),
                    models.Index(fields=["level", "metric", "township", "year", "quarter"], name="metricagg_township_idx"),
                    models.Index(fields=["level", "metric", "county", "year", "quarter"], name="metricagg_county_idx"),
                ],
            },
        ),
    ]
