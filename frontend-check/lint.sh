#!/usr/bin/env bash
# Lints the OpenAPI spec with Redocly CLI's recommended ruleset (redocly.yaml says which rules
# are off and why): what a generated client or a docs tool trips over fails the build.
#
#   bash frontend-check/lint.sh [path/to/openapi.json]   (default: openapi/openapi.json)
#
# Without Node.js the lint is skipped (exit 0), except with CI=true, where it fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
spec="${1:-$here/../openapi/openapi.json}"
[[ "$spec" == /* ]] || spec="$PWD/$spec"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [[ "${CI:-}" == "true" ]]; then
    echo "FAILED: OpenAPI lint needs Node.js (node and npm), which is not installed (CI=true)" >&2
    exit 1
  fi
  echo "SKIPPED: OpenAPI lint (Node.js not found)"
  exit 0
fi

cd "$here"
if [[ ! -x node_modules/.bin/redocly ]]; then
  npm ci --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
if ! output="$(node_modules/.bin/redocly lint "$spec" --config redocly.yaml 2>&1)"; then
  printf '%s\n' "$output" >&2
  echo "FAILED: redocly lint of $spec (fix the spec, or turn a rule off in redocly.yaml with a reason)" >&2
  exit 1
fi
echo "OpenAPI lint passed (redocly $(node -p 'require("@redocly/cli/package.json").version'), recommended ruleset)"
