"""``manage.py serve [ADDR:PORT]``: the portal and a task worker (with the schedule) together, as
``make run`` starts them. Ctrl-C (or SIGTERM) stops both and exits cleanly."""
import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Serve the portal with a Celery worker (and beat) beside it; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        # The worker gets a session of its own, so that Ctrl-C in the terminal reaches this process
        # only; it is stopped below with a warm shutdown (SIGTERM: it finishes the task in hand).
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "wenshang", "worker", "--beat", "--loglevel=warning", "--concurrency=1"],
            start_new_session=True,
        )
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            call_command("runserver", addrport, use_reloader=False)
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.stdout.write("正在停止任务进程……")
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            self.stdout.write("门户和任务进程都已停止。")
