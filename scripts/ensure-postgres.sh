#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at PGHOST:PGPORT (default 127.0.0.1:5432). Uses the
# one that is running; starts the machine's own cluster if it is installed but stopped;
# installs Debian's postgresql when there is none and we are root. It never stops a server.
set -euo pipefail
host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
ready() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }
if ready; then echo "[postgres] answering on $host:$port"; exit 0; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "[postgres] nothing answers on $host:$port and PostgreSQL is not installed; run: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
  echo "[postgres] installing Debian's postgresql"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
echo "[postgres] starting cluster $version/main"
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do ready && { echo "[postgres] answering on $host:$port"; exit 0; }; sleep 1; done
echo "[postgres] still nothing on $host:$port after 30 s" >&2
exit 1
