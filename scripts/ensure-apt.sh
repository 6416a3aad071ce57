#!/usr/bin/env bash
# ensure-apt.sh <command> <debian-package> <what needs it>: installs a Debian package when its
# command is missing. Idempotent: returns at once when the command is there.
set -euo pipefail
cmd=$1 pkg=$2 why=$3
say() { printf '\033[1m[%s]\033[0m %s\n' "$pkg" "$*"; }

if command -v "$cmd" >/dev/null 2>&1; then
  say "present ($(command -v "$cmd"))"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "$cmd is missing ($why needs it). Run as root:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y $pkg" >&2
  exit 1
fi
say "installing $pkg from Debian ($why)"
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when the package lists are missing or the first attempt fails.
if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null || ! apt-get install -y -qq "$pkg" >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq "$pkg" >/dev/null
fi
say "installed ($(command -v "$cmd"))"
