"""Small builders shared by the talent and finance view tests."""
import itertools

from talent.models import Person
from villages.models import Village
from wenshang.kernel.validators import id_check_char

_numbers = itertools.count(1)


def id_number(region="370830"):
    """A fresh valid national ID number (born 1990, a different one on every call)."""
    n = next(_numbers)
    first = f"{region}1990{1 + n // 28000 % 12:02d}{1 + n // 1000 % 28:02d}{n % 1000:03d}"
    return first + id_check_char(first)


def village(township, n=0):
    """Village number ``n`` of ``township`` (made on first use)."""
    obj, _ = Village.objects.get_or_create(
        code=f"{township.code}{300 + n:03d}", defaults={"township": township, "name": f"试点{n}村"}
    )
    return obj


def person(township, name="张三", **extra):
    return Person.objects.create(name=name, id_number=id_number(), township=township, **extra)


class CountyLevelTests:
    """For county-level catalogues (no township): the reusable test "another township finds
    nothing" does not fit, because township staff of every township READ these records (the
    scope rule for catalogues). The real rule, tested instead: they read them, may neither
    change nor delete them (403), and nothing changes."""

    def test_another_township_finds_nothing(self, client, users, township_a):
        obj = self.make(township_a)
        before = self.snapshot(obj)
        self.login(client, users, self.outsider)
        assert str(obj) in client.get(self.url("list")).content.decode()
        assert client.get(self.url("detail", obj)).status_code == 200
        for url in (self.url("edit", obj), self.url("delete", obj)):
            assert client.get(url).status_code == 403, url
        assert client.post(self.url("edit", obj), self.post_data(obj)).status_code == 403
        assert client.post(self.url("delete", obj)).status_code == 403
        assert self.snapshot(obj) == before

