# shellcheck shell=bash
# Target `initramfs`: a gzip newc cpio for the minimal kernel, made by
# gen_init_cpio without root: busybox from busybox-static and
# images/initramfs/init, laid out (with device nodes) by
# images/initramfs/initramfs.list. Reproducible. Entry:
# initramfs/busybox-<version>-<hash>/.
#   INITRAMFS

define_target initramfs target_initramfs

readonly INITRAMFS_INIT="$IMAGES_DIR/initramfs/init"
readonly INITRAMFS_LIST="$IMAGES_DIR/initramfs/initramfs.list"

# Runs with the staged busybox and init; its text is part of the cache key.
write_initramfs() {
	local gen_init_cpio=$1 list=$2 busybox=$3 init=$4 output=$5
	# Fixed timestamps keep the archive reproducible.
	touch -h -d @0 -- "$busybox" "$init"
	BUSYBOX=$busybox INIT=$init "$gen_init_cpio" -t 0 "$list" | gzip -9 -n >"$output"
}

initramfs_complete() { [[ -s $1/initramfs.cpio.gz ]]; }

initramfs_key_hash() {
	{
		cat -- "$INITRAMFS_INIT" "$INITRAMFS_LIST"
		declare -f write_initramfs
	} | short_hash
}

build_initramfs() {
	local version=$1 entry=$2 hash=$3
	log "initramfs: building with $BUSYBOX_PKG $version (init and list $hash)"
	require_tools gcc:gcc gzip:gzip cpio:cpio
	local work out listing
	find_gen_init_cpio
	make_tmp work initramfs
	extract_busybox "$version" "$work"
	mkdir -- "$work/stage"
	mv -- "$work/busybox" "$work/stage/busybox"
	cp -- "$INITRAMFS_INIT" "$work/stage/init"

	out="$work/out"
	mkdir -- "$out"
	# shellcheck disable=SC2153 # GEN_INIT_CPIO: set by find_gen_init_cpio
	write_initramfs "$GEN_INIT_CPIO" "$INITRAMFS_LIST" "$work/stage/busybox" "$work/stage/init" "$out/initramfs.cpio.gz" ||
		die "gen_init_cpio failed on $INITRAMFS_LIST"
	# Check the archive with an independent reader.
	listing="$(gzip -dc "$out/initramfs.cpio.gz" | cpio -it --quiet)" || die "the initramfs does not read back as a cpio archive"
	local member
	for member in init bin/busybox bin/sh dev/console dev/port; do
		grep -qxF -- "$member" <<<"$listing" || die "the initramfs lacks $member"
	done
	cp -- "$INITRAMFS_LIST" "$out/initramfs.list"
	printf '%s\n' "$version" >"$out/version"
	printf 'package %s %s\ninit-and-list %s\n' "$BUSYBOX_PKG" "$version" "$hash" >"$out/inputs"
	publish "$out" "$entry"
}

# initramfs_candidate VAR HASH: the entry for apt's busybox-static
# candidate, built unless cached (for entry_from_apt).
initramfs_candidate() {
	local hash=$2 version entry
	version="$(apt_candidate "$BUSYBOX_PKG")"
	entry="$CACHE/initramfs/busybox-$(path_version "$version")-$hash"
	build_unless_complete initramfs initramfs_complete "$entry" "$BUSYBOX_PKG $version" \
		build_initramfs "$version" "$entry" "$hash"
	printf -v "$1" '%s' "$entry"
}

target_initramfs() {
	[[ -f $INITRAMFS_INIT ]] || die "missing $INITRAMFS_INIT"
	[[ -f $INITRAMFS_LIST ]] || die "missing $INITRAMFS_LIST"
	local hash entry
	hash="$(initramfs_key_hash)"
	entry_from_apt entry initramfs initramfs_complete "$CACHE/initramfs" "*-$hash" initramfs_candidate "$hash"
	RESULTS+=("INITRAMFS=$entry/initramfs.cpio.gz")
}
