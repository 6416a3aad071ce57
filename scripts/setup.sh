#!/usr/bin/env bash
# Everything Debut needs on a fresh machine, unattended and re-runnable:
# npm dependencies, faiss-node's addon (built against Debian's libfaiss-dev), the TypeScript
# build, and PostgreSQL reachable. Kafka is started by the commands that need it.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# npm dependencies: reinstall only when the lock file changed since the last install.
stamp=node_modules/.debut-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
else
  say "npm dependencies up to date"
fi

bash scripts/build-faiss.sh
bash scripts/build-tfjs-native.sh
bash scripts/ensure-postgres.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-apt.sh docker-compose docker-compose "the compose file's static check"

say "building TypeScript"
npm run -s build
say "ready"
