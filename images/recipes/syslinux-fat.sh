# shellcheck shell=bash
# Target `syslinux-fat`: a disk image booted by SYSLINUX: SYSLINUX's mbr.bin
# in the MBR, partition 1 (active, FAT16, type 06) with ldlinux.sys and
# ldlinux.c32 (`syslinux --install`, which works through mtools on the
# partition's image file), syslinux.cfg and the minimal kernel as /vmlinuz;
# partition 2 (type 83) the rootfs target's ext4 image, the root
# (root=/dev/vda2). Made on plain files (see bios-disk.sh). Entry:
# syslinux-fat/<hash>/.
#   MINIMAL_KERNEL MINIMAL_VMLINUX BLKBENCH ROOTFS (unless already printed),
#   SYSLINUX_FAT_DISK

define_target syslinux-fat target_syslinux_fat

readonly SYSLINUX_FAT_MIB=32
readonly SYSLINUX_FAT_VOLUME_ID=7572b0a2
readonly SYSLINUX_FAT_LABEL_ID=0x7572b0a2

# write_syslinux_fat WORK: builds WORK/out/disk.img. Its text is part of the
# key.
write_syslinux_fat() {
	local work=$1 disk=$1/out/disk.img fat=$1/boot.fat root_sectors fat_sectors=$((SYSLINUX_FAT_MIB * 2048))
	cp --sparse=always -- "$ROOTFS" "$work/root.ext4"
	root_sectors=$(($(stat -c %s -- "$work/root.ext4") / 512))
	# PROMPT 0 and no TIMEOUT: boot the default at once (unless Shift or
	# Alt is held). No SERIAL: SYSLINUX's text goes through INT 10h only.
	cat >"$work/syslinux.cfg" <<-EOF
		DEFAULT linux
		PROMPT 0
		LABEL linux
			LINUX /vmlinuz
			APPEND root=/dev/vda2 $BIOS_DISK_KERNEL_ARGS
	EOF
	truncate -s $((fat_sectors * 512)) -- "$fat"
	# -h: the partition's first sector, the BPB's hidden sectors.
	# --invariant before -i: it would reset the volume ID to 1234-ABCD.
	mkfs.fat -F 16 -h 2048 --invariant -i "$SYSLINUX_FAT_VOLUME_ID" -n TURNSTONE "$fat" >&2 ||
		die "mkfs.fat failed"
	touch -d "@$BIOS_DISK_EPOCH" -- "$work/syslinux.cfg"
	cp -- "$MINIMAL_KERNEL" "$work/vmlinuz"
	touch -d "@$BIOS_DISK_EPOCH" -- "$work/vmlinuz"
	# mtools (which syslinux --install uses too) dates directory entries
	# SOURCE_DATE_EPOCH, not now: the same inputs give the same bytes.
	SOURCE_DATE_EPOCH=$BIOS_DISK_EPOCH MTOOLS_SKIP_CHECK=1 mcopy -m -i "$fat" -- "$work/vmlinuz" "$work/syslinux.cfg" ::/ ||
		die "mcopy to $fat failed"
	SOURCE_DATE_EPOCH=$BIOS_DISK_EPOCH syslinux --install "$fat" || die "syslinux --install $fat failed"
	MTOOLS_SKIP_CHECK=1 mdir -a -i "$fat" ::/LDLINUX.C32 >/dev/null 2>&1 ||
		die "syslinux --install left no ldlinux.c32 in $fat"
	truncate -s $(((2048 + fat_sectors + root_sectors) * 512)) -- "$disk"
	sfdisk --quiet --no-reread --no-tell-kernel "$disk" <<-EOF || die "sfdisk failed on $disk"
		label: dos
		label-id: $SYSLINUX_FAT_LABEL_ID
		unit: sectors
		start=2048, size=$fat_sectors, type=6, bootable
		start=$((2048 + fat_sectors)), size=$root_sectors, type=83
	EOF
	bios_disk_place "$disk" "$fat" 2048
	bios_disk_place "$disk" "$work/root.ext4" $((2048 + fat_sectors))
	dd if="$BIOS_DISK_SYSLINUX_MBR" of="$disk" bs=440 count=1 conv=notrunc status=none
	bios_disk_check_signature "$disk"
}

syslinux_fat_key_hash() {
	{
		bios_disk_common_key
		printf '%s\n' "$SYSLINUX_FAT_MIB" "$SYSLINUX_FAT_VOLUME_ID" "$SYSLINUX_FAT_LABEL_ID"
		declare -f write_syslinux_fat
	} | short_hash
}

build_syslinux_fat() {
	local entry=$1 hash=$2 work
	log "syslinux-fat: building a FAT disk booted by SYSLINUX (recipe $hash)"
	bios_disk_require_tools
	make_tmp work syslinux-fat
	mkdir -- "$work/out"
	write_syslinux_fat "$work"
	bios_disk_finish "$work" "$entry" "$hash"
}

target_syslinux_fat() {
	bios_disk_ingredients
	local hash entry
	hash="$(syslinux_fat_key_hash)"
	entry="$CACHE/syslinux-fat/$hash"
	entry_by_content syslinux-fat bios_disk_complete "$entry" build_syslinux_fat "$entry" "$hash"
	RESULTS+=("SYSLINUX_FAT_DISK=$entry/disk.img")
}
