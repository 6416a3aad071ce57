#!/usr/bin/env bash
# The test command: set-up, then unit tests, repository tests on real PostgreSQL, then
# end-to-end tests against real PostgreSQL, a real Kafka broker (started here if none answers,
# and stopped again afterwards) and real FAISS. The machine's own PostgreSQL is left running;
# tests use their own database.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo '[test] typecheck'
npx tsc -p tsconfig.json --noEmit
echo '[test] format'
npx prettier --check "apps/**/*.ts" "libs/**/*.ts" "test/**/*.ts" "migrations/**/*.ts"
echo '[test] lint'
npx eslint apps libs test migrations
echo '[test] compose file (static: no container engine runs here)'
API_KEY=compose-check-key PGPASSWORD=compose-check docker-compose -f docker/compose.yml config --quiet
echo '[test] import cycles'
npx madge --circular --extensions ts --ts-config tsconfig.json apps libs

export PGDATABASE=${TEST_PGDATABASE:-debut_test}
export KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:9092}
export NODE_ENV=test
export KAFKAJS_NO_PARTITIONER_WARNING=1
echo '[test] sql queries'
bash scripts/sql-queries.sh --check

started_kafka=0
if ! (exec 3<>"/dev/tcp/${KAFKA_BROKERS%%:*}/$(echo "${KAFKA_BROKERS%%,*}" | cut -d: -f2)") 2>/dev/null; then
  bash docker/kafka/start.sh
  started_kafka=1
fi
cleanup() { if [ "$started_kafka" = 1 ]; then bash docker/kafka/stop.sh || true; fi; }
trap cleanup EXIT

npx jest --selectProjects unit "$@"
npx jest --selectProjects integration --runInBand "$@"
npx jest --selectProjects e2e --runInBand "$@"
