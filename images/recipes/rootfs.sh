# shellcheck shell=bash
# Target `rootfs`: an ext4 image (64 MiB, TURNSTONE_ROOTFS_MIB to change)
# made without root: busybox, images/rootfs/init as /sbin/init and blkbench
# as /bin/turnstone-blkbench (so this target includes `blkbench` and needs
# gcc even when cached). Reproducible; the cached image is read-only. Entry:
# rootfs/busybox-<version>-<hash>/.
#   BLKBENCH (the one it carries), ROOTFS

define_target rootfs target_rootfs

readonly ROOTFS_INIT="$IMAGES_DIR/rootfs/init"
readonly ROOTFS_MKE2FS_CONF="$IMAGES_DIR/rootfs/mke2fs.conf"

# Image size in MiB.
ROOTFS_MIB=${TURNSTONE_ROOTFS_MIB:-64}
# Fixed identity and timestamps: the same inputs give the same bytes. The
# epoch is not 0, which e2fsprogs takes for "no time given".
readonly ROOTFS_UUID=6d3925c1-320e-4034-b5f0-0ddb28021acf
readonly ROOTFS_HASH_SEED=21984a85-24fd-45d7-8970-1a4ce62fa137
readonly ROOTFS_EPOCH=1672531200 # 2023-01-01 00:00:00 UTC
# /bin/<applet> -> busybox: what rootfs/init runs, and a few for the shell.
readonly -a ROOTFS_APPLETS=(sh mount umount mkdir cat ls grep sha256sum sync sleep dmesg poweroff reboot cttyhack setsid stty)

# stage_rootfs STAGE INIT BLKBENCH: lays the root file system out in STAGE
# (which holds the busybox binary as STAGE/busybox). Its text is part of the
# cache key.
stage_rootfs() {
	local stage=$1 init=$2 blkbench=$3 applet
	mkdir -- "$stage/bin" "$stage/sbin" "$stage/dev" "$stage/proc" "$stage/sys" \
		"$stage/tmp" "$stage/root" "$stage/etc"
	mv -- "$stage/busybox" "$stage/bin/busybox"
	for applet in "${ROOTFS_APPLETS[@]}"; do
		ln -s busybox "$stage/bin/$applet"
	done
	cp -- "$init" "$stage/sbin/init"
	cp -- "$blkbench" "$stage/bin/turnstone-blkbench"
	# Modes are copied into the image: none may depend on the umask.
	chmod 0755 "$stage" "$stage/bin" "$stage/sbin" "$stage/dev" "$stage/proc" "$stage/sys" \
		"$stage/etc" "$stage/bin/busybox" "$stage/sbin/init" "$stage/bin/turnstone-blkbench"
	chmod 1777 "$stage/tmp"
	chmod 0700 "$stage/root"
}

# write_rootfs STAGE IMAGE: makes the ext4 image from STAGE without root
# privileges. mke2fs -d copies owners and ctimes from the staged files (the
# builder's uid, the time of staging), so debugfs then sets every copied
# inode to root and the fixed epoch. Its text is part of the cache key.
write_rootfs() {
	local stage=$1 image=$2 mke2fs debugfs errors path
	mke2fs="$(tool_path mke2fs)"
	debugfs="$(tool_path debugfs)"
	find "$stage" -exec touch -h -d "@$ROOTFS_EPOCH" -- {} +
	# nodiscard and explicit lazy_*_init: otherwise mke2fs chooses by what
	# the host's file system can do (punching holes), which changes the image.
	MKE2FS_CONFIG=$ROOTFS_MKE2FS_CONF SOURCE_DATE_EPOCH=$ROOTFS_EPOCH E2FSPROGS_FAKE_TIME=$ROOTFS_EPOCH \
		"$mke2fs" -q -F -t ext4 -T turnstone -d "$stage" -L turnstone-root -U "$ROOTFS_UUID" \
		-E "root_owner=0:0,hash_seed=$ROOTFS_HASH_SEED,nodiscard,lazy_itable_init=0,lazy_journal_init=0" \
		"$image" "${ROOTFS_MIB}M" || return
	errors="$image.debugfs-errors"
	{
		# The lifetime-writes counter depends on whether mke2fs could zero
		# the inode tables and journal by punching holes (host-dependent);
		# debugfs adds its own, fixed, writes when it closes the image.
		printf 'ssv kbytes_written 0\n'
		printf 'sif / ctime @%s\n' "$ROOTFS_EPOCH"
		(cd -- "$stage" && find . -mindepth 1 -print0) | sort -z |
			while IFS= read -r -d '' path; do
				path=${path#.}
				printf 'sif %s uid 0\nsif %s gid 0\nsif %s ctime @%s\n' "$path" "$path" "$path" "$ROOTFS_EPOCH"
			done
	} | E2FSPROGS_FAKE_TIME=$ROOTFS_EPOCH "$debugfs" -w -f - "$image" >/dev/null 2>"$errors" || {
		cat -- "$errors" >&2
		return 1
	}
	# debugfs reports a failed command on stderr, after its banner.
	if grep -v '^debugfs [0-9]' "$errors" >&2; then
		return 1
	fi
	rm -f -- "$errors"
}

rootfs_complete() { [[ -s $1/rootfs.ext4 ]]; }

# BLKBENCH: set by target_blkbench (blkbench.sh), which target_rootfs runs first.
# shellcheck disable=SC2153
rootfs_key_hash() {
	{
		cat -- "$ROOTFS_INIT" "$ROOTFS_MKE2FS_CONF"
		sha256sum <"$BLKBENCH"
		printf '%s\n' "$ROOTFS_MIB" "$ROOTFS_UUID" "$ROOTFS_HASH_SEED" "$ROOTFS_EPOCH" "${ROOTFS_APPLETS[@]}"
		declare -f stage_rootfs write_rootfs
	} | short_hash
}

# Reads the image back with e2fsprogs' own tools: consistent, /sbin/init as
# committed, /bin/turnstone-blkbench as built, everything owned by root.
check_rootfs() {
	local image=$1 debugfs e2fsck dir listing owned
	debugfs="$(tool_path debugfs)"
	e2fsck="$(tool_path e2fsck)"
	E2FSPROGS_FAKE_TIME=$ROOTFS_EPOCH "$e2fsck" -fn "$image" >&2 || die "e2fsck -fn $image finds problems"
	"$debugfs" -R 'cat /sbin/init' "$image" 2>/dev/null | cmp -s - "$ROOTFS_INIT" ||
		die "/sbin/init in $image differs from $ROOTFS_INIT"
	"$debugfs" -R 'cat /bin/turnstone-blkbench' "$image" 2>/dev/null | cmp -s - "$BLKBENCH" ||
		die "/bin/turnstone-blkbench in $image differs from $BLKBENCH"
	for dir in / /bin /sbin; do
		listing="$("$debugfs" -R "ls -l $dir" "$image" 2>/dev/null)" || die "debugfs cannot list $dir in $image"
		owned="$(awk 'NF >= 9 && ($4 != 0 || $5 != 0) { print $NF }' <<<"$listing")"
		[[ -z $owned ]] || die "not owned by root:root in $image ($dir): $owned"
	done
}

build_rootfs() {
	local version=$1 entry=$2 hash=$3
	log "rootfs: building a ${ROOTFS_MIB} MiB ext4 image with $BUSYBOX_PKG $version (init, config, blkbench and recipe $hash)"
	require_tools mke2fs:e2fsprogs debugfs:e2fsprogs e2fsck:e2fsprogs
	local mke2fs_version work out
	# mke2fs -d came with e2fsprogs 1.43.
	mke2fs_version="$("$(tool_path mke2fs)" -V 2>&1 | awk 'NR == 1 { print $2 }')"
	dpkg --compare-versions "${mke2fs_version:-0}" ge 1.43 ||
		die "mke2fs ${mke2fs_version:-(unknown version)} cannot populate a file system (-d, e2fsprogs 1.43 or later); install e2fsprogs from Debian bookworm"
	make_tmp work rootfs
	extract_busybox "$version" "$work"
	mkdir -- "$work/stage"
	mv -- "$work/busybox" "$work/stage/busybox"
	stage_rootfs "$work/stage" "$ROOTFS_INIT" "$BLKBENCH"

	out="$work/out"
	mkdir -- "$out"
	write_rootfs "$work/stage" "$out/rootfs.ext4" || die "making the ext4 image failed"
	check_rootfs "$out/rootfs.ext4"
	printf '%s\n' "$version" >"$out/version"
	{
		printf 'package %s %s\n' "$BUSYBOX_PKG" "$version"
		printf 'init-config-blkbench-and-recipe %s\n' "$hash"
		printf 'blkbench %s\n' "$BLKBENCH"
		printf 'size-mib %s\n' "$ROOTFS_MIB"
		printf 'mke2fs %s\n' "$mke2fs_version"
		printf 'sha256 %s\n' "$(sha256sum <"$out/rootfs.ext4" | cut -d' ' -f1)"
	} >"$out/inputs"
	# The cached image is the pristine original: boot copies of it.
	chmod a-w -- "$out/rootfs.ext4"
	publish "$out" "$entry"
}

# rootfs_candidate VAR HASH: the entry for apt's busybox-static candidate,
# built unless cached (for entry_from_apt).
rootfs_candidate() {
	local hash=$2 version entry
	version="$(apt_candidate "$BUSYBOX_PKG")"
	entry="$CACHE/rootfs/busybox-$(path_version "$version")-$hash"
	build_unless_complete rootfs rootfs_complete "$entry" "$BUSYBOX_PKG $version" \
		build_rootfs "$version" "$entry" "$hash"
	printf -v "$1" '%s' "$entry"
}

target_rootfs() {
	[[ -f $ROOTFS_INIT ]] || die "missing $ROOTFS_INIT"
	[[ -f $ROOTFS_MKE2FS_CONF ]] || die "missing $ROOTFS_MKE2FS_CONF"
	if ! [[ $ROOTFS_MIB =~ ^[1-9][0-9]{0,5}$ ]] || ((ROOTFS_MIB < 16 || ROOTFS_MIB > 65536)); then
		die "TURNSTONE_ROOTFS_MIB=$ROOTFS_MIB: give a size in MiB from 16 to 65536"
	fi
	# Built first, outside the rootfs lock: the image carries it.
	target_blkbench
	local hash entry
	hash="$(rootfs_key_hash)"
	entry_from_apt entry rootfs rootfs_complete "$CACHE/rootfs" "*-$hash" rootfs_candidate "$hash"
	RESULTS+=("ROOTFS=$entry/rootfs.ext4")
}
