#!/usr/bin/env bash
# Test hosts on one Linux machine: each one a network namespace with its own IP, plus private mounts
# (its own /run, /tmp, Docker data, users, machine-id, agent folders) and its own dockerd and sshd —
# from the cluster's point of view a separate machine reached over SSH.
#
#   scripts/testbed.sh up N     create hosts 1..N (keeps healthy ones, recreates broken ones,
#                               removes hosts above N), load the test images, print the summary
#   scripts/testbed.sh down     stop and remove everything the script created (also after a crash)
#   scripts/testbed.sh status   print the summary with each host's liveness; exit 1 if any is down
#
# Layout (instance 0): bridge flotilla-tb0 (10.77.0.1/24) on the machine; host I is namespace flotilla-vmI with
# eth0 = 10.77.0.(I+1)/24 (default route via 10.77.0.1), its veth peer fltb-vmI on the bridge, so the
# hosts reach the machine and each other directly. Nothing outside 10.77.0.0/24 is touched; no NAT
# is added, so the hosts reach nothing beyond the machine and each other.
#
# Each host: sshd on IP:22 with its own ed25519 host key; root and `tester` (password
# `flotilla-test`, not in the docker group) accept the test key STATE/id_ed25519. Its dockerd
# answers on /run/docker.sock inside the host and on STATE/hosts/NAME/docker.sock from the machine.
#
# Environment: FLOTILLA_TESTBED_INSTANCE (0..99, see below), FLOTILLA_TESTBED_STATE (default /var/lib/flotilla-testbed), FLOTILLA_TESTBED_IMAGES
# (image tarballs to load, default test-output/images/*.tar, built by scripts/build-test-images.sh).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
# Instances are independent test beds (a suite that takes one down must not break another's hosts):
# instance K uses 10.77.K.0/24, bridge flotilla-tbK, and for K > 0 its own names and state dir.
instance=${FLOTILLA_TESTBED_INSTANCE:-0}
[[ "$instance" =~ ^[0-9]+$ ]] && [ "$instance" -le 99 ] || { echo "FLOTILLA_TESTBED_INSTANCE must be 0..99" >&2; exit 1; }
if [ "$instance" = 0 ]; then
  state=${FLOTILLA_TESTBED_STATE:-/var/lib/flotilla-testbed}
  ns_prefix=flotilla-vm
  veth_prefix=fltb-vm
else
  state=${FLOTILLA_TESTBED_STATE:-/var/lib/flotilla-testbed-$instance}
  ns_prefix=flotilla-tb$instance-vm
  veth_prefix=fltb$instance-vm
fi
bridge=flotilla-tb$instance
subnet_prefix=10.77.$instance
gateway=$subnet_prefix.1
rule_comment=flotilla-testbed-$instance
lock_file=/run/flotilla-testbed-$instance.lock
tester_user=tester
tester_password=flotilla-test
# Folders the agent installs into: private per host so hosts do not share an installation.
# /etc/docker too: dockerd 20.10 derives the engine's ID from /etc/docker/key.json.
private_dirs=(/var/lib/flotilla-agent /opt/flotilla /etc/flotilla /var/log/flotilla /etc/docker)

log() { printf '[testbed] %s\n' "$*" >&2; }
die() {
  printf '[testbed] ERROR: %s\n' "$*" >&2
  exit 1
}

host_name() { printf '%s%s' "$ns_prefix" "$1"; }
host_ip() { printf '%s.%s' "$subnet_prefix" "$(($1 + 1))"; }
host_dir() { printf '%s/hosts/%s' "$state" "$(host_name "$1")"; }

require_tools() {
  [ "$(id -u)" -eq 0 ] || die "run as root (it creates namespaces, links and mounts)"
  local missing=()
  for t in ip iptables unshare setsid flock dockerd docker ssh-keygen openssl; do
    command -v "$t" >/dev/null || missing+=("$t")
  done
  [ -x /usr/sbin/sshd ] || missing+=(sshd)
  [ "${#missing[@]}" -eq 0 ] || die "missing tools: ${missing[*]} (scripts/provision-debian.sh installs them)"
}

# Wait for a command to succeed, up to $1 seconds.
wait_until() {
  local timeout=$1
  shift
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# --- machine-wide pieces: keypair, bridge, forwarding rule ----------------------------------------

ensure_keypair() {
  mkdir -p "$state"
  # Readable: sshd reads authorized_keys as the logging-in user. The private key itself is 0600.
  chmod 755 "$state"
  if [ ! -s "$state/id_ed25519" ]; then
    rm -f "$state/id_ed25519" "$state/id_ed25519.pub"
    ssh-keygen -q -t ed25519 -N '' -C flotilla-testbed -f "$state/id_ed25519"
  fi
  cp "$state/id_ed25519.pub" "$state/authorized_keys"
  chmod 644 "$state/authorized_keys"
}

ensure_bridge() {
  # Refuse to share the range with anything not ours.
  local other
  other=$(ip -o -4 addr show | awk -v b="$bridge" -v p="$subnet_prefix." '$2 != b && index($4, p) == 1 {print $2}' || true)
  [ -z "$other" ] || die "$subnet_prefix.0/24 is already used by $other: not touching it"
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
  fi
  ip addr replace "$gateway/24" dev "$bridge"
  ip link set "$bridge" up
  # With br_netfilter, bridged frames go through the FORWARD chain, whose policy dockerd sets to DROP.
  if ! iptables -C FORWARD -i "$bridge" -o "$bridge" -m comment --comment "$rule_comment" -j ACCEPT 2>/dev/null; then
    iptables -I FORWARD 1 -i "$bridge" -o "$bridge" -m comment --comment "$rule_comment" -j ACCEPT
  fi
}

# --- one host -------------------------------------------------------------------------------------

init_pid() {
  local dir
  dir=$(host_dir "$1")
  [ -s "$dir/init.pid" ] || return 1
  local pid
  pid=$(cat "$dir/init.pid")
  [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] || return 1
  printf '%s' "$pid"
}

host_healthy() {
  local i=$1 dir
  dir=$(host_dir "$i")
  init_pid "$i" >/dev/null &&
    ip netns pids "$(host_name "$i")" >/dev/null 2>&1 &&
    tcp_open "$(host_ip "$i")" 22 &&
    timeout 10 docker -H "unix://$dir/docker.sock" info >/dev/null 2>&1
}

write_host_files() {
  local i=$1 dir name ip
  dir=$(host_dir "$i")
  name=$(host_name "$i")
  ip=$(host_ip "$i")
  mkdir -p "$dir/ssh" "$dir/docker" "$dir/root" "$dir/etc" "$dir/home/$tester_user"
  chmod 700 "$dir/root"
  rm -f "$dir/ssh/ssh_host_ed25519_key" "$dir/ssh/ssh_host_ed25519_key.pub"
  ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$dir/ssh/ssh_host_ed25519_key"

  # Its own users: the machine's, plus an unprivileged tester with a password.
  local uid=47077
  cp /etc/passwd "$dir/etc/passwd"
  cp /etc/group "$dir/etc/group"
  cp /etc/shadow "$dir/etc/shadow"
  chmod 640 "$dir/etc/shadow"
  if ! grep -q "^$tester_user:" "$dir/etc/passwd"; then
    printf '%s:x:%s:%s::%s:/bin/bash\n' "$tester_user" "$uid" "$uid" "$dir/home/$tester_user" >>"$dir/etc/passwd"
    printf '%s:x:%s:\n' "$tester_user" "$uid" >>"$dir/etc/group"
    printf '%s:%s:19000:0:99999:7:::\n' "$tester_user" "$(openssl passwd -6 "$tester_password")" >>"$dir/etc/shadow"
  fi
  chown "$uid:$uid" "$dir/home/$tester_user"
  # A machine-id of its own (agents derive the node's identity from it).
  openssl rand -hex 16 >"$dir/etc/machine-id"

  mkdir -p "$dir/private"
  for d in "${private_dirs[@]}"; do
    mkdir -p "$dir/private/$(printf '%s' "$d" | tr '/' '_')"
    if [ ! -d "$d" ]; then
      mkdir -p "$d"
      echo "$d" >>"$state/created-dirs"
    fi
  done
  # The engine's settings are the machine's; its identity is its own.
  [ ! -f /etc/docker/daemon.json ] || cp /etc/docker/daemon.json "$dir/private/_etc_docker/"

  cat >"$dir/sshd_config" <<EOF
ListenAddress $ip
Port 22
HostKey $dir/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
AuthorizedKeysFile $state/authorized_keys
StrictModes no
UsePAM no
AllowTcpForwarding yes
MaxStartups 100:30:200
MaxSessions 100
PrintMotd no
UseDNS no
Subsystem sftp internal-sftp
EOF
}

start_host() {
  local i=$1 dir name ip veth
  dir=$(host_dir "$i")
  name=$(host_name "$i")
  ip=$(host_ip "$i")
  veth=$veth_prefix$i
  log "starting $name ($ip)"
  write_host_files "$i"

  ip netns add "$name"
  # A fixed MAC per host: a recreated host keeps its address's MAC, so neighbours' ARP caches stay right.
  local mac
  mac=$(printf '02:fb:%02x:00:%02x:%02x' "$instance" $((i / 256)) $((i % 256)))
  ip link add "$veth" type veth peer name eth0 address "$mac" netns "$name"
  ip neigh flush to "$ip" dev "$bridge" 2>/dev/null || true
  ip link set "$veth" master "$bridge"
  ip link set "$veth" up
  ip netns exec "$name" sh -c "ip link set lo up && ip addr add $ip/24 dev eth0 && ip link set eth0 up && ip route add default via $gateway"

  rm -f "$dir/init.pid"
  # setsid: the host outlives this script and the process group that ran it.
  setsid ip netns exec "$name" unshare --mount --uts --propagation private \
    sh "$repo/scripts/testbed/host-init.sh" "$name" "$dir" "${private_dirs[@]}" \
    >"$dir/init.log" 2>&1 </dev/null 9>&- &
}

wait_host() {
  local i=$1 dir ip
  dir=$(host_dir "$i")
  ip=$(host_ip "$i")
  wait_until 30 init_pid "$i" || {
    cat "$dir/init.log" >&2 || true
    die "$(host_name "$i"): init did not start (log: $dir/init.log)"
  }
  wait_until 30 tcp_open "$ip" 22 || {
    tail -n 20 "$dir/sshd.log" >&2 || true
    die "$(host_name "$i"): sshd does not answer on $ip:22 (log: $dir/sshd.log)"
  }
  wait_until 60 docker -H "unix://$dir/docker.sock" info || {
    tail -n 30 "$dir/dockerd.log" >&2 || true
    die "$(host_name "$i"): dockerd does not answer (log: $dir/dockerd.log)"
  }
}

load_images() {
  local i=$1 dir
  dir=$(host_dir "$i")
  local tarball
  for tarball in "${image_tarballs[@]}"; do
    docker -H "unix://$dir/docker.sock" load -q -i "$tarball" >/dev/null ||
      die "$(host_name "$i"): loading $tarball failed"
  done
}

# Every process that belongs to a host: in its network namespace, in its mount namespace, or in a
# container of its engine (containers have namespaces of their own; their cgroup names the container).
host_pids() {
  local name=$1 dir=$2 pids=() p
  if ip netns list 2>/dev/null | grep -qw "^$name"; then
    while read -r p; do pids+=("$p"); done < <(ip netns pids "$name" 2>/dev/null || true)
  fi
  if [ -s "$dir/init.pid" ] && [ -d "/proc/$(cat "$dir/init.pid")" ]; then
    local mnt
    mnt=$(readlink "/proc/$(cat "$dir/init.pid")/ns/mnt" 2>/dev/null || true)
    if [ -n "$mnt" ]; then
      for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$mnt" ] && pids+=("${p#/proc/}")
      done
    fi
  fi
  if [ -d "$dir/docker/containers" ]; then
    local ids
    ids=$(ls "$dir/docker/containers" 2>/dev/null | tr '\n' '|' | sed 's/|$//')
    if [ -n "$ids" ]; then
      for p in /proc/[0-9]*; do
        grep -qE "$ids" "$p/cgroup" 2>/dev/null && pids+=("${p#/proc/}")
      done
    fi
  fi
  [ "${#pids[@]}" -eq 0 ] || printf '%s\n' "${pids[@]}" | sort -un
}

# True while any of the processes runs (a zombie counts as gone: the host's init never reaps).
alive() {
  local p st
  for p in "$@"; do
    st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null || true)
    [ -n "$st" ] && [ "$st" != Z ] && return 0
  done
  return 1
}

stop_host() {
  local name=$1 dir=$2 veth=$3
  log "stopping $name"
  # Containers first, through the host's engine, so nothing of them outlives it.
  if [ -S "$dir/docker.sock" ] && timeout 5 docker -H "unix://$dir/docker.sock" info >/dev/null 2>&1; then
    local ids
    ids=$(timeout 10 docker -H "unix://$dir/docker.sock" ps -aq 2>/dev/null || true)
    [ -z "$ids" ] || timeout 60 docker -H "unix://$dir/docker.sock" rm -f $ids >/dev/null 2>&1 || true
  fi
  local pids dockerd_pid
  # The host's own dockerd (found among its processes, never by name alone) stops its containers.
  dockerd_pid=$(for p in $(host_pids "$name" "$dir"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = dockerd ] && echo "$p"
  done || true)
  if [ -n "$dockerd_pid" ]; then
    kill -TERM $dockerd_pid 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while alive $dockerd_pid && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  fi
  mapfile -t pids < <(host_pids "$name" "$dir")
  if [ "${#pids[@]}" -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local deadline=$((SECONDS + 5))
    while alive "${pids[@]}" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    mapfile -t pids < <(host_pids "$name" "$dir")
    [ "${#pids[@]}" -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
    deadline=$((SECONDS + 5))
    while alive "${pids[@]}" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  fi
  ip link del "$veth" 2>/dev/null || true
  ip netns del "$name" 2>/dev/null || true
  # Mounts live in the host's own mount namespace and vanish with its processes; a leftover one here
  # would make the rm fail, so detach any that leaked.
  if [ -d "$dir" ]; then
    { grep -F " $dir" /proc/self/mounts || true; } | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" || true; done
    rm -rf "$dir"
  fi
}

known_host_indices() {
  {
    ls "$state/hosts" 2>/dev/null || true
    ip netns list 2>/dev/null | awk '{print $1}' || true
    ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^$veth_prefix" | sed "s/^$veth_prefix/$ns_prefix/" || true
  } | grep -E "^$ns_prefix[0-9]+$" | sed "s/^$ns_prefix//" | sort -un
}

destroy_host() {
  local i=$1
  [ -d "$(host_dir "$i")" ] || ip netns list 2>/dev/null | grep -qw "^$(host_name "$i")" ||
    ip link show "$veth_prefix$i" >/dev/null 2>&1 || return 0
  stop_host "$(host_name "$i")" "$(host_dir "$i")" "$veth_prefix$i"
}

# --- summary --------------------------------------------------------------------------------------

fingerprint() { ssh-keygen -l -E sha256 -f "$1" | awk '{print $2}'; }

summary() {
  local n=$1 check=${2:-no} i first=1
  printf '{\n  "instance": %s,\n  "stateDir": "%s",\n  "bridge": "%s",\n  "gateway": "%s",\n  "subnet": "%s",\n' "$instance" "$state" "$bridge" "$gateway" "$subnet_prefix.0/24"
  printf '  "privateKey": "%s",\n  "publicKey": "%s",\n' "$state/id_ed25519" "$state/id_ed25519.pub"
  printf '  "password": {"user": "%s", "password": "%s"},\n  "hosts": [' "$tester_user" "$tester_password"
  for i in $(seq 1 "$n"); do
    local dir name
    dir=$(host_dir "$i")
    name=$(host_name "$i")
    [ -d "$dir" ] || continue
    [ "$first" = 1 ] || printf ','
    first=0
    printf '\n    {"name": "%s", "index": %s, "ip": "%s", "sshPort": 22, "user": "root",' "$name" "$i" "$(host_ip "$i")"
    printf ' "privateKey": "%s",' "$state/id_ed25519"
    printf ' "hostKeyFingerprint": "%s",' "$(fingerprint "$dir/ssh/ssh_host_ed25519_key.pub")"
    printf ' "hostPublicKey": "%s",' "$dir/ssh/ssh_host_ed25519_key.pub"
    printf ' "dockerSocket": "%s", "netns": "%s", "veth": "%s", "dir": "%s"' "$dir/docker.sock" "$name" "$veth_prefix$i" "$dir"
    if [ "$check" = yes ]; then
      if host_healthy "$i"; then printf ', "alive": true'; else printf ', "alive": false'; fi
    fi
    printf '}'
  done
  printf '\n  ]\n}\n'
}

# --- commands -------------------------------------------------------------------------------------

cmd_up() {
  local n=${1:-}
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 200 ] || die "usage: testbed.sh up N (1..200)"
  require_tools
  local started=$SECONDS

  image_tarballs=()
  if [ -n "${FLOTILLA_TESTBED_IMAGES:-}" ]; then
    read -r -a image_tarballs <<<"$FLOTILLA_TESTBED_IMAGES"
  else
    [ -s "$repo/test-output/images/busybox-1.tar" ] || "$repo/scripts/build-test-images.sh" >&2
    image_tarballs=("$repo"/test-output/images/*.tar)
  fi

  ensure_keypair
  ensure_bridge
  local i
  for i in $(known_host_indices); do
    [ "$i" -le "$n" ] || destroy_host "$i"
  done
  local fresh=()
  for i in $(seq 1 "$n"); do
    if [ -d "$(host_dir "$i")" ] && host_healthy "$i"; then
      continue
    fi
    destroy_host "$i"
    start_host "$i"
    fresh+=("$i")
  done
  for i in "${fresh[@]}"; do wait_host "$i"; done
  local pids=()
  for i in $(seq 1 "$n"); do
    load_images "$i" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || die "loading images failed"; done
  echo "$n" >"$state/count"
  summary "$n" >"$state/testbed.json"
  log "$n host(s) up in $((SECONDS - started)) s (${#fresh[@]} started); summary: $state/testbed.json"
  cat "$state/testbed.json"
}

cmd_down() {
  require_tools
  local i
  for i in $(known_host_indices); do destroy_host "$i"; done
  while iptables -D FORWARD -i "$bridge" -o "$bridge" -m comment --comment "$rule_comment" -j ACCEPT 2>/dev/null; do :; done
  ip link del "$bridge" 2>/dev/null || true
  # The empty mount points made for the private folders go too, unless another instance still has
  # hosts (removing a folder detaches the mounts on it in every namespace).
  local others
  others=$(ls -d /var/lib/flotilla-testbed /var/lib/flotilla-testbed-* 2>/dev/null | grep -vx "$state" || true)
  if [ -f "$state/created-dirs" ] && [ -z "$others" ]; then
    sort -u "$state/created-dirs" | while read -r d; do rmdir "$d" 2>/dev/null || true; done
  elif [ -f "$state/created-dirs" ]; then
    for o in $others; do sort -u "$state/created-dirs" >>"$o/created-dirs"; done
  fi
  rm -rf "$state"
  log "down: no test hosts left"
}

cmd_status() {
  [ -s "$state/count" ] || {
    log "no test hosts (run: scripts/testbed.sh up N)"
    exit 1
  }
  local n ok=0 i
  n=$(cat "$state/count")
  summary "$n" yes
  for i in $(seq 1 "$n"); do host_healthy "$i" || ok=1; done
  exit "$ok"
}

# One up/down at a time per instance (suites in parallel workers may ask for hosts together).
locked() {
  exec 9>"$lock_file"
  flock -w 300 9 || die "another testbed.sh holds $lock_file"
  "$@"
}

case "${1:-}" in
  up) locked cmd_up "${2:-}" ;;
  down) locked cmd_down ;;
  status) cmd_status ;;
  *) die "usage: testbed.sh up N | down | status" ;;
esac
