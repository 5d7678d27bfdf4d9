#!/usr/bin/env bash
# Run the repository's docker-compose.yml on a machine that reaches no image registry: the images
# are local stand-ins built under the official names (Debian packages, Maven Central jars, npm
# tarballs on a debootstrap base), and the stack runs in a private network namespace whose
# published ports answer at ${FJORD_COMPOSE_ADDRESS} (10.203.0.2) from the root namespace.
#   tools/compose/compose.sh install    apt-get install docker.io docker-compose debootstrap iproute2
#                                       (only the missing ones; waits for dpkg's lock; as root)
#   tools/compose/compose.sh images [NAME...]
#                                       start our dockerd in the root namespace (no bridge, no
#                                       iptables), build debian:bookworm-slim (debootstrap, tarball
#                                       cached) and the stand-ins (node rabbitmq postgres kafka
#                                       artemis redis; each skipped while its image carries the hash of its
#                                       build inputs), then the app image from the repo's Dockerfile
#                                       (NAME "app"), stop that dockerd. Prints each step's duration.
#   tools/compose/compose.sh up [ARGS]  namespace + veth, our dockerd inside it (same data root),
#                                       docker-compose up -d --no-build ARGS, wait until every
#                                       container is healthy (or running without a health check),
#                                       else print the others' last health checks and logs, exit 1
#   tools/compose/compose.sh compose ARGS   docker-compose -p fjord -f FILE ARGS (ps, logs api,
#                                       restart rabbitmq, exec kafka ...) against our dockerd
#   tools/compose/compose.sh docker ARGS    the docker CLI against our dockerd
#   tools/compose/compose.sh wait       wait as `up` does (e.g. after `compose restart rabbitmq`)
#   tools/compose/compose.sh down       docker-compose down -v --remove-orphans, stop our dockerd,
#                                       unmount what it left, delete the veth and the namespace.
#                                       Idempotent.
#   tools/compose/compose.sh status     exit 0 when the stack's dockerd runs; prints the containers
#   tools/compose/compose.sh address    prints the address of the stack's published ports
#   tools/compose/compose.sh ready      exit 0 when `up` can run: root, the packages, every image
#                                       built by a full `images` run (the smoke test asks this)
# Never uses /var/run/docker.sock or a system dockerd: DOCKER_HOST=unix://$FJORD_COMPOSE_HOME/docker.sock.
# Env: FJORD_CACHE (~/.cache/fjord), FJORD_COMPOSE_HOME ($FJORD_CACHE/compose: data root, exec root,
#      socket, pid file, logs, base tarball, jars, npm tarballs), FJORD_COMPOSE_FILE (the repo's
#      docker-compose.yml; `compose` and `down` default to the file of the last `up`),
#      FJORD_COMPOSE_ENV_FILE (docker-compose's --env-file, e.g. etc/compose/amqp1.env; remembered
#      like the compose file), COMPOSE_PROFILES (docker-compose's own), FJORD_COMPOSE_PROJECT
#      (fjord), FJORD_COMPOSE_WAIT (300 s for health),
#      FJORD_COMPOSE_ADDRESS (10.203.0.2; the root side is the other host of its /30; exported, so a
#      compose file can advertise ${FJORD_COMPOSE_ADDRESS:-localhost}),
#      FJORD_COMPOSE_NETNS (fjord-compose), FJORD_COMPOSE_VETH (fjord-cmp0; inside: fjord-cmp1),
#      FJORD_COMPOSE_APP_IMAGE (fjord:latest), FJORD_COMPOSE_APP_CONTEXT (the repo),
#      FJORD_COMPOSE_DOCKERFILE ($FJORD_COMPOSE_APP_CONTEXT/Dockerfile; none: no app image),
#      FJORD_COMPOSE_REBUILD (non-empty: rebuild stand-ins even when up to date),
#      FJORD_COMPOSE_NODE_VERSION (20.20.2), FJORD_COMPOSE_NPM_VERSION (10.8.2),
#      FJORD_COMPOSE_MIRROR (http://deb.debian.org/debian, for debootstrap).
#      Kafka's and Artemis's versions are the defaults of tools/brokers/kafka.sh and artemis.sh.
# Needs root (namespaces, dockerd), and java, javac, mvn and npm on the machine for `images`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
# shellcheck source=lib/common.sh
. "${here}/lib/common.sh"
# shellcheck source=lib/jars.sh
. "${here}/lib/jars.sh"
# shellcheck source=lib/dockerd.sh
. "${here}/lib/dockerd.sh"
# shellcheck source=lib/images.sh
. "${here}/lib/images.sh"
# shellcheck source=lib/stack.sh
. "${here}/lib/stack.sh"

verb="${1:-}"
[ $# -gt 0 ] && shift
case "${verb}" in
  install) install_packages ;;
  images) images "$@" ;;
  up) up "$@" ;;
  compose) compose "$@" ;;
  docker) docker "$@" ;;
  wait) [ "$(dockerd_mode 2>/dev/null)" = netns ] || die "the stack is not up"; wait_healthy "$(now)" "the start of the wait" ;;
  down) down ;;
  status) status ;;
  ready) ready ;;
  address) echo "${address}" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
