"""Start-up stays light: ``import app.main`` in a fresh interpreter loads none of the libraries
only a few endpoints or the worker need (XLSX, PDF, iCalendar, the FAQ stemmer, the webhook
sender's HTTP client) and hashes no password; those import them on first use (their own tests
cover that they still work). It pauses the cyclic collector while it builds the app, and must
leave it running afterwards."""

import subprocess
import sys
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from app.reports import formats

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("openpyxl", "reportlab", "icalendar", "PIL", "pypdf", "snowballstemmer", "httpx")

PROBE = """
import sys
import argon2

calls = []
original = argon2.PasswordHasher.hash
argon2.PasswordHasher.hash = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
import gc
import app.main
print(" ".join(m for m in {heavy!r} if m in sys.modules) or "-")
print(len(calls))
print(gc.isenabled(), gc.get_freeze_count(), gc.get_threshold()[0])
"""


def _fresh_interpreter(probe: str, **env: str) -> str:
    """What ``probe`` prints in a new interpreter that has imported nothing of the app yet."""
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_the_app_loads_no_heavy_library_and_hashes_nothing():
    loaded, hashes, collector = _fresh_interpreter(PROBE.format(heavy=HEAVY)).split("\n")[:3]
    assert loaded == "-", f"imported at start-up: {loaded}"
    assert hashes == "0"
    running, frozen, young = collector.split()
    assert running == "True", "import app.main left the cyclic garbage collector off"
    assert int(frozen) > 100_000, "start-up's objects were not frozen out of later collections"
    assert int(young) == 10_000


def test_the_collector_stays_off_after_import_when_the_caller_had_turned_it_off():
    probe = "import gc; gc.disable(); import app.main; print(gc.isenabled())"
    assert _fresh_interpreter(probe).strip() == "False"


def test_the_xlsx_control_character_filter_is_openpyxls():
    assert formats.ILLEGAL_CHARACTERS_RE.pattern == ILLEGAL_CHARACTERS_RE.pattern
    assert formats.xlsx_value(None, "a\x01b\x1fc\td") == "abc\td"  # type: ignore[arg-type]


def test_a_failed_start_leaves_the_collector_running():
    # An invalid setting makes create_app() raise during the import; the collector paused for
    # the import must be back on, also for a second attempt in the same process.
    probe = ("import gc\nfor _ in range(2):\n    try:\n        import app.main\n"
             "    except Exception:\n        pass\n    print(gc.isenabled())\n")
    printed = _fresh_interpreter(probe, BUENDNIS_TRUSTED_PROXIES="not-an-ip")
    assert printed.split() == ["True", "True"]
