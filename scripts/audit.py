"""Vulnerability audit of the locked dependencies (requirements.lock) with pip-audit.

Fails on any known vulnerability. pip-audit reports packages it could not look up as "skipped"
instead of failing; this script counts them and says plainly when nothing could be audited
(e.g. a package mirror without vulnerability data), so a green run never pretends.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    completed = subprocess.run(
        [sys.executable, "-m", "pip_audit", "-r", str(ROOT / "requirements.lock"), "--no-deps",
         "--disable-pip", "--progress-spinner", "off", "-f", "json"],
        capture_output=True, text=True, check=False,
    )
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        print(completed.stdout, completed.stderr, sep="\n")
        print("FAILED: pip-audit did not produce a report")
        return 1
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    audited = len(dependencies) - len(skipped)
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} (fix: {fixes})")
    print(f"pip-audit: {audited} of {len(dependencies)} locked packages audited, "
          f"{len(vulnerable)} vulnerable, {len(skipped)} could not be looked up")
    if dependencies and audited == 0:
        print("WARNING: no vulnerability data was reachable from here; nothing was audited")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
