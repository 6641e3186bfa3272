"""What the features tell whoever listens (the webhooks, ``wenshang.api.webhooks``) of work that
finished, without knowing them: ``happened.send(sender, event=…, county_id=…, township_id=…, data={…})``,
sent after the work committed. Events: ``import.finished``, ``report.ready``, ``quarter.submitted``,
``quarter.returned``, ``quarter.approved``. ``data`` is what a subscriber may read (no personal data)."""
from django.dispatch import Signal

happened = Signal()
