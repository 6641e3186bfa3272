import json

from django.core.management.base import BaseCommand, CommandError

from villages.models import County, Township
from wenshang.web import figures


class Command(BaseCommand):
    help = "Print the article's headline figures computed from the records (key, label, value)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print {key: value} as JSON")
        parser.add_argument("--township", metavar="CODE", help="limit to one township (9-digit code)")
        parser.add_argument("--county", metavar="CODE", help="limit to one county (6-digit code) of a database of several")

    def handle(self, *args, **options):
        township = county = None
        if options["township"]:
            township = Township.objects.filter(code=options["township"]).first()
            if township is None:
                raise CommandError(f"No township with code {options['township']}.")
        elif options["county"]:
            county = County.objects.filter(code=options["county"]).first()
            if county is None:
                raise CommandError(f"No county with code {options['county']}.")
        values = figures.compute(township=township, county=county)
        if options["json"]:
            self.stdout.write(json.dumps(values, ensure_ascii=False, indent=2))
            return
        info = figures.catalogue()
        width = max(len(k) for k in values)
        for key, value in values.items():
            shown = "—" if value is None else (f"{value:,}" if isinstance(value, int) else f"{value:,.2f}")
            self.stdout.write(f"{key:<{width}}  {info[key].label_zh}  {shown} {_unit(info[key].unit)}")


def _unit(unit):
    return {"count": "", "yuan": "元", "mu": "亩", "percent": "%"}.get(unit, unit)
