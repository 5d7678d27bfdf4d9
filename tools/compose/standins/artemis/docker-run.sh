#!/bin/bash
# Stand-in for the official apache/activemq-artemis image's /docker-run.sh (our own script): with
# "run" (the default command), copies etc-override/* over etc/ and runs the broker in the
# foreground (exec: it gets the stop signal); any other command runs as given.
set -euo pipefail
instance=/var/lib/artemis-instance
if [ "${1:-run}" != run ]; then exec "$@"; fi
if [ -d "${instance}/etc-override" ] && [ -n "$(ls -A "${instance}/etc-override")" ]; then
  for file in "${instance}"/etc-override/*; do
    echo "copying ${file##*/} from etc-override to etc"
    cp -f "${file}" "${instance}/etc/"
  done
fi
mkdir -p "${instance}/data"
# shellcheck disable=SC2086 # option list
exec java ${JAVA_ARGS} \
  "-Dorg.slf4j.simpleLogger.defaultLogLevel=${ARTEMIS_LOG_LEVEL}" -Dorg.slf4j.simpleLogger.showDateTime=true \
  "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS" \
  "-Dartemis.instance=${instance}" \
  -cp "/opt/activemq-artemis/classes:/opt/activemq-artemis/lib/*" ArtemisContainer "${instance}/etc/broker.xml"
