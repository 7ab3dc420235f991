# shellcheck shell=bash
# Ingredient, not a target: what the disk images booted through a legacy
# BIOS share (targets grub-mbr, syslinux-fat, gpt-cloud, debian12). Every
# image is assembled on plain files, without loop devices or mounts:
# partition tables with sfdisk/sgdisk on the image file, each file system
# made as an image of its own (mke2fs -d, mkfs.fat + mtools) and copied into
# place with dd, the boot loader's sectors written with dd.
#
# The boot loaders come from the host's Debian packages (images/
# apt-packages.txt: grub-pc-bin, grub-common, syslinux, syslinux-common,
# mtools, dosfstools, fdisk, gdisk): their versions, read with dpkg-query,
# are part of each entry's key, so these targets need them even when cached
# (like `components` needs gcc).

readonly BIOS_DISK_GRUB_DIR=/usr/lib/grub/i386-pc
readonly BIOS_DISK_SYSLINUX_MBR=/usr/lib/syslinux/mbr/mbr.bin
readonly BIOS_DISK_LDLINUX_C32=/usr/lib/syslinux/modules/bios/ldlinux.c32
# What the minimal kernel is started with, after root=: the console the
# monitor logs (ttyS0) and the one the test types into (hvc0, last, so it is
# /dev/console when virtio_console exists: images/rootfs/init starts its
# shell there); poweroff is ACPI S5, a panic resets.
readonly BIOS_DISK_KERNEL_ARGS="rw console=ttyS0 console=hvc0 reboot=k panic=-1"
# Host packages whose files or tools end up shaping the image.
readonly -a BIOS_DISK_HOST_PACKAGES=(grub-pc-bin grub-common syslinux syslinux-common mtools dosfstools fdisk gdisk e2fsprogs)
readonly BIOS_DISK_EPOCH=1672531200 # 2023-01-01 00:00:00 UTC, as rootfs

# "package version" of each host package the disk images use ("package
# not-installed" for a missing one: the key then differs, the build runs and
# names what to install).
bios_disk_host_versions() {
	local pkg version
	for pkg in "${BIOS_DISK_HOST_PACKAGES[@]}"; do
		version="$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)" || version=not-installed
		printf '%s %s\n' "$pkg" "${version:-not-installed}"
	done
}

bios_disk_require_tools() {
	require_tools grub-mkimage:grub-common syslinux:syslinux mcopy:mtools mmd:mtools mdir:mtools \
		mkfs.fat:dosfstools sfdisk:fdisk sgdisk:gdisk mke2fs:e2fsprogs debugfs:e2fsprogs e2fsck:e2fsprogs
	[[ -f $BIOS_DISK_GRUB_DIR/boot.img && -f $BIOS_DISK_GRUB_DIR/diskboot.img ]] ||
		die "no GRUB i386-pc images in $BIOS_DISK_GRUB_DIR; install them with: apt-get install grub-pc-bin"
	[[ -f $BIOS_DISK_SYSLINUX_MBR && -f $BIOS_DISK_LDLINUX_C32 ]] ||
		die "no SYSLINUX mbr.bin/ldlinux.c32; install them with: apt-get install syslinux-common"
}

# bios_disk_le VALUE BYTES: VALUE as BYTES raw little-endian bytes on stdout.
bios_disk_le() {
	local value=$1 n=$2 i out=''
	for ((i = 0; i < n; i++)); do
		out+="$(printf '\\0%03o' $(((value >> (8 * i)) & 0xff)))"
	done
	printf '%b' "$out"
}

# bios_disk_poke FILE OFFSET: stdin's bytes into FILE at byte OFFSET.
bios_disk_poke() {
	dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# bios_disk_place DISK IMAGE LBA: IMAGE (a partition's file system, or a
# boot loader's sectors) into DISK at sector LBA, keeping holes as holes.
bios_disk_place() {
	dd if="$2" of="$1" bs=512 seek="$3" conv=notrunc,sparse status=none
}

# bios_disk_root_partition IMAGE KERNEL GRUB_CFG: IMAGE becomes a writable
# copy of the rootfs target's ext4 image (busybox, images/rootfs/init) with
# KERNEL as /boot/vmlinuz and, unless GRUB_CFG is empty, GRUB_CFG as
# /boot/grub/grub.cfg; owned by root, fixed timestamps, checked with e2fsck.
bios_disk_root_partition() {
	local image=$1 kernel=$2 grub_cfg=$3 debugfs e2fsck errors
	debugfs="$(tool_path debugfs)"
	e2fsck="$(tool_path e2fsck)"
	cp --sparse=always -- "$ROOTFS" "$image"
	chmod u+w -- "$image"
	errors="$image.debugfs-errors"
	{
		printf 'mkdir /boot\ncd /boot\nwrite %s vmlinuz\n' "$kernel"
		printf 'sif /boot/vmlinuz mode 0100644\n'
		if [[ -n $grub_cfg ]]; then
			printf 'mkdir /boot/grub\ncd /boot/grub\nwrite %s grub.cfg\n' "$grub_cfg"
			printf 'sif /boot/grub/grub.cfg mode 0100644\n'
		fi
		local path
		for path in / /boot /boot/vmlinuz ${grub_cfg:+/boot/grub /boot/grub/grub.cfg}; do
			printf 'sif %s uid 0\nsif %s gid 0\n' "$path" "$path"
			printf 'sif %s %s @%s\n' "$path" atime "$BIOS_DISK_EPOCH" "$path" mtime "$BIOS_DISK_EPOCH" "$path" ctime "$BIOS_DISK_EPOCH"
		done
	} | E2FSPROGS_FAKE_TIME=$BIOS_DISK_EPOCH "$debugfs" -w -f - "$image" >/dev/null 2>"$errors" || {
		cat -- "$errors" >&2
		return 1
	}
	if grep -v '^debugfs [0-9]' "$errors" >&2; then
		return 1
	fi
	rm -f -- "$errors"
	E2FSPROGS_FAKE_TIME=$BIOS_DISK_EPOCH "$e2fsck" -fn "$image" >&2 || die "e2fsck -fn $image finds problems"
	"$debugfs" -R 'cat /boot/vmlinuz' "$image" 2>/dev/null | cmp -s - "$kernel" ||
		die "/boot/vmlinuz in $image differs from $kernel"
}

# bios_disk_grub_core OUT PREFIX MODULE...: GRUB i386-pc's core.img
# (diskboot.img + the LZMA-compressed kernel and MODULEs, which
# grub-mkimage completes with their dependencies), reading grub.cfg from
# PREFIX. mkimage fills in the length of diskboot's first block list entry;
# its start stays the default, 2 (core.img at sector 1), until
# bios_disk_install_grub writes the real one.
bios_disk_grub_core() {
	local out=$1 prefix=$2
	shift 2
	grub-mkimage -O i386-pc -d "$BIOS_DISK_GRUB_DIR" -o "$out" -p "$prefix" "$@" ||
		die "grub-mkimage failed"
}

# bios_disk_install_grub DISK CORE CORE_LBA: what grub-bios-setup does for a
# hard disk, done on the image file (grub-bios-setup wants a block device).
# Offsets are GRUB 2.06's include/grub/i386/pc/boot.h and diskboot.S:
#   - CORE at sector CORE_LBA (the post-MBR gap, or the BIOS boot
#     partition); diskboot.img (its first sector) loads the rest from the
#     block list at the end of that sector: 8-byte start LBA at 0x1f4, then
#     the 2-byte length mkimage wrote and the segment; start = CORE_LBA + 1;
#   - boot.img in the MBR's code area, 0x000-0x1b7, except the BIOS
#     parameter block 0x003-0x059, which keeps the disk's bytes (as setup
#     does); the disk signature and partition table at 0x1b8-0x1ff stay;
#   - boot.img's kernel_sector (8 bytes at 0x5c): CORE_LBA;
#   - boot_drive (0x64) stays 0xff: use the drive the BIOS passes in DL;
#   - the 2-byte jmp at 0x66 (boot_drive_check) becomes two nops: for a hard
#     disk, setup makes boot.img force DL to 0x8X (the workaround for BIOSes
#     that pass 0x00 or 0x01).
bios_disk_install_grub() {
	local disk=$1 core=$2 lba=$3 boot=$BIOS_DISK_GRUB_DIR/boot.img sectors len
	sectors=$((($(stat -c %s -- "$core") + 511) / 512))
	len="$(od -An -tu2 -j 508 -N 2 -- "$core" | tr -d ' ')"
	((len == sectors - 1)) || die "core.img: diskboot's block list says $len sectors, the image has $((sectors - 1)) after diskboot"
	bios_disk_place "$disk" "$core" "$lba"
	bios_disk_le $((lba + 1)) 8 | bios_disk_poke "$disk" $((lba * 512 + 0x1f4))
	dd if="$boot" of="$disk" bs=1 count=3 conv=notrunc status=none
	dd if="$boot" of="$disk" bs=1 skip=$((0x5a)) seek=$((0x5a)) count=$((0x1b8 - 0x5a)) conv=notrunc status=none
	bios_disk_le "$lba" 8 | bios_disk_poke "$disk" $((0x5c))
	printf '\220\220' | bios_disk_poke "$disk" $((0x66))
	bios_disk_check_signature "$disk"
}

bios_disk_check_signature() {
	[[ "$(od -An -tx1 -j 510 -N 2 -- "$1" | tr -d ' ')" == 55aa ]] || die "$1: no 0xAA55 boot signature in the MBR"
}

# bios_disk_grub_cfg FILE ROOT: a grub.cfg booting /boot/vmlinuz from the
# partition GRUB's prefix names, at once, with root=ROOT.
bios_disk_grub_cfg() {
	cat >"$1" <<-EOF
		set default=0
		set timeout=0
		menuentry 'Turnstone minimal Linux' {
			linux /boot/vmlinuz root=$2 $BIOS_DISK_KERNEL_ARGS
		}
	EOF
}

bios_disk_complete() { [[ -s $1/disk.img ]]; }

# The key every disk image shares: the kernel and root entries (named after
# their own inputs), the host packages, the common functions.
bios_disk_common_key() {
	printf '%s\n' "${MINIMAL_KERNEL%/*}" "${ROOTFS%/*}" "$BIOS_DISK_KERNEL_ARGS" "$BIOS_DISK_EPOCH"
	bios_disk_host_versions
	declare -f bios_disk_root_partition bios_disk_grub_core bios_disk_install_grub bios_disk_grub_cfg \
		bios_disk_le bios_disk_poke bios_disk_place
}

# bios_disk_finish WORK ENTRY HASH: records the inputs, makes the image
# read-only (boot copies of it) and publishes the entry.
bios_disk_finish() {
	local out=$1/out entry=$2 hash=$3
	{
		printf 'recipe %s\n' "$hash"
		printf 'kernel %s\n' "$MINIMAL_KERNEL"
		printf 'rootfs %s\n' "$ROOTFS"
		bios_disk_host_versions | sed 's/^/host /'
		sfdisk --dump "$out/disk.img" 2>/dev/null | sed 's/^/table /'
	} >"$out/inputs"
	chmod a-w -- "$out/disk.img"
	publish "$out" "$entry"
}

# bios_disk_result KEY: the path of KEY= in RESULTS, or nothing.
bios_disk_result() {
	local line
	for line in "${RESULTS[@]}"; do
		[[ $line != "$1="* ]] || printf '%s' "${line#*=}"
	done
}

# Sets MINIMAL_KERNEL and ROOTFS, the kernel and root every minimal disk
# image carries, running their targets unless this run has already (built
# first, outside the disk image's lock; a key appears once on STDOUT).
bios_disk_ingredients() {
	MINIMAL_KERNEL="$(bios_disk_result MINIMAL_KERNEL)"
	[[ -n $MINIMAL_KERNEL ]] || target_minimal
	MINIMAL_KERNEL="$(bios_disk_result MINIMAL_KERNEL)"
	ROOTFS="$(bios_disk_result ROOTFS)"
	[[ -n $ROOTFS ]] || target_rootfs
	ROOTFS="$(bios_disk_result ROOTFS)"
	[[ -f $MINIMAL_KERNEL && -f $ROOTFS ]] || die "no minimal kernel or rootfs image for the disk images"
}
