#!/usr/bin/env bash
# Starts Apache Kafka's own broker (KRaft, single node: broker+controller) on 127.0.0.1 for
# development and tests, from its Maven Central artifacts. Unattended, idempotent, re-runnable.
#
#   bash docker/kafka/start.sh              # or: npm run kafka:start
#   bash docker/kafka/start.sh --jars-only  # resolve and cache the jars, start nothing (benches' own brokers)
#
# Environment:
#   KAFKA_BROKERS          first host:port is where the broker listens (default 127.0.0.1:9092)
#   KAFKA_PORT             overrides the port taken from KAFKA_BROKERS
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default 9093, or port+1 when port != 9092)
#   KAFKA_VERSION          Apache Kafka version to resolve (default: the one in pom.xml)
#   KAFKA_HEAP_OPTS        JVM heap (default -Xms256m -Xmx512m)
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 60)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
libs="$root/.cache/kafka/libs"
data="$root/.data/kafka"
pidfile="$data/kafka.pid"
logfile="$data/kafka.log"
props="$data/server.properties"

log() { printf '[kafka] %s\n' "$*"; }
die() { printf '[kafka] ERROR: %s\n' "$*" >&2; exit 1; }

first="${KAFKA_BROKERS:-127.0.0.1:9092}"
first="${first%%,*}"
first="${first// /}"
host="${first%:*}"
port="${KAFKA_PORT:-${first##*:}}"
[[ "$host" == "$first" || -z "$host" ]] && host=127.0.0.1
[[ "$host" == "localhost" ]] && host=127.0.0.1
[[ "$port" =~ ^[0-9]+$ ]] || die "bad port '$port' (from KAFKA_BROKERS='${KAFKA_BROKERS:-}' / KAFKA_PORT)"
if [[ -n "${KAFKA_CONTROLLER_PORT:-}" ]]; then
  cport="$KAFKA_CONTROLLER_PORT"
elif [[ "$port" == 9092 ]]; then
  cport=9093
else
  cport=$((port + 1))
fi
timeout_s="${KAFKA_START_TIMEOUT:-60}"

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

jars_only=0
[[ "${1:-}" == "--jars-only" ]] && jars_only=1

if [[ $jars_only == 0 ]] && port_open "$host" "$port"; then
  log "something already answers on $host:$port; assuming it is a Kafka broker, nothing to do."
  exit 0
fi

command -v java >/dev/null 2>&1 || die "java not found on PATH (Java 17+ is required; Debian: apt-get install openjdk-17-jre-headless)"
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[[ "${java_major%%.*}" =~ ^[0-9]+$ && "${java_major%%.*}" -ge 11 ]] || die "java ${java_major:-?} is too old (need 11+, 17 recommended)"

version="${KAFKA_VERSION:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")}"
marker="$libs/.resolved-$version"

# --- 1. artifacts --------------------------------------------------------------------------
if [[ -f "$marker" ]]; then
  log "Kafka $version artifacts cached in ${libs#$root/} ($(ls "$libs"/*.jar | wc -l) jars)."
else
  command -v mvn >/dev/null 2>&1 || die "mvn not found on PATH (Maven 3 is needed once to resolve Kafka from Maven Central; Debian: apt-get install maven)"
  log "resolving org.apache.kafka:kafka_2.13:$version and its runtime dependencies from Maven Central..."
  t0=$SECONDS
  rm -rf "$libs"
  mkdir -p "$libs"
  if ! mvn -q -B -f "$here/pom.xml" -Dkafka.version="$version" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >"$root/.cache/kafka/mvn.log" 2>&1; then
    tail -n 30 "$root/.cache/kafka/mvn.log" >&2
    die "mvn failed to resolve Kafka $version (full log: .cache/kafka/mvn.log)"
  fi
  ls "$libs"/kafka_2.13-"$version".jar >/dev/null 2>&1 || die "kafka_2.13-$version.jar missing after resolution"
  touch "$marker"
  log "resolved $(ls "$libs"/*.jar | wc -l) jars in $((SECONDS - t0)) s."
fi
[[ $jars_only == 1 ]] && exit 0

# --- 2. already started by us and still booting? -------------------------------------------
mkdir -p "$data"
if [[ -f "$pidfile" ]]; then
  oldpid="$(cat "$pidfile" 2>/dev/null || true)"
  if [[ -n "$oldpid" ]] && kill -0 "$oldpid" 2>/dev/null && grep -q 'kafka.Kafka' "/proc/$oldpid/cmdline" 2>/dev/null; then
    log "broker process $oldpid (started earlier by this script) is alive; waiting for it."
    pid="$oldpid"
  else
    rm -f "$pidfile"
  fi
fi

# --- 3. config + storage format -----------------------------------------------------------
cp="$libs/*"
jvm_common=(-Djava.awt.headless=true -Dlog4j.configuration="file:$here/log4j.properties" -Dkafka.logs.dir="$data")
if [[ -z "${pid:-}" ]]; then
  sed -e "s|@HOST@|$host|g" -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$cport|g" \
      -e "s|@LOG_DIRS@|$data/logs|g" -e "s|@META_DIR@|$data/metadata|g" \
      "$here/server.properties.template" >"$props"

  if [[ -f "$data/logs/meta.properties" && -f "$data/metadata/meta.properties" ]]; then
    log "storage already formatted ($(sed -n 's/^cluster.id=//p' "$data/logs/meta.properties"))."
  else
    rm -rf "$data/logs" "$data/metadata"
    cluster_id="$(java -cp "$cp" "${jvm_common[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    [[ -n "$cluster_id" ]] || die "kafka.tools.StorageTool random-uuid produced nothing"
    log "formatting storage in ${data#$root/} (cluster id $cluster_id)..."
    java -cp "$cp" "${jvm_common[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$props" >>"$logfile" 2>&1 \
      || { tail -n 20 "$logfile" >&2; die "storage format failed (see ${logfile#$root/})"; }
  fi

  # --- 4. start -----------------------------------------------------------------------------
  log "starting Kafka $version (KRaft) on $host:$port (controller $cport); log: ${logfile#$root/}"
  printf '\n===== %s start.sh: starting broker =====\n' "$(date -Is)" >>"$logfile"
  t_start=$SECONDS
  # setsid: the broker must outlive this script and the caller's process group.
  setsid nohup java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    "${jvm_common[@]}" -cp "$cp" kafka.Kafka "$props" >>"$logfile" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pidfile"
fi
t_start=${t_start:-$SECONDS}
log_offset=0
[[ -f "$logfile" ]] && log_offset=$(grep -n 'start.sh: starting broker' "$logfile" | tail -n 1 | cut -d: -f1)

# --- 5. wait until ready -------------------------------------------------------------------
deadline=$((SECONDS + timeout_s))
while :; do
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$pidfile"
    tail -n 40 "$logfile" >&2
    die "broker process $pid exited during start-up (see ${logfile#$root/})"
  fi
  if port_open "$host" "$port" && tail -n +"${log_offset:-1}" "$logfile" | grep -q 'Kafka Server started'; then
    break
  fi
  if ((SECONDS >= deadline)); then
    tail -n 40 "$logfile" >&2
    die "broker (pid $pid) not ready on $host:$port after ${timeout_s}s (left running; stop with docker/kafka/stop.sh)"
  fi
  sleep 0.5
done
log "READY: Kafka $version broker on $host:$port (pid $pid, ready in $((SECONDS - t_start)) s)"
