#!/usr/bin/env bash
# Stops the broker that docker/kafka/start.sh started (its pid file under .data/kafka): TERM,
# wait for a clean shutdown, KILL after a timeout. Leaves any other process alone.
#   KAFKA_STOP_TIMEOUT  seconds to wait after TERM (default 30)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pidfile="$root/.data/kafka/kafka.pid"
timeout_s="${KAFKA_STOP_TIMEOUT:-30}"
log() { printf '[kafka] %s\n' "$*"; }

if [[ ! -f "$pidfile" ]]; then
  log "no pid file (${pidfile#$root/}); nothing started by start.sh is running."
  exit 0
fi
pid="$(cat "$pidfile" 2>/dev/null || true)"
if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
  log "broker $pid is not running; removing stale pid file."
  rm -f "$pidfile"
  exit 0
fi
if ! grep -q 'kafka.Kafka' "/proc/$pid/cmdline" 2>/dev/null; then
  log "pid $pid is not a kafka.Kafka process (stale pid file); leaving it alone."
  rm -f "$pidfile"
  exit 0
fi

log "stopping broker (pid $pid)..."
kill -TERM "$pid"
deadline=$((SECONDS + timeout_s))
while kill -0 "$pid" 2>/dev/null; do
  if ((SECONDS >= deadline)); then
    log "still running after ${timeout_s}s; sending KILL."
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
    break
  fi
  sleep 0.5
done
rm -f "$pidfile"
log "stopped."
