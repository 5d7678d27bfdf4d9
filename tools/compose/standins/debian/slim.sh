#!/bin/bash
# Trims a `debootstrap --variant=minbase bookworm` root file system into a debian:bookworm-slim
# stand-in (run by tools/compose/compose.sh images): apt sources for bookworm, bookworm-updates and
# the security archive; services never start inside (policy-rc.d); no docs, man pages or locales,
# now and in later installs (dpkg path excludes, as the slim images do); apt lists and caches empty.
set -euo pipefail
root="$1"
[ -x "${root}/usr/bin/apt-get" ] || { echo "slim.sh: ${root} is not a Debian root file system" >&2; exit 1; }

rm -f "${root}/etc/apt/sources.list"
cat >"${root}/etc/apt/sources.list.d/debian.sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

printf '#!/bin/sh\n# no service starts inside an image\nexit 101\n' >"${root}/usr/sbin/policy-rc.d"
chmod 755 "${root}/usr/sbin/policy-rc.d"

cat >"${root}/etc/dpkg/dpkg.cfg.d/slim" <<'DPKG'
# slim: no documentation, man pages or translations (copyright files stay)
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
DPKG
cat >"${root}/etc/apt/apt.conf.d/slim" <<'APT'
// slim: keep no downloaded packages, no translations
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
APT

find "${root}/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "${root}/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "${root}/usr/share/man/"* "${root}/usr/share/info/"* "${root}/usr/share/lintian/"*
find "${root}/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
rm -rf "${root}/var/lib/apt/lists/"* "${root}/var/cache/apt/"*.bin "${root}/var/cache/apt/archives/"*.deb \
  "${root}/var/cache/debconf/"*-old "${root}/var/lib/dpkg/"*-old "${root}/var/log/"*.log "${root}/var/log/apt/"* \
  "${root}/tmp/"* "${root}/root/.bash_history"
# The container engine provides these.
rm -f "${root}/etc/resolv.conf" "${root}/etc/hostname"
: >"${root}/etc/machine-id"
[ -e "${root}/var/lib/dbus/machine-id" ] && rm -f "${root}/var/lib/dbus/machine-id"
exit 0
