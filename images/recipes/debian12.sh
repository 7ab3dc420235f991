# shellcheck shell=bash
# Target `debian12`: a real system, the kind of disk image users boot
# through a BIOS: Debian 12 (bookworm) made with debootstrap (minbase plus
# systemd, udev, Debian's cloud kernel linux-image-cloud-amd64 with the
# initrd initramfs-tools generates for it, grub-pc-bin), on an MBR disk
# booted by that GRUB i386-pc as in `grub-mbr` (boot.img in the MBR,
# core.img in the gap, its modules in /boot/grub/i386-pc). Serial console on
# ttyS0, where root is logged in automatically (serial-getty autologin; the
# root password is empty). `systemctl poweroff` powers off.
#
# Only debootstrap runs in a chroot (it needs root: the target refuses to
# run without); everything after it is files written from outside, then
# mke2fs -d makes the root partition from the tree. Not reproducible
# (debootstrap takes what the mirror has; the tree's timestamps), so not in
# `all`. Entry: debian12/<hash>/. The downloaded packages stay in the
# cache's debootstrap/debs/ for the next build.
#   DEBIAN12_DISK

define_target debian12 target_debian12

readonly DEBIAN12_SUITE=bookworm
readonly DEBIAN12_MIRROR=http://deb.debian.org/debian
readonly DEBIAN12_PACKAGES=systemd,systemd-sysv,udev,linux-image-cloud-amd64,initramfs-tools,grub-pc-bin,e2fsprogs,kmod
readonly DEBIAN12_ROOT_MIB=1024
readonly DEBIAN12_UUID=7572b0a4-5d1a-4c6e-9b0e-0ddb28021acf
readonly DEBIAN12_LABEL_ID=0x7572b0a4
readonly DEBIAN12_HOSTNAME=turnstone-debian12
readonly DEBIAN12_KERNEL_ARGS="ro console=ttyS0,115200"
# core.img: as grub-mbr (the image's own GRUB, 2.06 like the host's
# grub-mkimage).
readonly -a DEBIAN12_GRUB_MODULES=(biosdisk part_msdos ext2 normal linux echo)

# debian12_unmount_below ROOT: unmounts whatever a failed debootstrap left
# mounted inside ROOT (deepest first), so the tree can be removed.
debian12_unmount_below() {
	local target
	findmnt -rn -o TARGET | awk -v root="$1/" 'index($0 "/", root) == 1' | sort -r |
		while read -r target; do
			umount -l -- "$target" || true
		done
}

# configure_debian12 ROOT: the guest's configuration, written from outside
# the tree. Its text is part of the key.
configure_debian12() {
	local root=$1
	printf '/dev/vda1 / ext4 rw,errors=remount-ro 0 1\n' >"$root/etc/fstab"
	printf '%s\n' "$DEBIAN12_HOSTNAME" >"$root/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$DEBIAN12_HOSTNAME" >"$root/etc/hosts"
	# Empty root password; and on the serial console (systemd starts
	# serial-getty@ttyS0 for console=ttyS0) no login to type at all.
	sed -i 's/^root:[^:]*:/root::/' "$root/etc/shadow"
	mkdir -p -- "$root/etc/systemd/system/serial-getty@ttyS0.service.d"
	cat >"$root/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<-'EOF'
		[Service]
		ExecStart=
		ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 - $TERM
	EOF
	# Each boot of a copy is a first boot with its own machine ID.
	: >"$root/etc/machine-id"
	rm -f -- "$root/var/lib/dbus/machine-id"
	# apt-get update in the guest brings them back.
	find "$root/var/lib/apt/lists" "$root/var/cache/apt" -type f -delete
	# GRUB as grub-install leaves it: the modules next to grub.cfg.
	mkdir -p -- "$root/boot/grub/i386-pc"
	cp -- "$root"/usr/lib/grub/i386-pc/*.mod "$root"/usr/lib/grub/i386-pc/*.lst "$root/boot/grub/i386-pc/"
	local vmlinuz initrd
	vmlinuz="$(cd -- "$root/boot" && echo vmlinuz-*)"
	initrd="$(cd -- "$root/boot" && echo initrd.img-*)"
	[[ -f $root/boot/$vmlinuz && -f $root/boot/$initrd ]] || die "debootstrap left no single kernel and initrd in $root/boot"
	cat >"$root/boot/grub/grub.cfg" <<-EOF
		set default=0
		set timeout=0
		menuentry 'Debian GNU/Linux 12' {
			linux /boot/$vmlinuz root=/dev/vda1 $DEBIAN12_KERNEL_ARGS
			initrd /boot/$initrd
		}
	EOF
}

# write_debian12 WORK: debootstrap into WORK/root, configure it, make the
# disk WORK/out/disk.img. Its text is part of the key.
write_debian12() {
	local work=$1 root=$1/root disk=$1/out/disk.img root_sectors=$((DEBIAN12_ROOT_MIB * 2048))
	mkdir -p -- "$CACHE/debootstrap/debs"
	if ! debootstrap --variant=minbase --cache-dir="$CACHE/debootstrap/debs" --include="$DEBIAN12_PACKAGES" \
		"$DEBIAN12_SUITE" "$root" "$DEBIAN12_MIRROR" >&2; then
		debian12_unmount_below "$root"
		die "debootstrap failed (its log: $root/debootstrap/debootstrap.log, removed with the work directory)"
	fi
	debian12_unmount_below "$root"
	configure_debian12 "$root"
	dpkg-query --admindir="$root/var/lib/dpkg" -W >"$work/out/packages"
	MKE2FS_CONFIG=$ROOTFS_MKE2FS_CONF "$(tool_path mke2fs)" -q -F -t ext4 -T turnstone -d "$root" \
		-L debian12-root -U "$DEBIAN12_UUID" -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 \
		"$work/root.ext4" "${DEBIAN12_ROOT_MIB}M" || die "mke2fs -d $root failed"
	"$(tool_path e2fsck)" -fn "$work/root.ext4" >&2 || die "e2fsck -fn finds problems in the root partition"
	truncate -s $(((2048 + root_sectors) * 512)) -- "$disk"
	sfdisk --quiet --no-reread --no-tell-kernel "$disk" <<-EOF || die "sfdisk failed on $disk"
		label: dos
		label-id: $DEBIAN12_LABEL_ID
		unit: sectors
		start=2048, size=$root_sectors, type=83, bootable
	EOF
	bios_disk_place "$disk" "$work/root.ext4" 2048
	rm -f -- "$work/root.ext4"
	grub-mkimage -O i386-pc -d "$root/usr/lib/grub/i386-pc" -o "$work/core.img" -p '(hd0,msdos1)/boot/grub' \
		"${DEBIAN12_GRUB_MODULES[@]}" || die "grub-mkimage failed"
	(($(stat -c %s -- "$work/core.img") <= 2047 * 512)) || die "core.img does not fit the 2047 sectors before partition 1"
	bios_disk_install_grub "$disk" "$work/core.img" 1
}

debian12_key_hash() {
	{
		printf '%s\n' "$DEBIAN12_SUITE" "$DEBIAN12_MIRROR" "$DEBIAN12_PACKAGES" "$DEBIAN12_ROOT_MIB" \
			"$DEBIAN12_UUID" "$DEBIAN12_LABEL_ID" "$DEBIAN12_HOSTNAME" "$DEBIAN12_KERNEL_ARGS" "${DEBIAN12_GRUB_MODULES[@]}"
		cat -- "$ROOTFS_MKE2FS_CONF"
		bios_disk_host_versions
		dpkg-query -W -f='${Package} ${Version}\n' debootstrap 2>/dev/null || printf 'debootstrap not-installed\n'
		declare -f write_debian12 configure_debian12 debian12_unmount_below bios_disk_install_grub bios_disk_le \
			bios_disk_poke bios_disk_place
	} | short_hash
}

build_debian12() {
	local entry=$1 hash=$2 work
	log "debian12: building Debian 12 with debootstrap from $DEBIAN12_MIRROR (recipe $hash; takes minutes)"
	((EUID == 0)) || die "debian12: debootstrap needs root (it runs the packages' scripts in a chroot)"
	bios_disk_require_tools
	require_tools debootstrap:debootstrap findmnt:util-linux
	make_tmp work debian12
	mkdir -- "$work/out"
	write_debian12 "$work"
	{
		printf 'recipe %s\n' "$hash"
		printf 'suite %s %s\n' "$DEBIAN12_SUITE" "$DEBIAN12_MIRROR"
		bios_disk_host_versions | sed 's/^/host /'
		sfdisk --dump "$work/out/disk.img" 2>/dev/null | sed 's/^/table /'
	} >"$work/out/inputs"
	chmod a-w -- "$work/out/disk.img"
	publish "$work/out" "$entry"
}

target_debian12() {
	local hash entry
	hash="$(debian12_key_hash)"
	entry="$CACHE/debian12/$hash"
	entry_by_content debian12 bios_disk_complete "$entry" build_debian12 "$entry" "$hash"
	RESULTS+=("DEBIAN12_DISK=$entry/disk.img")
}
