"""The layers of ARCHITECTURE.md hold (configuration → features → apps → web → kernel) and no
package's modules import each other in a cycle: the contracts of ``.importlinter``, checked here so
that CI runs them (``make lint`` runs them too). Imports inside functions count like any other."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "2 kept, 0 broken" in result.stdout
