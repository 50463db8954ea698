#!/bin/sh
# PID "1" of one test host (see scripts/testbed.sh). Runs inside the host's network namespace, in a
# fresh mount and UTS namespace (`ip netns exec NS unshare --mount --uts`), so what it mounts here is
# that host's alone: its /run (docker.sock, pid files), /tmp, Docker data, agent folders, users and
# machine-id. Then it starts the host's dockerd and sshd and stays alive holding the namespaces.
#   host-init.sh NAME HOST_DIR PRIVATE_DIRS...
set -eu
name=$1
dir=$2
shift 2

hostname "$name"
mount --make-rprivate /

# `ip netns exec` remounted /sys for the namespace, which hides the cgroup mounts dockerd needs.
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/sshd /run/lock
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
  if grep -qw "$c" /proc/cgroups; then
    mkdir -p "/sys/fs/cgroup/$c"
    mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"
  fi
done
mkdir -p /sys/fs/cgroup/systemd
mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd

# The file system is otherwise shared with the machine: whatever a "separate machine" must not share
# is bind-mounted from the host's own folder.
mkdir -p /var/lib/docker
mount --bind "$dir/docker" /var/lib/docker
mount --bind "$dir/root" /root
mount --bind "$dir/etc/passwd" /etc/passwd
mount --bind "$dir/etc/shadow" /etc/shadow
mount --bind "$dir/etc/group" /etc/group
mount --bind "$dir/etc/machine-id" /etc/machine-id
for d in "$@"; do
  key=$(printf '%s' "$d" | tr '/' '_')
  mount --bind "$dir/private/$key" "$d"
done

setsid dockerd \
  --pidfile /run/docker.pid \
  --data-root /var/lib/docker \
  -H unix:///run/docker.sock \
  -H "unix://$dir/docker.sock" \
  >"$dir/dockerd.log" 2>&1 </dev/null &

/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"

echo $$ >"$dir/init.pid"
exec sleep infinity
