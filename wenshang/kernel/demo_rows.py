"""How an app gives its rows to the demo county (``python manage.py load_demo``): the declaration
vocabulary of ``wenshang.demo.build``.

Each app may have ``<app>/demo.py`` with a module-level function ``rows(county)`` (found by the
builder the way the admin finds ``admin.py``); the builder calls it after its own topics (before the
demo users), app by app in the order of ``INSTALLED_APPS``. An app without ``demo.py`` is skipped.
``county`` (a ``DemoCounty``) offers:

* ``county.save(model, objs)``: insert in bulk, log every row in the change log, count; returns ``objs``;
* ``county.county``, ``county.townships``, ``county.villages``, ``county.rural``: the geography, saved;
* ``county.extra_random(name)``: ``stream(county.seed, name)``, a random stream of the app's own,
  never one of the build's, so the rest of the county and its 50 figures stay the same;
* ``county.ti(key)`` / ``county.t(key)``: an article figure (int / Decimal), for rows it counts.

This module imports no app and nothing of the builder: apps import it freely.
"""
import random

MODULE = "demo"  # <app>/demo.py
FUNCTION = "rows"  # def rows(county)


def stream(seed, name):
    """The random stream ``name`` (e.g. ``"alliances.task_force"``) of the demo built from ``seed``:
    the same on every build, independent of the build's streams and of any other name's."""
    return random.Random(f"{seed}:{name}")
