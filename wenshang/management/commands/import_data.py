"""``python manage.py import_data <entity> <file> --user <username> [--dry-run]``

The web import from the command line (``wenshang.imports.import_file``): the same columns,
checks and natural keys. Every problem is printed with its row and column, and a file with any
problem writes nothing and exits non-zero. ``--dry-run`` checks and writes nothing.
"""
import time
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wenshang import imports
from wenshang.kernel import audit
from wenshang.kernel.models import User


class Command(BaseCommand):
    help = "Import a spreadsheet (XLSX or CSV) of one entity, all or nothing, as a portal user."

    def add_arguments(self, parser):
        parser.add_argument("entity", help="the entity's URL plural: " + ", ".join(imports.SPECS))
        parser.add_argument("file", help="an .xlsx or .csv file (UTF-8 or GBK) with the template's columns")
        parser.add_argument("--user", required=True, help="the portal user importing (their scope and rights apply)")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, write nothing")

    def handle(self, *args, entity, file, user, dry_run, verbosity, **options):
        if entity not in imports.SPECS:
            raise CommandError(_("Unknown entity “%(entity)s”. Importable: %(all)s.") % {"entity": entity, "all": ", ".join(imports.SPECS)})
        try:
            account = User.objects.get(username=user)
        except User.DoesNotExist:
            raise CommandError(_("No user “%(user)s”.") % {"user": user})
        if not account.is_active:
            raise CommandError(_("The user “%(user)s” is not active.") % {"user": user})

        last = [-1]

        def progress(fraction):
            percent = int(fraction * 100)
            if verbosity >= 2 and percent // 10 != last[0]:
                last[0] = percent // 10
                self.stderr.write(f"{percent}%")

        started = time.perf_counter()
        try:
            source = audit.import_source(Path(file).name)  # the history names the file
            with audit.actor(account, source):
                result = imports.import_file(entity, file, account, dry_run=dry_run, progress=progress, source=source)
        except PermissionDenied:
            raise CommandError(_("The user “%(user)s” may not import %(entity)s.") % {"user": user, "entity": entity})
        except FileNotFoundError:
            raise CommandError(_("No file “%(file)s”.") % {"file": file})
        elapsed = time.perf_counter() - started

        for p in result.listed_problems():
            where = []
            if p["row"]:
                where.append(_("row %(row)s") % {"row": p["row"]})
            if p["column"] or p["col"]:
                where.append(_("column %(column)s") % {"column": " ".join(x for x in (p["col"], p["column"]) if x)})
            value = f" [{p['value']}]" if p["value"] else ""
            self.stderr.write(f"{', '.join(where) or _('file')}{value}: {p['message']}")
        if not result.ok:
            raise CommandError(result.summary())
        message = result.summary()
        if dry_run:
            message += " " + _("Dry run: nothing was written.")
        self.stdout.write(self.style.SUCCESS(message))
        if verbosity >= 2:
            self.stderr.write(f"{elapsed:.1f} s")
