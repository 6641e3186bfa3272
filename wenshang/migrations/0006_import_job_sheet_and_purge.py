"""Import jobs record the sheet read and the header row, and when their file and problem list were
deleted after settings.IMPORT_RETENTION_DAYS. Problem lists stored before are masked here as new
ones are (wenshang.imports.mask_personal_text): no full ID or mobile number stays in them."""
import re

from django.db import migrations, models

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")


def masked(text):
    if not isinstance(text, str):
        return text
    text = ID_NUMBER.sub(lambda m: m[0][:6] + "*" * 8 + m[0][-4:], text)
    return MOBILE.sub(lambda m: m[0][:3] + "****" + m[0][-4:], text)


def mask_stored_problems(apps, schema_editor):
    ImportJob = apps.get_model("wenshang", "ImportJob")
    for job in ImportJob.objects.only("pk", "problems", "message").iterator():
        problems = [
            {**p, "message": masked(p.get("message")), "value": masked(p.get("value"))} if isinstance(p, dict) else p
            for p in job.problems or []
        ]
        message = masked(job.message)
        if problems != (job.problems or []) or message != job.message:
            ImportJob.objects.filter(pk=job.pk).update(problems=problems, message=message)


class Migration(migrations.Migration):

    dependencies = [
        ('wenshang', '0005_reports'),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='header_row',
            field=models.PositiveIntegerField(default=0, verbose_name='header row'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='purged_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='file deleted at'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='sheet',
            field=models.CharField(blank=True, max_length=255, verbose_name='sheet read'),
        ),
        migrations.RunPython(mask_stored_problems, migrations.RunPython.noop),
    ]
