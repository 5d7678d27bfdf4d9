# The jars of the Kafka and Artemis stand-ins, with the versions of tools/brokers/kafka.sh and
# tools/brokers/artemis.sh (their defaults are read from those scripts), fetched by
# tools/brokers/lib/jvm-broker.sh's fetch_jars into ${cache}/compose/jars/.
# The sourcing script sets: repo, state; uses say, die.

brokers="${repo}/tools/brokers"
default_of() { # script, variable: the default of ${VARIABLE:-default} in that script
  sed -n "s/^[a-z_]*=\"\${$2:-\([^}]*\)}\"\$/\1/p" "${brokers}/$1" | head -n 1
}
kafka_version="$(default_of kafka.sh KAFKA_VERSION)"
kafka_log4j_version="$(sed -n 's|.*log4j-slf4j-impl</artifactId><version>\([^<]*\)</version>.*|\1|p' "${brokers}/kafka.sh" | head -n 1)"
artemis_version="$(default_of artemis.sh ARTEMIS_VERSION)"
artemis_slf4j_version="$(sed -n 's/^slf4j_version=\([0-9.]*\).*/\1/p' "${brokers}/artemis.sh" | head -n 1)"
[ -n "${kafka_version}" ] && [ -n "${kafka_log4j_version}" ] || die "could not read Kafka's versions from ${brokers}/kafka.sh"
[ -n "${artemis_version}" ] && [ -n "${artemis_slf4j_version}" ] || die "could not read Artemis's versions from ${brokers}/artemis.sh"

# fetch_jars of jvm-broker.sh, in a subshell (the lib defines its own say/die/main).
fetch_standin_jars() { # libs dir, what, proof jar, <dependency> elements
  (
    libs="$1" script_name=compose.sh
    # shellcheck source=../../brokers/lib/jvm-broker.sh
    . "${brokers}/lib/jvm-broker.sh"
    fetch_jars "$2" "$3" "$4"
  )
}

# Kafka: kafka_2.13 (broker, StorageTool, KafkaDockerWrapper), kafka-tools (the bin/ tools) and the
# log4j2 slf4j binding kafka.sh uses. Prints the directory.
kafka_jars() {
  local libs="${state}/jars/kafka-${kafka_version}"
  if [ ! -f "${libs}/kafka-tools-${kafka_version}.jar" ]; then
    fetch_standin_jars "${libs}" "kafka_2.13 and kafka-tools ${kafka_version}" "kafka-tools-${kafka_version}.jar" \
      "<dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${kafka_version}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>${kafka_version}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>${kafka_log4j_version}</version></dependency>" >&2
  fi
  echo "${libs}"
}

# Artemis: the same jars as artemis.sh (artemis-server, artemis-amqp-protocol, slf4j-simple).
artemis_jars() {
  local libs="${state}/jars/artemis-${artemis_version}"
  if [ ! -f "${libs}/artemis-amqp-protocol-${artemis_version}.jar" ]; then
    fetch_standin_jars "${libs}" "artemis-server and artemis-amqp-protocol ${artemis_version}" "artemis-amqp-protocol-${artemis_version}.jar" \
      "<dependency><groupId>org.apache.activemq</groupId><artifactId>artemis-server</artifactId><version>${artemis_version}</version></dependency>
    <dependency><groupId>org.apache.activemq</groupId><artifactId>artemis-amqp-protocol</artifactId><version>${artemis_version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>${artemis_slf4j_version}</version></dependency>" >&2
  fi
  echo "${libs}"
}
