#!/usr/bin/env bash
# The main job, from a fresh clone: set-up, broker and database, (catalogue + models when
# available), api + worker started in the background, a few new releases published on Kafka,
# and what Debut made of them printed. The services stay up; `bash scripts/demo.sh stop` stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUN="$ROOT/.data/run"
LOGS="$ROOT/.data/logs"
mkdir -p "$RUN" "$LOGS"
say() { printf '\n\033[1m[demo]\033[0m %s\n' "$*"; }
export KAFKAJS_NO_PARTITIONER_WARNING=1
HTTP_HOST=${HTTP_HOST:-127.0.0.1}
HTTP_PORT=${HTTP_PORT:-3000}
trainer() { node dist/apps/trainer/src/main.js "$@"; }

stop_services() {
  for name in api worker; do
    pidfile="$RUN/$name.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
      echo "[demo] stopped $name ($pid)"
    fi
    rm -f "$pidfile"
  done
}

if [ "${1:-}" = stop ]; then
  stop_services
  bash docker/kafka/stop.sh || true
  exit 0
fi

say "set-up (dependencies, faiss addon, PostgreSQL, build)"
bash scripts/setup.sh
say "Kafka broker"
bash docker/kafka/start.sh
say "database"
trainer migrate

# The synthetic catalogue (warm songs, users, plays) and the models, once: a re-run reuses them.
# An active version counts only if its artifact is still on disk (the database may outlive .data/models).
active() {
  trainer versions | awk -v k="$1" '$1 == "*" && $3 == k { print $NF }' |
    while read -r dir; do if [ -f "$dir/manifest.json" ]; then echo present; fi; done | grep -c present || true
}
train_and_activate() { # kind, extra args...
  local kind=$1; shift
  trainer train "$kind" --dataset synthetic --seed 42 "$@" | tee "$LOGS/train-$kind.log"
  local version
  version=$(sed -n "s/^registered \($kind-[^ ]*\) .*/\1/p" "$LOGS/train-$kind.log" | tail -n 1)
  [ -n "$version" ] || { echo "[demo] training $kind registered no version" >&2; exit 1; }
  trainer activate "$version"
}
say "synthetic catalogue (imported once; its cold songs are held back as new releases)"
trainer import --dataset synthetic --seed 42 --if-empty
if [ "$(active i2i)" = 0 ]; then
  say "training the I2I encoder (small: a few epochs) and activating it"
  train_and_activate i2i --epochs "${DEMO_EPOCHS:-3}"
fi
if [ "$(active dssm)" = 0 ]; then
  say "training the DSSM with interest boundary (small: a few epochs) and activating it"
  train_and_activate dssm --epochs "${DEMO_DSSM_EPOCHS:-12}"
fi
if [ "$(active audience)" = 0 ]; then
  say "fitting the other audience methods (content-ridge, u2i-audience, fusion) and activating them: AUDIENCE_METHOD=auto serves the best on cold validation"
  train_and_activate audience
fi
if [ "$(active search)" = 0 ]; then
  say "training the joint search model (query encoder + item tower, multi-task with BPR) and activating it over every song"
  train_and_activate search --epochs "${DEMO_SEARCH_EPOCHS:-4}"
fi
say "active models:"
trainer versions | grep '^\*'

say "starting api and worker (logs in .data/logs)"
stop_services
nohup node dist/apps/worker/src/main.js > "$LOGS/worker.log" 2>&1 &
echo $! > "$RUN/worker.pid"
nohup node dist/apps/api/src/main.js > "$LOGS/api.log" 2>&1 &
echo $! > "$RUN/api.pid"
for _ in $(seq 1 120); do
  if curl -fsS "http://$HTTP_HOST:$HTTP_PORT/health" > /dev/null 2>&1; then break; fi
  for name in api worker; do
    kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null || { tail -n 30 "$LOGS/$name.log" >&2; echo "[demo] $name exited" >&2; exit 1; }
  done
  sleep 0.5
done
curl -fsS "http://$HTTP_HOST:$HTTP_PORT/health" || { tail -n 30 "$LOGS/api.log" >&2; exit 1; }
echo

say "publishing new releases on song.released"
trainer demo-releases --count "${DEMO_RELEASES:-3}" --api "http://$HTTP_HOST:$HTTP_PORT" | tee "$LOGS/demo-releases.log"

say "searching (GET /v1/search): a genre query, and the title of the newest release (searchable once stored)"
newest=$(sed -n 's/^● [^ ]* "\(.*\)" stored.*/\1/p' "$LOGS/demo-releases.log" | tail -n 1)
newest_id=$(sed -n 's/^● \([^ ]*\) ".*" stored.*/\1/p' "$LOGS/demo-releases.log" | tail -n 1)
trainer demo-search --api "http://$HTTP_HOST:$HTTP_PORT" --q jazz ${newest:+"$newest"} ${newest_id:+--wait-for "$newest_id"} --limit 5

say "running"
cat <<EOT
  api      http://$HTTP_HOST:$HTTP_PORT        (OpenAPI: http://$HTTP_HOST:$HTTP_PORT/docs, metrics: /metrics, health: /health)
  worker   pid $(cat "$RUN/worker.pid"), log .data/logs/worker.log
  kafka    ${KAFKA_BROKERS:-127.0.0.1:9092}
  stop     bash scripts/demo.sh stop
EOT
