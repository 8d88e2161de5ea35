#!/usr/bin/env bash
# Installs the Linux packages Berth's engine and tests use, when they are missing.
# Runs as root (apt-get); on a machine that already has them it does nothing.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have runc || need+=(runc)
# Each container's monitor.
have conmon || need+=(conmon)
# Names on user-defined networks.
[ -x /usr/lib/podman/aardvark-dns ] || need+=(aardvark-dns)
have ip || need+=(iproute2)
have tar || need+=(tar)
have zstd || need+=(zstd)
have nsenter || need+=(util-linux)
have iptables || need+=(iptables)
# Image builds (berth build, Docker's POST /build).
have buildah || need+=(buildah)
# The bundled hello image is built from busybox-static with umoci and skopeo.
have skopeo || need+=(skopeo)
have umoci || need+=(umoci)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd || need+=(busybox-static)
if [ "${1:-}" = "--test" ]; then
  have docker-registry || need+=(docker-registry)
  have chromium || need+=(chromium)
  have xvfb-run || need+=(xvfb)
  # The WSL distro's root filesystem is built with debootstrap (root's tool, in sbin).
  have debootstrap || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
  # Tests build a static UNIX socket tool for containers (e2e/fixtures/usock).
  have gcc || need+=(gcc)
  [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
  # Docker's own clients drive the Docker API: the CLI (this kind of machine has one on its PATH) and docker-py.
  have docker || need+=(docker.io)
  /usr/bin/python3 -c 'import docker' 2>/dev/null || need+=(python3-docker)
  # berth login through a credential helper: docker-credential-pass over pass and gpg.
  have docker-credential-pass || need+=(golang-docker-credential-helpers)
  have pass || need+=(pass)
  have gpg || need+=(gnupg)
fi
if [ "${#need[@]}" -eq 0 ]; then exit 0; fi

if [ "$(id -u)" != 0 ]; then
  echo "berth: missing system packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
echo "berth: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
