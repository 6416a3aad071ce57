#!/usr/bin/env bash
# Runs one of the apps' CLIs (trainer, bench) on the built code, building first when sources are newer.
set -euo pipefail
cd "$(dirname "$0")/.."
app=${1:?usage: run-app.sh trainer|bench [args...]}
shift
main="dist/apps/$app/src/main.js"
if [ ! -f "$main" ] || [ -n "$(find apps libs migrations -name '*.ts' -newer "$main" -print -quit)" ]; then
  npm run -s build
fi
exec node "$main" "$@"
