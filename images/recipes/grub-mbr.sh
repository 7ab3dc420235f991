# shellcheck shell=bash
# Target `grub-mbr`: a disk image with an MBR partition table booted by GRUB
# i386-pc: boot.img in the MBR, core.img in the gap before the first
# partition (sectors 1-2047), partition 1 (active, type 83) the rootfs
# target's ext4 image plus the minimal kernel as /boot/vmlinuz and
# /boot/grub/grub.cfg (root=/dev/vda1, timeout 0). Made on plain files (see
# bios-disk.sh). Entry: grub-mbr/<hash>/.
#   MINIMAL_KERNEL MINIMAL_VMLINUX BLKBENCH ROOTFS (what it carries, unless
#   already printed), GRUB_MBR_DISK

define_target grub-mbr target_grub_mbr

# What core.img must hold to read grub.cfg and boot Linux from an
# MBR-partitioned disk through INT 13h (grub-mkimage adds dependencies).
readonly -a GRUB_MBR_MODULES=(biosdisk part_msdos ext2 normal linux echo)
readonly GRUB_MBR_LABEL_ID=0x7572b0a1

# write_grub_mbr WORK: builds WORK/out/disk.img. Its text is part of the key.
write_grub_mbr() {
	local work=$1 disk=$1/out/disk.img root_sectors
	bios_disk_grub_cfg "$work/grub.cfg" /dev/vda1
	bios_disk_root_partition "$work/root.ext4" "$MINIMAL_KERNEL" "$work/grub.cfg"
	root_sectors=$(($(stat -c %s -- "$work/root.ext4") / 512))
	truncate -s $(((2048 + root_sectors) * 512)) -- "$disk"
	sfdisk --quiet --no-reread --no-tell-kernel "$disk" <<-EOF || die "sfdisk failed on $disk"
		label: dos
		label-id: $GRUB_MBR_LABEL_ID
		unit: sectors
		start=2048, size=$root_sectors, type=83, bootable
	EOF
	bios_disk_place "$disk" "$work/root.ext4" 2048
	bios_disk_grub_core "$work/core.img" '(hd0,msdos1)/boot/grub' "${GRUB_MBR_MODULES[@]}"
	(($(stat -c %s -- "$work/core.img") <= 2047 * 512)) || die "core.img does not fit the 2047 sectors before partition 1"
	bios_disk_install_grub "$disk" "$work/core.img" 1
}

grub_mbr_key_hash() {
	{
		bios_disk_common_key
		printf '%s\n' "${GRUB_MBR_MODULES[@]}" "$GRUB_MBR_LABEL_ID"
		declare -f write_grub_mbr
	} | short_hash
}

build_grub_mbr() {
	local entry=$1 hash=$2 work
	log "grub-mbr: building an MBR disk booted by GRUB i386-pc (recipe $hash)"
	bios_disk_require_tools
	make_tmp work grub-mbr
	mkdir -- "$work/out"
	write_grub_mbr "$work"
	bios_disk_finish "$work" "$entry" "$hash"
}

target_grub_mbr() {
	bios_disk_ingredients
	local hash entry
	hash="$(grub_mbr_key_hash)"
	entry="$CACHE/grub-mbr/$hash"
	entry_by_content grub-mbr bios_disk_complete "$entry" build_grub_mbr "$entry" "$hash"
	RESULTS+=("GRUB_MBR_DISK=$entry/disk.img")
}
