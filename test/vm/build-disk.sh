#!/bin/bash
# Builds the VM lane's disk: a Debian trixie root file system (kernel, systemd, Docker, Node.js,
# AppArmor) turned into a raw ext4 image with `mkfs.ext4 -d` (no loop device, no mount of the
# image). Usage: build-disk.sh OUT_DIR
# Writes OUT_DIR/root.img, OUT_DIR/vmlinuz, OUT_DIR/initrd.img, OUT_DIR/kernel-version.
# The caller (test/vm/disk.ts) builds into a temporary folder and renames it when complete;
# everything that defines the disk is this script and test/vm/rootfs/, whose hash names the cache.
set -euo pipefail
OUT=${1:?usage: build-disk.sh OUT_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOTFS=$OUT/rootfs
MIRROR=${KIND_ACTION_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SIZE=16G

PACKAGES=linux-image-amd64,initramfs-tools,systemd,systemd-sysv,systemd-resolved,udev,kmod,dbus
PACKAGES+=,docker.io,docker-cli,containerd,runc,iptables,apparmor,nodejs,ca-certificates
PACKAGES+=,iproute2,procps,util-linux,mount,e2fsprogs,xz-utils,zstd,curl

mkdir -p "$OUT"
# debootstrap mounts /proc and /sys in the target while packages install and unmounts them
# itself; the trap covers an interrupted run.
cleanup() {
  for m in proc sys dev/pts dev; do
    mountpoint -q "$ROOTFS/$m" 2>/dev/null && umount -l "$ROOTFS/$m"
  done
  return 0
}
trap cleanup EXIT
nice -n 10 debootstrap --variant=minbase --include="$PACKAGES" trixie "$ROOTFS" "$MIRROR"
cleanup

# systemd-networkd is a package of its own in newer Debian releases; trixie ships it inside
# systemd. Fail loudly if neither holds: the guest needs DHCP on eth0.
[ -x "$ROOTFS/usr/lib/systemd/systemd-networkd" ] || { echo "systemd-networkd missing in the root fs" >&2; exit 1; }

echo kindvm >"$ROOTFS/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 kindvm\n' >"$ROOTFS/etc/hosts"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' >"$ROOTFS/etc/fstab"
chroot "$ROOTFS" passwd -d root >/dev/null

# Files of the guest: network, test runner unit, boot time-outs, console autologin.
cp -a "$HERE/rootfs/." "$ROOTFS/"
chmod 0755 "$ROOTFS/usr/local/sbin/vm-lane-runner"
chroot "$ROOTFS" systemctl enable systemd-networkd systemd-resolved docker containerd vm-lane.service >/dev/null 2>&1
ln -sf /run/systemd/resolve/resolv.conf "$ROOTFS/etc/resolv.conf"
chroot "$ROOTFS" apt-get clean
# AppArmor stays enabled, and Docker confines containers with its docker-default profile as on
# Ubuntu's runners; the packaged profiles of other programs go: compiling them under emulation
# added about 90 s to every boot.
find "$ROOTFS/etc/apparmor.d" -maxdepth 1 -type f -delete

KVER=$(ls "$ROOTFS/lib/modules" | sort -V | tail -1)
[ -e "$ROOTFS/boot/initrd.img-$KVER" ] || chroot "$ROOTFS" update-initramfs -c -k "$KVER"
cp "$ROOTFS/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
cp "$ROOTFS/boot/initrd.img-$KVER" "$OUT/initrd.img"
echo "$KVER" >"$OUT/kernel-version"

truncate -s "$SIZE" "$OUT/root.img"
mkfs.ext4 -q -F -L root -d "$ROOTFS" "$OUT/root.img"
rm -rf "$ROOTFS"
trap - EXIT
echo "disk built: $OUT/root.img (kernel $KVER)"
