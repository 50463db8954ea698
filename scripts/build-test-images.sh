#!/bin/sh
# Makes the test image flotilla.test/busybox:1 without a registry: a root file system holding
# Debian's busybox-static and a link for each applet, imported with `docker import`. Also saves it as
# test-output/images/busybox-1.tar (a `docker save` archive) for side-loading onto test hosts.
#
# Idempotent and fast when nothing changed: the image carries the busybox binary's sha256 as a label
# and is rebuilt only when that differs. Needs: docker (a running engine), busybox-static.
#   DOCKER_HOST   the engine to use (default: the local socket)
#   OUT_DIR       where the tarball goes (default: test-output/images)
set -eu
cd "$(dirname "$0")/.."
image=flotilla.test/busybox:1
out_dir=${OUT_DIR:-test-output/images}
tarball=$out_dir/busybox-1.tar

busybox=$(command -v busybox || true)
if [ -z "$busybox" ] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
  for candidate in /bin/busybox /usr/bin/busybox; do
    if [ -x "$candidate" ]; then busybox=$candidate; fi
  done
fi
if [ -z "$busybox" ] || [ ! -x "$busybox" ]; then
  echo "build-test-images: busybox not found (apt-get install -y busybox-static)" >&2
  exit 1
fi
source_sum=$(sha256sum "$busybox" | cut -c1-64)

current=$(docker image inspect --format '{{ index .Config.Labels "dev.flotilla.test.source" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$source_sum" ] && [ -s "$tarball" ]; then
  echo "build-test-images: $image is up to date ($tarball)"
  exit 0
fi

if [ "$current" != "$source_sum" ]; then
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root" "$rootfs/www" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
  chmod 1777 "$rootfs/tmp"
  cp "$busybox" "$rootfs/bin/busybox"
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  echo 'hello from flotilla.test/busybox' >"$rootfs/www/index.html"
  tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -c . |
    docker import \
      --change 'CMD ["sh"]' \
      --change 'ENV PATH=/bin' \
      --change "LABEL dev.flotilla.test.source=$source_sum" \
      - "$image" >/dev/null
  echo "build-test-images: built $image"
fi

mkdir -p "$out_dir"
docker save -o "$tarball.tmp" "$image"
mv "$tarball.tmp" "$tarball"
echo "build-test-images: saved $tarball"
