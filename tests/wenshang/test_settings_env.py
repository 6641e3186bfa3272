"""`.env.example` lists every environment variable the code reads, and nothing else; the settings
read the environment through one ``env`` and write nothing when imported."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SETTINGS = ROOT / "wenshang" / "settings"
LISTED = re.compile(r"^#?([A-Z][A-Z0-9_]*)=", re.MULTILINE)
# env.str("NAME", …), env("NAME"), env.db("NAME"), os.environ.get("NAME"), os.environ["NAME"], os.environ.setdefault("NAME", …)
READ = re.compile(r"""\b(?:env(?:\.\w+)?\(|os\.environ(?:\.get\(|\.setdefault\(|\[))\s*["']([A-Z][A-Z0-9_]*)["']""")
# production.py names its required variables in a loop: for _name in ("SECRET_KEY", …)
REQUIRED_LOOP = re.compile(r"for _name in \(([^)]*)\)")


def listed():
    return set(LISTED.findall((ROOT / ".env.example").read_text(encoding="utf-8")))


def read_by(paths):
    names = set()
    for path in paths:
        text = path.read_text(encoding="utf-8")
        names |= set(READ.findall(text))
        for group in REQUIRED_LOOP.findall(text):
            names |= set(re.findall(r'"([A-Z][A-Z0-9_]*)"', group))
    return names


def project_sources():
    skip = {".venv", "tests", "node_modules", "static", "var"}
    return [p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)]


def test_every_variable_the_settings_read_is_listed():
    names = read_by(SETTINGS.glob("*.py"))
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "WENSHANG_VAR_DIR", "SENTRY_DSN"} <= names  # the parser works
    assert names - listed() == set()


def test_every_listed_variable_is_read_somewhere():
    assert listed() - read_by(project_sources()) == set()


def test_the_settings_have_one_reader_of_the_environment():
    for path in SETTINGS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "os.environ" not in text, path.name
        assert text.count("environ.Env(") == (1 if path.name == "env.py" else 0), path.name


def test_importing_the_settings_creates_no_folder(tmp_path):
    var = tmp_path / "var"
    script = "import importlib, sys; importlib.import_module(sys.argv[1])"
    for module in ("wenshang.settings.local", "wenshang.settings.test"):
        env = {"PATH": "/usr/bin:/bin", "WENSHANG_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": module}
        result = subprocess.run([sys.executable, "-c", script, module], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert not var.exists()


def test_a_fresh_var_folder_is_made_at_start_up(tmp_path):
    var = tmp_path / "var"
    env = {"PATH": "/usr/bin:/bin", "WENSHANG_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "wenshang.settings.local"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (var / "celery" / "broker").is_dir()
