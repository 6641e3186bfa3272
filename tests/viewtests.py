"""One set of reusable view tests for every entity's pages (as NetBox's ViewTestCases).

Subclass ``ModelViewTests`` in a test module, name the ``config`` (the ``ModelViews`` subclass) and
say how to make a record in a township and what a valid form looks like:

    class TestVillageViews(ModelViewTests):
        config = VillageViews
        editor = "staff_a"        # a user fixture who may change the records of township A

        def make(self, township, n=0): ...       # a saved record that belongs to ``township``
        def form_data(self, township): ...       # POST data creating a valid record in ``township``
        changes = {"name": "改名村"}              # fields to change in the edit test

Each subclass then runs: anonymous users are sent to the login page; a user without the right
reads but gets 403 on every write and nothing changes; the permitted user lists, reads, adds,
edits and deletes; a township user of another township gets 404 on the record's pages and posts,
and nothing changes; the list page runs a fixed number of SQL queries whatever the number of rows.

The same class walks the entity's REST endpoint (``/api/v1/<app>/<plural>/``, ``test_api_*``): a
token of another township sees nothing of township A and changes nothing; a read-only token reads
but never writes; the permitted user (by session) reads a record, changes it, deletes it and
creates it again from its own JSON; a list page costs at most 4 SQL queries whatever its size.
"""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from wenshang.kernel.scope import county_id_of


@pytest.mark.django_db
class ModelViewTests:
    config = None
    editor = "staff_a"       # may change records of township A
    reader = "official"      # reads everything, changes nothing
    outsider = "staff_b"     # township staff of township B
    changes = {}
    api_recreate = True      # the API test re-creates a deleted record from its JSON

    def make(self, township, n=0):
        raise NotImplementedError

    def form_data(self, township):
        raise NotImplementedError

    # -- helpers ------------------------------------------------------------------------------
    def url(self, action, obj=None):
        return reverse(self.config.url_name(action), args=[obj.pk] if obj is not None else [])

    def login(self, client, users, name):
        client.force_login(users[name])
        return client

    def post_data(self, obj):
        """The edit form's current values (as the browser would send them) with ``changes`` applied."""
        form = self.config.get_form_class()(instance=obj, user=None)
        data = {}
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value is None:
                continue
            if hasattr(value, "pk"):
                value = value.pk
            if isinstance(value, (list, tuple)):
                data[name] = [getattr(v, "pk", v) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[name] = "on"
            else:
                data[name] = value.isoformat() if hasattr(value, "isoformat") else value
        data.pop("form_token", None)
        data.update(self.changes)
        return data

    def snapshot(self, obj):
        return type(obj)._base_manager.filter(pk=obj.pk).values().first()

    # -- the tests ----------------------------------------------------------------------------
    def test_anonymous_is_sent_to_login(self, client, township_a):
        obj = self.make(township_a)
        for url in (self.url("list"), self.url("add"), self.url("detail", obj), self.url("edit", obj)):
            response = client.get(url)
            assert response.status_code == 302 and reverse("login") in response["Location"], url

    def test_reader_reads_but_cannot_write(self, client, users, township_a):
        obj = self.make(township_a)
        before = self.snapshot(obj)
        count = self.config.model.objects.count()
        self.login(client, users, self.reader)
        assert client.get(self.url("list")).status_code == 200
        assert client.get(self.url("detail", obj)).status_code == 200
        for url in (self.url("add"), self.url("edit", obj), self.url("delete", obj)):
            assert client.get(url).status_code == 403, url
        assert client.post(self.url("add"), self.form_data(township_a)).status_code == 403
        assert client.post(self.url("edit", obj), self.post_data(obj)).status_code == 403
        assert client.post(self.url("delete", obj)).status_code == 403
        assert self.config.model.objects.count() == count
        assert self.snapshot(obj) == before

    def test_editor_lists_reads_adds_edits_and_deletes(self, client, users, township_a):
        obj = self.make(township_a)
        self.login(client, users, self.editor)
        page = client.get(self.url("list"))
        assert page.status_code == 200 and f'href="{self.url("detail", obj)}"' in page.content.decode()
        assert client.get(self.url("detail", obj)).status_code == 200
        assert client.get(self.url("add")).status_code == 200
        count = self.config.model.objects.count()
        response = client.post(self.url("add"), self.form_data(township_a))
        assert response.status_code == 302, response.context["form"].errors if response.context else response
        assert self.config.model.objects.count() == count + 1
        if self.changes:
            response = client.post(self.url("edit", obj), self.post_data(obj))
            assert response.status_code == 302, response.context["form"].errors if response.context else response
            obj.refresh_from_db()
            for name, value in self.changes.items():
                assert str(getattr(obj, self.config.model._meta.get_field(name).attname)) == str(value)
            history = client.get(self.url("detail", obj)).content.decode()
            assert users[self.editor].username in history  # the change history names who changed it
        assert client.post(self.url("delete", obj)).status_code == 302
        assert not self.config.model.objects.filter(pk=obj.pk).exists()

    def test_another_township_finds_nothing(self, client, users, township_a):
        obj = self.make(township_a)
        before = self.snapshot(obj)
        self.login(client, users, self.outsider)
        listed = f'href="{self.url("detail", obj)}"' in client.get(self.url("list")).content.decode()
        assert not listed or not self.config.model.scope_path
        for url in (self.url("detail", obj), self.url("edit", obj), self.url("delete", obj)):
            assert client.get(url).status_code == 404, url
        assert client.post(self.url("edit", obj), self.post_data(obj)).status_code == 404
        assert client.post(self.url("delete", obj)).status_code == 404
        assert self.snapshot(obj) == before

    def test_outsider_cannot_create_in_another_township(self, client, users, township_a):
        count = self.config.model.objects.count()
        self.login(client, users, self.outsider)
        response = client.post(self.url("add"), self.form_data(township_a))
        assert response.status_code in (200, 403)  # a form error (choice not offered) or refused
        assert self.config.model.objects.count() == count

    def test_list_runs_a_fixed_number_of_queries(self, client, users, township_a):
        self.make(township_a, 0)
        self.login(client, users, self.editor)
        client.get(self.url("list"))  # warm up (sessions, content types)
        with CaptureQueriesContext(connection) as one:
            assert client.get(self.url("list")).status_code == 200
        for n in range(1, 6):
            self.make(township_a, n)
        with CaptureQueriesContext(connection) as six:
            assert client.get(self.url("list")).status_code == 200
        assert len(six.captured_queries) == len(one.captured_queries), [q["sql"] for q in six.captured_queries]

    # -- the REST API --------------------------------------------------------------------------
    def api_url(self, obj=None):
        base = f"/api/v1/{self.config.app()}/{self.config.plural}/"
        return f"{base}{obj.pk}/" if obj is not None else base

    def api(self, token=None, user=None):
        client = APIClient()
        if token is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
        if user is not None:
            client.force_authenticate(user)
        return client

    def listed_ids(self, client, **params):
        response = client.get(self.api_url(), {"page_size": 1000, **params})
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    def test_api_another_township_finds_nothing(self, township_a, township_b, make_token):
        obj = self.make(township_a)
        before = self.snapshot(obj)
        outsider = self.api(make_token("南旺镇系统", township=township_b, read_only=False))
        # a county-level catalogue of the township's own county is read; another county's is not (issue 14)
        shared = not self.config.model.scope_path and county_id_of(obj) == township_b.county_id
        assert obj.pk not in self.listed_ids(outsider) or shared
        if not shared:
            assert outsider.get(self.api_url(obj)).status_code == 404
            assert outsider.patch(self.api_url(obj), {}, format="json").status_code == (404 if self.config.api_updatable else 405)
            assert outsider.delete(self.api_url(obj)).status_code == 404
        else:  # a county-level catalogue: township tokens read it but never change it
            assert outsider.get(self.api_url(obj)).status_code == 200
            assert outsider.patch(self.api_url(obj), {}, format="json").status_code == (403 if self.config.api_updatable else 405)
            assert outsider.delete(self.api_url(obj)).status_code == 403
        assert self.snapshot(obj) == before

    def test_api_read_only_token_reads_but_never_writes(self, township_a, make_token):
        obj = self.make(township_a)
        before = self.snapshot(obj)
        count = self.config.model.objects.count()
        reader = self.api(make_token("省平台", read_only=True))
        assert obj.pk in self.listed_ids(reader)
        assert reader.get(self.api_url(obj)).json()["id"] == obj.pk
        for response in (
            reader.post(self.api_url(), {}, format="json"),
            reader.patch(self.api_url(obj), {}, format="json"),
            reader.put(self.api_url(obj), {}, format="json"),
            reader.delete(self.api_url(obj)),
        ):
            assert response.status_code in (403, 405), response.content
            if response.status_code == 403:
                assert response.json()["code"] == "permission_denied"
        assert self.config.model.objects.count() == count
        assert self.snapshot(obj) == before

    def test_api_editor_reads_changes_deletes_and_creates(self, users, township_a):
        from wenshang.kernel.models import ObjectChange

        obj = self.make(township_a)
        editor = self.api(user=users[self.editor])
        body = self.api(user=users["admin_user"]).get(self.api_url(obj)).json()  # unmasked
        assert body["id"] == obj.pk
        if self.changes and self.config.api_updatable:
            changes = {k: (v if not hasattr(v, "pk") else v.pk) for k, v in self.changes.items()}
            response = editor.patch(self.api_url(obj), changes, format="json")
            assert response.status_code == 200, response.content
            obj.refresh_from_db()
            for name, value in changes.items():
                assert str(getattr(obj, self.config.model._meta.get_field(name).attname)) == str(value)
            change = ObjectChange.objects.filter(object_id=str(obj.pk), action="update").first()
            assert change is not None and change.source == "api" and change.user == users[self.editor]
        response = editor.delete(self.api_url(obj))
        assert response.status_code == 204, response.content
        assert not self.config.model.objects.filter(pk=obj.pk).exists()
        if self.api_recreate:  # the record again, from its own JSON (read-only fields are ignored)
            response = editor.post(self.api_url(), body, format="json")
            assert response.status_code == 201, response.content
            assert self.config.model.objects.filter(pk=response.json()["id"]).exclude(pk=obj.pk).exists()

    def test_api_list_costs_at_most_four_queries(self, township_a, make_token):
        self.make(township_a, 0)
        client = self.api(make_token("全县系统", read_only=True))
        client.get(self.api_url())  # warm up (content types)
        counts = []
        for n in range(1, 4):
            self.make(township_a, n)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(self.api_url(), {"page_size": 100}).status_code == 200
            counts.append(len(queries.captured_queries))
        assert max(counts) <= 4 and len(set(counts)) == 1, counts

    def test_api_answer_is_what_drf_itself_would_give(self, township_a, make_token):
        """The serializer's fast path (``PortalSerializer._read_plan``) gives DRF's own output."""
        from types import SimpleNamespace

        from wenshang.api.views import viewset_for

        obj = self.make(township_a)
        token = make_token("省平台", read_only=True)
        body = self.api(token).get(self.api_url(obj)).json()
        serializer = viewset_for(self.config).serializer_class(context={"request": SimpleNamespace(user=token.user)})
        stored = type(obj).objects.get(pk=obj.pk)
        assert body == serializer.generic_representation(stored)
        assert body == serializer.to_representation(stored)
