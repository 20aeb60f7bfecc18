#!/usr/bin/env bash
# Stop what infra/local started: demo workers, Kafka, RabbitMQ, Redis, PostgreSQL. Servers this machine
# already ran before up.sh (or that CELERIAC_* variables pointed at) are left alone. Keeps data.
set -euo pipefail
COMPONENT=down
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

failed=()
"$CELERY_APP_DIR/stop-workers.sh" || failed+=(workers)
for name in kafka rabbitmq redis postgres; do
  "$LOCAL_DIR/$name.sh" stop || failed+=("$name")
done
((${#failed[@]} == 0)) || die "could not stop: ${failed[*]}"
say "done (data kept under $WORK_DIR and the Debian clusters; up.sh starts them again)"
