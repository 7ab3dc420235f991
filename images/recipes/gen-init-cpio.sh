# shellcheck shell=bash
# Ingredient, not a target: gen_init_cpio, the kernel's own cpio writer
# (usr/gen_init_cpio.c of linux-source-6.1), which builds the initramfs
# archives from a list file without root. Cached under
# tools/gen_init_cpio/<linux-source version>/; the minimal kernel leaves one
# behind as a by-product, otherwise it is compiled from the source package.

readonly LINUX_SOURCE_PKG=linux-source-6.1

GEN_INIT_CPIO=

gen_init_cpio_complete() { [[ -x $1/gen_init_cpio ]]; }

# Compiles the kernel's standalone usr/gen_init_cpio.c into the tools cache.
install_gen_init_cpio() {
	local source_file=$1 version=$2 built entry
	entry="$CACHE/tools/gen_init_cpio/$(path_version "$version")"
	gen_init_cpio_complete "$entry" && return 0
	make_tmp built gen_init_cpio
	built+=/out
	mkdir -- "$built"
	gcc -O2 -o "$built/gen_init_cpio" "$source_file" || die "compiling $source_file failed"
	printf '%s\n' "$version" >"$built/version"
	# The minimal and initramfs targets hold different locks, so a concurrent
	# run may have installed the same tool meanwhile; either copy will do.
	mkdir -p -- "$(dirname "$entry")"
	mv -T -- "$built" "$entry" 2>/dev/null || gen_init_cpio_complete "$entry" ||
		die "cannot install gen_init_cpio into $entry"
}

# Sets GEN_INIT_CPIO to a gen_init_cpio binary, building one if none is
# cached. Called with the calling target's lock held.
find_gen_init_cpio() {
	local entry
	entry="$(newest_complete gen_init_cpio_complete "$CACHE"/tools/gen_init_cpio/*)"
	if [[ -z $entry ]]; then
		require_apt
		require_tools gcc:gcc tar:tar xz:xz-utils
		require_headers stdio.h:libc6-dev
		local version work
		version="$(apt_candidate "$LINUX_SOURCE_PKG")"
		make_tmp work gen_init_cpio-src
		apt_extract "$LINUX_SOURCE_PKG" "$version" "$work"
		log "extracting usr/gen_init_cpio.c from the $LINUX_SOURCE_PKG tarball"
		tar -xJf "$work/pkg/usr/src/$LINUX_SOURCE_PKG.tar.xz" -C "$work" \
			"$LINUX_SOURCE_PKG/usr/gen_init_cpio.c" || die "usr/gen_init_cpio.c not found in $LINUX_SOURCE_PKG"
		install_gen_init_cpio "$work/$LINUX_SOURCE_PKG/usr/gen_init_cpio.c" "$version"
		entry="$CACHE/tools/gen_init_cpio/$(path_version "$version")"
	fi
	# shellcheck disable=SC2034 # for the initramfs recipes
	GEN_INIT_CPIO=$entry/gen_init_cpio
}
