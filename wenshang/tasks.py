"""Celery tasks of the shared kernel. Tasks take ids or codes, load what they need and call the
module that does the work (HackSoft style)."""
from celery import shared_task


@shared_task(name="wenshang.compute_figures")
def compute_figures(township_code=None):
    """The article's figures computed from the records, for the county or one township."""
    from villages.models import Township

    from . import figures

    township = Township.objects.get(code=township_code) if township_code else None
    return figures.compute(township=township)
