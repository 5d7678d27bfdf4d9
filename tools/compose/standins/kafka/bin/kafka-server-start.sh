#!/bin/bash
# Stand-in for Kafka's bin/kafka-server-start.sh: kafka.Kafka with the broker's log4j2 config and,
# unless KAFKA_HEAP_OPTS says otherwise, a 1 GiB heap (the real script's default).
if [ $# -lt 1 ]; then echo "USAGE: $0 server.properties [--override property=value]*" >&2; exit 1; fi
export KAFKA_LOG4J_OPTS="${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/log4j2.yaml}"
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}"
exec /opt/kafka/bin/kafka-run-class.sh kafka.Kafka "$@"
