#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds the Turnstone guest artefacts from Debian packages, cached outside
# the repository.
#
#   images/build-guest.sh minimal|cloud|initramfs|initramfs-virtio|blkbench|rootfs|components|blkdriver|grub-mbr|syslinux-fat|gpt-cloud|debian12|all
#
#   minimal    Linux from Debian's linux-source-6.1: tinyconfig plus
#              images/linux/minimal.config, LZ4 payload.
#   cloud      Debian's cloud kernel (linux-image-cloud-amd64), with modules.
#   initramfs  gzip newc cpio for the minimal kernel: busybox and
#              images/initramfs/init.
#   initramfs-virtio
#              gzip newc cpio for the cloud kernel: busybox,
#              images/initramfs-virtio/init and the kernel's virtio modules.
#   blkbench   images/blkbench/blkbench.c, static, with the host gcc.
#   rootfs     ext4 image with busybox, images/rootfs/init and blkbench.
#   components images/components/samples/*.c as component ELFs, and the
#              host baseline crc32_host, with the host gcc.
#   blkdriver  images/blkdriver/ as one freestanding PVH ELF, with the host
#              gcc.
#   grub-mbr   disk image for a legacy BIOS: MBR, GRUB i386-pc (boot.img,
#              core.img in the gap), ext4 root with the minimal kernel.
#   syslinux-fat
#              disk image for a legacy BIOS: SYSLINUX's mbr.bin, FAT
#              partition with SYSLINUX and the minimal kernel, ext4 root.
#   gpt-cloud  disk image for a legacy BIOS laid out like Debian's cloud
#              images: GPT, BIOS boot partition with GRUB's core.img, ESP,
#              ext4 root with the minimal kernel.
#   all        all of the above, in this order.
#   debian12   (not in `all`: needs root, the network and minutes) Debian 12
#              made with debootstrap (systemd, Debian's cloud kernel and its
#              initramfs-tools initrd), GRUB i386-pc, on an MBR disk image.
#
# This file is the entry point only. Each target is one file in
# images/recipes/ (which says what it builds, from what, and its cache key),
# next to the ingredients several targets share (busybox.sh,
# gen-init-cpio.sh); images/build-guest-lib.sh is the shared library (cache,
# locks, publishing, apt, tools, logging). A new image is a new recipe file
# that calls `define_target NAME FUNCTION`; add NAME to ALL_TARGETS below if
# `all` should build it. See images/README.md.
#
# On success STDOUT carries only KEY=absolute-path lines:
#   MINIMAL_KERNEL MINIMAL_VMLINUX CLOUD_KERNEL CLOUD_MODULES INITRAMFS
#   VIRTIO_INITRAMFS BLKBENCH ROOTFS COMPONENTS_DIR BLKDRIVER GRUB_MBR_DISK
#   SYSLINUX_FAT_DISK GPT_CLOUD_DISK DEBIAN12_DISK
# (each at most once: rootfs reports the BLKBENCH it contains, the disk
# images the MINIMAL_KERNEL and ROOTFS they carry).
# Everything else goes to STDERR; the kernel build log goes to a file under
# the cache's logs/ directory.
#
# Cache root: ${TURNSTONE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/turnstone}.
# A complete cache entry is used without asking apt anything. Set
# TURNSTONE_REFRESH=1 to look up apt's current candidate versions and build
# whatever is not cached for them (after apt-get update, say).
#
# Entries are built in a temporary directory under the cache root and renamed
# into place, so an interrupted build never leaves an entry that looks
# complete. One lock per target serialises concurrent runs.
set -euo pipefail

# Keep the real stdout for the KEY=path lines; everything else, including
# the output of every tool we run, goes to stderr.
exec 3>&1 1>&2

export LC_ALL=C  # apt-cache's "Candidate:" is translated otherwise

IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_DIR="$(dirname "$IMAGES_DIR")"
readonly IMAGES_DIR REPO_DIR

# What `all` builds, in this order (which is also the order of the KEY=path
# lines).
readonly -a ALL_TARGETS=(minimal cloud initramfs initramfs-virtio blkbench rootfs components blkdriver grub-mbr syslinux-fat gpt-cloud)

# Filled by define_target as the recipes are sourced.
declare -A TARGET_FUNCTIONS=() TARGET_FILES=()
TARGET_NAMES=()

# define_target NAME FUNCTION: a recipe file declares that FUNCTION builds
# target NAME (and appends its KEY=path lines to RESULTS).
define_target() {
	[[ $1 != all ]] || die "${BASH_SOURCE[1]}: \`all' is not a name for a target"
	if [[ -n ${TARGET_FUNCTIONS[$1]+set} ]]; then
		die "target $1 is defined twice: in ${TARGET_FILES[$1]} and ${BASH_SOURCE[1]}"
	fi
	TARGET_FUNCTIONS[$1]=$2
	TARGET_FILES[$1]=${BASH_SOURCE[1]}
	TARGET_NAMES+=("$1")
}

# shellcheck source=build-guest-lib.sh
source "$IMAGES_DIR/build-guest-lib.sh"
for recipe in "$IMAGES_DIR"/recipes/*.sh; do
	# shellcheck source=/dev/null # each is checked on its own
	source "$recipe"
done
unset recipe

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

usage() {
	local names=("${ALL_TARGETS[@]}") t
	for t in "${TARGET_NAMES[@]}"; do
		[[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || names+=("$t")
	done
	names+=(all)
	printf 'usage: %s %s\n' "$0" "$(IFS='|' && printf '%s' "${names[*]}")" >&2
	exit 2
}

main() {
	local t
	for t in "${ALL_TARGETS[@]}"; do
		[[ -n ${TARGET_FUNCTIONS[$t]+set} ]] || die "ALL_TARGETS names $t, which no file in $IMAGES_DIR/recipes defines"
	done
	(($# == 1)) || usage
	local targets
	if [[ $1 == all ]]; then
		targets=("${ALL_TARGETS[@]}")
	elif [[ -n $1 && -n ${TARGET_FUNCTIONS[$1]+set} ]]; then
		targets=("$1")
	else
		usage
	fi
	require_tools sha256sum:coreutils flock:util-linux
	resolve_cache_root
	for t in "${targets[@]}"; do
		# Messages of functions that are part of a cache key name the file
		# to edit as $0 (their text, and so the key, stays as it was when
		# all lived in this script): while a target runs, $0 is its recipe.
		# shellcheck disable=SC2034 # assigning BASH_ARGV0 sets $0
		BASH_ARGV0=${TARGET_FILES[$t]}
		"${TARGET_FUNCTIONS[$t]}"
	done
	# Only now, so a failing `all` prints no partial result.
	printf '%s\n' "${RESULTS[@]}" >&3
}

main "$@"
