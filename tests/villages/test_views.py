from tests.viewtests import ModelViewTests
from villages.models import Village
from villages.views import VillageViews


class TestVillageViews(ModelViewTests):
    config = VillageViews
    changes = {"name": "改名村", "households": 321}

    def make(self, township, n=0):
        return Village.objects.create(township=township, code=f"{township.code}{250 + n:03d}", name=f"测试{n}村")

    def form_data(self, township):
        return {"township": township.pk, "code": f"{township.code}299", "name": "新建村", "kind": "village",
                "tier": "excellence", "households": 100, "population": 300}
