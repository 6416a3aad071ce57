#!/usr/bin/env bash
# Debian's chromium for the console's browser tests (test/console.e2e-spec.ts drives it with
# puppeteer-core; no browser is downloaded by npm). Idempotent: returns at once when it is there.
set -euo pipefail
say() { printf '\033[1m[chromium]\033[0m %s\n' "$*"; }

if command -v chromium >/dev/null 2>&1; then
  say "$(chromium --version 2>/dev/null || echo chromium) present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing (the console's browser tests need it). Run as root:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
  exit 1
fi
say "installing chromium from Debian"
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when the package lists are missing or the first attempt fails.
if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null || ! apt-get install -y -qq chromium >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
say "$(chromium --version 2>/dev/null || echo chromium) installed"
