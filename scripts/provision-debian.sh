#!/usr/bin/env bash
# Provisions a bare Debian 12 machine, as root, with what Flotilla's tests and benchmarks need:
# Docker engine, sshd, network tools, Chromium (UI tests), etcd (store benchmarks' peer), busybox
# (test images without a registry), Xvfb, kubectl and the native build toolchain. Idempotent: safe to
# run again; it installs only what is missing and starts dockerd only if it is not answering.
# Works without systemd (CI VMs and containers): dockerd is started as a background process.
set -euo pipefail

log() { printf '[provision] %s\n' "$*"; }
die() { printf '[provision] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs system packages and starts dockerd)"
command -v apt-get >/dev/null || die "apt-get not found: this script is for Debian 12"

PACKAGES=(
  docker.io openssh-server openssh-client iptables iproute2 chromium etcd-server etcd-client
  busybox-static xvfb ca-certificates curl git python3 make g++
)
# kubectl: /usr/bin/kubectl may already be a newer one; Debian's kubernetes-client (1.20) is the fallback.
[ -x /usr/bin/kubectl ] || PACKAGES+=(kubernetes-client)

export DEBIAN_FRONTEND=noninteractive
# Wait for a dpkg lock held by another apt run instead of failing at once.
APT=(apt-get -y -q -o DPkg::Lock::Timeout=600)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  "${APT[@]}" update
  # Package scripts may try to start services; without an init system that can fail harmlessly,
  # so a policy-rc.d that forbids it is in place during the install (and removed afterwards if ours).
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created_policy=1
  fi
  trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
  "${APT[@]}" install "${missing[@]}"
  [ "$created_policy" = 1 ] && rm -f "$policy"
  trap - EXIT
else
  log "system packages already installed"
fi

command -v kubectl >/dev/null || die "kubectl is still missing after installing kubernetes-client"
log "kubectl: $(kubectl version --client 2>/dev/null | head -n1)"

# Node.js: the project needs Node >= 20 with its headers (better-sqlite3 builds from source here, since
# its prebuilt binaries come from GitHub). Debian 12's own nodejs is 18, so this is checked, not installed.
if command -v node >/dev/null; then
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$node_major" -ge 20 ] || die "Node.js >= 20 is required, found $(node --version)"
  log "node: $(node --version), npm: $(npm --version 2>/dev/null || echo missing)"
else
  die "Node.js >= 20 is required and not installed"
fi

# Docker engine: no systemd here, so start dockerd ourselves when it is not answering.
if docker info >/dev/null 2>&1; then
  log "dockerd already running"
else
  log "starting dockerd"
  mkdir -p /var/log
  # setsid: the daemon must outlive this script and whatever process group runs it.
  setsid dockerd >/var/log/dockerd.log 2>&1 </dev/null &
  deadline=$((SECONDS + 90))
  until [ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 /var/log/dockerd.log >&2 || true
      die "dockerd did not become ready within 90 s (log: /var/log/dockerd.log)"
    fi
    sleep 0.5
  done
  log "dockerd ready"
fi
log "docker: $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
log "done"
