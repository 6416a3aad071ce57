#!/usr/bin/env bash
# Runs a trainer command on the built code (building first when sources are newer).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f dist/apps/trainer/src/main.js ] || [ -n "$(find apps libs migrations -name '*.ts' -newer dist/apps/trainer/src/main.js -print -quit)" ]; then
  npm run -s build
fi
exec node dist/apps/trainer/src/main.js "$@"
