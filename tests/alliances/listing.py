"""For the reusable view tests of records named by several fields.

``ModelViewTests`` finds a record on its list page by ``str(obj)``. That holds when the first
column is the record's name (a village, an alliance, a grid). Records such as a fund entry
(“联盟 2024-03-01 缴存 500.00”), a pairing (“村 × 企业”) or a household (“王建国户”) are shown in
the list as separate columns (date, alliance, kind, amount …), so their ``str()`` is never one cell
and the check would fail on a correct page, while the outsider's check (``str(obj) not in …``)
would pass on any page. For them the rule really is: the list page links to the record's detail
page (the first column links to it) for the editor, and has no such link for another township.
The two methods below are the reusable ones with only that check changed.
"""
from tests.viewtests import ModelViewTests


class ListedByLink(ModelViewTests):
    def link(self, obj):
        return f'href="{self.url("detail", obj)}"'

    def test_editor_lists_reads_adds_edits_and_deletes(self, client, users, township_a):
        obj = self.make(township_a)
        self.login(client, users, self.editor)
        page = client.get(self.url("list"))
        assert page.status_code == 200 and self.link(obj) in page.content.decode()
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
            assert users[self.editor].username in history
        assert client.post(self.url("delete", obj)).status_code == 302
        assert not self.config.model.objects.filter(pk=obj.pk).exists()

    def test_another_township_finds_nothing(self, client, users, township_a):
        obj = self.make(township_a)
        before = self.snapshot(obj)
        self.login(client, users, self.outsider)
        assert self.link(obj) not in client.get(self.url("list")).content.decode()
        for url in (self.url("detail", obj), self.url("edit", obj), self.url("delete", obj)):
            assert client.get(url).status_code == 404, url
        assert client.post(self.url("edit", obj), self.post_data(obj)).status_code == 404
        assert client.post(self.url("delete", obj)).status_code == 404
        assert self.snapshot(obj) == before
