#!/usr/bin/env bash
# Debian's chromium for the console's browser tests (test/console.e2e-spec.ts drives it with
# puppeteer-core; no browser is downloaded by npm).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-apt.sh chromium chromium "the console's browser tests"
