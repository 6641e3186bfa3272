"""The global search's results page (``/search/?q=…``); the search itself is ``wenshang.web.search``.

A module of its own: the page links each record through the portal (``wenshang.web.portal``), whose
forms use the search's matching (``wenshang.web.lookup``), so the engine cannot import the portal."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.http import urlencode

from wenshang.web.models import SearchEntry
from wenshang.web.portal import REGISTRY, detail_url
from wenshang.web.search import PER_KIND, search


@login_required
def search_view(request):
    """``/search/?q=…``: the matches grouped by kind, each linking to its record's page."""
    q = request.GET.get("q", "").strip()
    groups = search(request.user, q)
    Township = SearchEntry._meta.get_field("township").related_model
    townships = Township.objects.in_bulk({e.township_id for g in groups for e in g["entries"]} - {None}) if groups else {}
    for group in groups:
        model = group["model"]
        cfg = next((c for c in REGISTRY.values() if c.model is model), None)
        # The list's own search box reads names and codes, not pinyin.
        listable = cfg is not None and (not q.isascii() or q.isdigit())
        group["list_url"] = f"{cfg.list_url()}?{urlencode({'q': q})}" if listable else None
        group["rows"] = [
            (entry, detail_url(model(pk=entry.object_id)), townships.get(entry.township_id)) for entry in group["entries"]
        ]
    return render(request, "search/results.html", {
        "q": q,
        "groups": groups,
        "total": sum(len(g["entries"]) for g in groups),
        "per_kind": PER_KIND,
    })
