#!/usr/bin/env bash
# The frontend team's view of our API: generate TypeScript types from the OpenAPI spec with
# openapi-typescript and compile usage.ts against them. A breaking spec change (renamed field,
# changed or lost type, new required request field) fails compilation.
#
#   bash frontend-check/check.sh [path/to/openapi.json]   (default: openapi/openapi.json)
#
# Without Node.js the check is skipped (exit 0), except with CI=true, where it fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $# -gt 1 ]]; then
  echo "usage: $0 [path/to/openapi.json]" >&2
  exit 2
fi
if [[ $# -eq 1 ]]; then
  spec="$1"
  [[ "$spec" == /* ]] || spec="$PWD/$spec"   # relative to the caller's directory
else
  spec="$here/../openapi/openapi.json"
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [[ "${CI:-}" == "true" ]]; then
    echo "FAILED: TypeScript client check needs Node.js (node and npm), which is not installed (CI=true)" >&2
    exit 1
  fi
  echo "SKIPPED: TypeScript client check (Node.js not found)"
  exit 0
fi

if [[ ! -f "$spec" ]]; then
  echo "FAILED: OpenAPI spec not found: $spec (write it with \`buendnis openapi\`)" >&2
  exit 1
fi

cd "$here"

# Run a step quietly; show its output only when it fails.
quiet() {
  local what=$1; shift
  local output
  if ! output="$("$@" 2>&1)"; then
    printf '%s\n' "$output" >&2
    echo "FAILED: $what" >&2
    return 1
  fi
}

quiet "npm ci in frontend-check" \
  npm ci --no-audit --no-fund --prefer-offline --loglevel=error

rm -rf generated
mkdir -p generated
quiet "openapi-typescript could not generate types from $spec" \
  node_modules/.bin/openapi-typescript "$spec" --output generated/schema.d.ts

if ! node_modules/.bin/tsc -p tsconfig.json --noEmit --strict; then
  echo "FAILED: frontend-check/usage.ts does not compile against $spec" >&2
  echo "        (a breaking API change? If intended, update usage.ts in the same commit.)" >&2
  exit 1
fi

echo "TypeScript client check passed (typescript $(node -p 'require("typescript/package.json").version'), openapi-typescript $(node -p 'require("openapi-typescript/package.json").version'))"
