# shellcheck shell=bash
# Ingredient, not a target: the static busybox of Debian's busybox-static,
# the user space of the initramfs images and of the root file system. Their
# entries are named after its version (busybox-<version>-<hash>).

readonly BUSYBOX_PKG=busybox-static

# extract_busybox VERSION WORK: downloads busybox-static=VERSION into the
# (empty) directory WORK and leaves its static binary at WORK/busybox.
extract_busybox() {
	local version=$1 work=$2
	apt_extract "$BUSYBOX_PKG" "$version" "$work"
	[[ -x $work/pkg/bin/busybox ]] || die "$BUSYBOX_PKG $version has no bin/busybox"
	mv -- "$work/pkg/bin/busybox" "$work/busybox"
	rm -rf -- "$work/deb" "$work/pkg"
}
