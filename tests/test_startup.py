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


def test_importing_the_app_loads_no_heavy_library_and_hashes_nothing():
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", PROBE.format(heavy=HEAVY)], cwd=ROOT, capture_output=True,
        text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    loaded, hashes, collector = done.stdout.split("\n")[:3]
    assert loaded == "-", f"imported at start-up: {loaded}"
    assert hashes == "0"
    running, frozen, young = collector.split()
    assert running == "True", "import app.main left the cyclic garbage collector off"
    assert int(frozen) > 100_000, "start-up's objects were not frozen out of later collections"
    assert int(young) == 10_000


def test_the_collector_stays_off_after_import_when_the_caller_had_turned_it_off():
    probe = "import gc; gc.disable(); import app.main; print(gc.isenabled())"
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_the_xlsx_control_character_filter_is_openpyxls():
    assert formats.ILLEGAL_CHARACTERS_RE.pattern == ILLEGAL_CHARACTERS_RE.pattern
    assert formats.xlsx_value(None, "a\x01b\x1fc\td") == "abc\td"  # type: ignore[arg-type]


def test_a_failed_start_leaves_the_collector_running():
    # An invalid setting makes create_app() raise during the import; the collector paused for
    # the import must be back on, also for a second attempt in the same process.
    probe = ("import gc\nfor _ in range(2):\n    try:\n        import app.main\n"
             "    except Exception:\n        pass\n    print(gc.isenabled())\n")
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
             "BUENDNIS_TRUSTED_PROXIES": "not-an-ip"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
