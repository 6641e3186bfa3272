from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from villages.models import County, Township
from wenshang.api.tokens import DEFAULT_DAYS, create_token
from wenshang.kernel.audit import actor


class Command(BaseCommand):
    help = "Create an API token for another system and print it (once: only its hash is kept)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="the client, e.g. 省乡村振兴平台")
        parser.add_argument("--scope", required=True, metavar="county|CODE",
                            help="county (every record), a county's 6-digit code or a township's 9-digit code")
        parser.add_argument("--read-only", action="store_true", help="the token may read but never write")
        parser.add_argument("--expires", type=int, default=DEFAULT_DAYS, metavar="DAYS",
                            help=f"days until it expires (default {DEFAULT_DAYS}; 0 = never)")
        parser.add_argument("--personal-data", action="store_true", help="show ID and phone numbers unmasked (every read is logged)")

    def handle(self, *args, **options):
        scope = options["scope"].strip()
        township = county = None
        if len(scope) == 6 and scope.isdigit():
            county = County.objects.filter(code=scope).first()
            if county is None:
                raise CommandError(f"No county with code {scope!r}.")
        elif scope != "county":
            township = Township.objects.filter(code=scope).first()
            if township is None:
                raise CommandError(f"No township with code {scope!r}: give 'county', a county's 6-digit code or a township's 9-digit code.")
        if options["expires"] < 0:
            raise CommandError("--expires must be 0 (never) or a number of days.")
        if not options["name"].strip():
            raise CommandError("--name must not be empty.")
        with actor(None, "command:create_api_token"):
            token, key = create_token(
                name=options["name"], township=township, county=county, read_only=options["read_only"],
                expires_days=options["expires"], personal_data=options["personal_data"],
            )
        rights = "read-only" if token.read_only else "read-write"
        expiry = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M") if token.expires_at else "never"
        self.stderr.write(f"Token for {token.name} ({token.scope_label}, {rights}, expires {expiry}). "
                          "It is shown this once; keep it safe:")
        self.stdout.write(key)
