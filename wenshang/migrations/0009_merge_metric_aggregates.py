"""Issue 14: the metric aggregates (item 3) and the county of the change log, reports and search
index (item 1) were made side by side on 0007; nothing to do but join them."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("wenshang", "0008_county_of_changes_reports_search"),
        ("wenshang", "0008_metric_aggregates"),
    ]

    operations = []
