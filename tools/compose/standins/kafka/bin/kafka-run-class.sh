#!/bin/bash
# Stand-in for Kafka's bin/kafka-run-class.sh: java on /opt/kafka/libs with the variables the real
# script reads (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS, KAFKA_OPTS). It
# never turns JMX on (no port of its own). Tools log WARN and above to stderr.
base=/opt/kafka
heap="${KAFKA_HEAP_OPTS:--Xmx256M}"
perf="${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}"
log="${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=${base}/config/tools-log4j2.yaml}"
# shellcheck disable=SC2086 # option lists
exec java ${heap} ${perf} ${log} ${KAFKA_OPTS:-} -cp "${base}/libs/*" "$@"
