# shellcheck shell=bash
# Target `gpt-cloud`: a GPT disk image laid out like Debian's cloud images
# (bookworm genericcloud): partition 14 the BIOS boot partition (sectors
# 2048-8191, GRUB i386-pc's core.img), 15 the EFI system partition (sectors
# 8192-262143, an empty FAT16 file system), 1 the root from sector 262144
# (the rootfs target's ext4 image plus the minimal kernel as /boot/vmlinuz
# and /boot/grub/grub.cfg, root=/dev/vda1); GRUB's boot.img in the
# protective MBR. Made on plain files (see bios-disk.sh). Entry:
# gpt-cloud/<hash>/.
#   MINIMAL_KERNEL MINIMAL_VMLINUX BLKBENCH ROOTFS (unless already printed),
#   GPT_CLOUD_DISK

define_target gpt-cloud target_gpt_cloud

readonly -a GPT_CLOUD_MODULES=(biosdisk part_gpt ext2 normal linux echo)
# Fixed GUIDs (disk, partitions 1, 14, 15) and ESP volume ID: the same
# inputs give the same table.
readonly GPT_CLOUD_DISK_GUID=7572b0a3-0000-4000-8000-000000000000
readonly GPT_CLOUD_ROOT_GUID=7572b0a3-0001-4000-8000-000000000001
readonly GPT_CLOUD_BIOS_GUID=7572b0a3-0014-4000-8000-000000000014
readonly GPT_CLOUD_ESP_GUID=7572b0a3-0015-4000-8000-000000000015
readonly GPT_CLOUD_ESP_VOLUME_ID=7572b0a3

# write_gpt_cloud WORK: builds WORK/out/disk.img. Its text is part of the
# key.
write_gpt_cloud() {
	local work=$1 disk=$1/out/disk.img root_sectors
	bios_disk_grub_cfg "$work/grub.cfg" /dev/vda1
	bios_disk_root_partition "$work/root.ext4" "$MINIMAL_KERNEL" "$work/grub.cfg"
	root_sectors=$(($(stat -c %s -- "$work/root.ext4") / 512))
	# 1 MiB after the root for the backup GPT (33 sectors), as alignment.
	truncate -s $(((262144 + root_sectors + 2048) * 512)) -- "$disk"
	sgdisk --clear --disk-guid="$GPT_CLOUD_DISK_GUID" \
		--new=14:2048:8191 --typecode=14:EF02 --partition-guid=14:"$GPT_CLOUD_BIOS_GUID" \
		--new=15:8192:262143 --typecode=15:EF00 --partition-guid=15:"$GPT_CLOUD_ESP_GUID" \
		--new=1:262144:$((262144 + root_sectors - 1)) --typecode=1:8300 --partition-guid=1:"$GPT_CLOUD_ROOT_GUID" \
		"$disk" >&2 || die "sgdisk failed on $disk"
	truncate -s $(((262144 - 8192) * 512)) -- "$work/esp.fat"
	# --invariant before -i: it would reset the volume ID to 1234-ABCD.
	mkfs.fat -F 16 -h 8192 --invariant -i "$GPT_CLOUD_ESP_VOLUME_ID" -n UEFI "$work/esp.fat" >&2 ||
		die "mkfs.fat failed"
	bios_disk_place "$disk" "$work/esp.fat" 8192
	bios_disk_place "$disk" "$work/root.ext4" 262144
	bios_disk_grub_core "$work/core.img" '(hd0,gpt1)/boot/grub' "${GPT_CLOUD_MODULES[@]}"
	(($(stat -c %s -- "$work/core.img") <= (8192 - 2048) * 512)) || die "core.img does not fit the BIOS boot partition"
	bios_disk_install_grub "$disk" "$work/core.img" 2048
	sgdisk --verify "$disk" >&2 || die "sgdisk --verify finds problems in $disk"
}

gpt_cloud_key_hash() {
	{
		bios_disk_common_key
		printf '%s\n' "${GPT_CLOUD_MODULES[@]}" "$GPT_CLOUD_DISK_GUID" "$GPT_CLOUD_ROOT_GUID" \
			"$GPT_CLOUD_BIOS_GUID" "$GPT_CLOUD_ESP_GUID" "$GPT_CLOUD_ESP_VOLUME_ID"
		declare -f write_gpt_cloud
	} | short_hash
}

build_gpt_cloud() {
	local entry=$1 hash=$2 work
	log "gpt-cloud: building a Debian-cloud-like GPT disk booted by GRUB i386-pc (recipe $hash)"
	bios_disk_require_tools
	make_tmp work gpt-cloud
	mkdir -- "$work/out"
	write_gpt_cloud "$work"
	bios_disk_finish "$work" "$entry" "$hash"
}

target_gpt_cloud() {
	bios_disk_ingredients
	local hash entry
	hash="$(gpt_cloud_key_hash)"
	entry="$CACHE/gpt-cloud/$hash"
	entry_by_content gpt-cloud bios_disk_complete "$entry" build_gpt_cloud "$entry" "$hash"
	RESULTS+=("GPT_CLOUD_DISK=$entry/disk.img")
}
