"""Keep the dashboards fresh: any save or delete of a record of the three chains (and any change of
a many-to-many link between them) makes the cached dashboard data stale at once, and again when
the transaction commits (so that a page computed meanwhile from the old rows is not kept).

Bulk paths that write without signals (``wenshang.kernel.bulk``, imports, the demo) log their changes
in ``ObjectChange``, whose highest id is part of the cache key (``data._key``)."""
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from wenshang.dashboard import data

APPS = {"villages", "alliances", "grids", "finance", "talent"}


def _changed(sender, **kwargs):
    if getattr(sender, "_meta", None) is None or sender._meta.app_label not in APPS:
        return
    data.bump()
    transaction.on_commit(data.bump)


post_save.connect(_changed, dispatch_uid="dashboard-post-save")
post_delete.connect(_changed, dispatch_uid="dashboard-post-delete")
m2m_changed.connect(_changed, dispatch_uid="dashboard-m2m-changed")
