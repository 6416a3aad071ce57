#!/usr/bin/env bash
# Writes libs/catalog/queries/*.sql from the statements the repositories run against a fresh
# database; with --check, fails when the checked-in files differ instead. The generator is
# TypeScript and the project has no TypeScript runner, so it runs from the build (rebuilt when
# sources are newer).
set -euo pipefail
cd "$(dirname "$0")/.."
main=dist/libs/catalog/tools/sql-queries.js
if [ ! -f "$main" ] || [ -n "$(find apps libs migrations -name '*.ts' -newer "$main" -print -quit)" ]; then
  npm run -s build
fi
exec node "$main" "$@"
