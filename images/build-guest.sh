#!/usr/bin/env bash
# Builds the Turnstone guest artefacts from Debian packages, cached outside
# the repository.
#
#   images/build-guest.sh minimal|cloud|initramfs|initramfs-virtio|blkbench|rootfs|components|blkdriver|all
#
#   minimal    Linux from Debian's linux-source-6.1: tinyconfig plus
#              images/linux/minimal.config, LZ4 payload. Keeps bzImage,
#              vmlinux and the final config.
#   cloud      Debian's cloud kernel (linux-image-cloud-amd64 resolved to its
#              linux-image-<abi>-cloud-amd64), plus its modules directory.
#   initramfs  gzip newc cpio: busybox from busybox-static and
#              images/initramfs/init, laid out by images/initramfs/initramfs.list.
#   initramfs-virtio
#              gzip newc cpio for the cloud kernel: busybox,
#              images/initramfs-virtio/init and the kernel's virtio modules
#              (PCI transport, block, console); mounts the root file system
#              from the virtio disk and switches to it.
#   blkbench   images/blkbench/blkbench.c as a static binary, with the host
#              gcc: the block I/O benchmark the rootfs carries, and the same
#              program for the host's ceiling. Needs gcc even when cached.
#   rootfs     ext4 image (64 MiB, TURNSTONE_ROOTFS_MIB to change) made without
#              root: busybox, images/rootfs/init as /sbin/init and blkbench
#              as /bin/turnstone-blkbench (so this target includes blkbench
#              and needs gcc even when cached).
#   components images/components/samples/*.c as freestanding component ELFs
#              (ABI in images/components/ABI.md) with the host gcc, plus the
#              host CRC-32 baseline crc32_host. Needs gcc even when cached:
#              the compiler's version is part of the cache key.
#   blkdriver  images/blkdriver/ as one freestanding PVH ELF with the host
#              gcc: the bare-metal virtio-blk benchmark guest that QEMU
#              (-kernel) and Turnstone (--kernel) both boot. Not part of
#              `all`. Needs gcc even when cached.
#
# On success STDOUT carries only KEY=absolute-path lines:
#   MINIMAL_KERNEL MINIMAL_VMLINUX CLOUD_KERNEL CLOUD_MODULES INITRAMFS
#   VIRTIO_INITRAMFS BLKBENCH ROOTFS COMPONENTS_DIR BLKDRIVER
# (each at most once: rootfs reports the BLKBENCH it contains).
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
readonly LINUX_SOURCE_PKG=linux-source-6.1
readonly CLOUD_META_PKG=linux-image-cloud-amd64
readonly BUSYBOX_PKG=busybox-static
readonly MINIMAL_FRAGMENT="$IMAGES_DIR/linux/minimal.config"
readonly INITRAMFS_INIT="$IMAGES_DIR/initramfs/init"
readonly INITRAMFS_LIST="$IMAGES_DIR/initramfs/initramfs.list"
readonly COMPONENTS_SRC="$IMAGES_DIR/components"
readonly VIRTIO_INIT="$IMAGES_DIR/initramfs-virtio/init"
readonly VIRTIO_LIST="$IMAGES_DIR/initramfs-virtio/initramfs.list"
readonly ROOTFS_INIT="$IMAGES_DIR/rootfs/init"
readonly ROOTFS_MKE2FS_CONF="$IMAGES_DIR/rootfs/mke2fs.conf"
readonly BLKBENCH_SRC="$IMAGES_DIR/blkbench/blkbench.c"
readonly BLKDRIVER_SRC="$IMAGES_DIR/blkdriver"

RESULTS=()
TMP_DIRS=()
GEN_INIT_CPIO=
CLOUD_ENTRY=
BLKBENCH=
LOCKED_TARGET=none
LOCK_FD=

log() { printf 'build-guest: %s\n' "$*" >&2; }
die() { printf 'build-guest: error: %s\n' "$*" >&2; exit 1; }

usage() {
	printf 'usage: %s minimal|cloud|initramfs|initramfs-virtio|blkbench|rootfs|components|blkdriver|all\n' "$0" >&2
	exit 2
}

cleanup() {
	local d
	for d in "${TMP_DIRS[@]}"; do
		rm -rf -- "$d"
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- cache root --------------------------------------------------------------

resolve_cache_root() {
	local root
	if [[ -n ${TURNSTONE_CACHE:-} ]]; then
		root=$TURNSTONE_CACHE
	elif [[ -n ${XDG_CACHE_HOME:-} ]]; then
		root=$XDG_CACHE_HOME/turnstone
	elif [[ -n ${HOME:-} ]]; then
		root=$HOME/.cache/turnstone
	else
		die "no cache directory: set TURNSTONE_CACHE (or XDG_CACHE_HOME or HOME)"
	fi
	root="$(realpath -m -- "$root")"
	# Binaries never go into the repository.
	case "$root/" in
	"$REPO_DIR"/*) die "cache directory $root is inside the repository $REPO_DIR; point TURNSTONE_CACHE elsewhere" ;;
	esac
	mkdir -p -- "$root" || die "cannot create cache directory $root"
	CACHE=$root
}

# --- small helpers -----------------------------------------------------------

short_hash() { sha256sum | cut -c1-12; }

# Debian versions may carry an epoch ("1:1.35.0-4"); keep ':' out of paths.
# '_' never occurs in a Debian version, so this is reversible.
path_version() { printf '%s' "${1//:/_}"; }

# make_tmp VAR LABEL: creates a temporary directory under the cache root (the
# same file system as the entries, so publishing is a rename) and stores its
# path in VAR. Not called in $(...): the list of directories to remove on
# exit must be the main shell's. Named after the locked target, so that
# take_lock can clear what a killed run of that target left behind.
make_tmp() {
	mkdir -p -- "$CACHE/tmp"
	local _made
	_made="$(mktemp -d "$CACHE/tmp/$LOCKED_TARGET.$2.XXXXXX")"
	TMP_DIRS+=("$_made")
	printf -v "$1" '%s' "$_made"
}

# Takes the per-target lock (release_lock, or the script's exit, drops it).
take_lock() {
	mkdir -p -- "$CACHE/locks"
	local stale
	exec {LOCK_FD}>"$CACHE/locks/$1.lock"
	if ! flock -n "$LOCK_FD"; then
		log "$1: waiting for another build-guest.sh run to finish"
		flock "$LOCK_FD"
	fi
	LOCKED_TARGET=$1
	# Temporary directories of this target that no live run owns any more.
	for stale in "$CACHE/tmp/$1".*; do
		[[ -e $stale ]] || continue
		log "$1: removing $stale, left by an interrupted run"
		rm -rf -- "$stale"
	done
}

# Removes the target's temporary directories first: once the lock is gone,
# the next run would take them for leftovers.
release_lock() {
	cleanup
	TMP_DIRS=()
	exec {LOCK_FD}>&-
	LOCKED_TARGET=none
}

# Renames a finished build directory into place as a cache entry.
publish() {
	local built=$1 entry=$2
	mkdir -p -- "$(dirname "$entry")"
	# Only reachable if an entry was damaged by hand; we hold the lock.
	[[ -e $entry ]] && rm -rf -- "$entry"
	mv -T -- "$built" "$entry"
}

# Prints the newest (by Debian version, read from each entry's `version`
# file) of the given entry directories that passes the completeness check.
newest_complete() {
	local check=$1
	shift
	local d v best="" best_version=""
	for d in "$@"; do
		[[ -d $d && -f $d/version ]] || continue
		"$check" "$d" || continue
		v="$(<"$d/version")"
		if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$best_version"; then
			best=$d best_version=$v
		fi
	done
	printf '%s' "$best"
}

refresh_requested() { [[ ${TURNSTONE_REFRESH:-0} == 1 ]]; }

# Tools: "command:debian-package" pairs. Checked only when something has to
# be built, so a complete cache works on a host without them.
require_tools() {
	local pair cmd pkg missing=() pkgs=()
	for pair in "$@"; do
		cmd=${pair%%:*} pkg=${pair#*:}
		if ! command -v "$cmd" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$cmd && ! -x /sbin/$cmd ]]; then
			missing+=("$cmd")
			pkgs+=("$pkg")
		fi
	done
	if ((${#missing[@]})); then
		die "missing tools: ${missing[*]}; install them with: apt-get install ${pkgs[*]}"
	fi
}

# Prints the path of a tool that may live in /usr/sbin or /sbin, which are
# not in a normal user's PATH (require_tools has found it).
tool_path() {
	local dir
	command -v "$1" && return 0
	for dir in /usr/sbin /sbin; do
		if [[ -x $dir/$1 ]]; then
			printf '%s\n' "$dir/$1"
			return 0
		fi
	done
	return 1
}

# C headers that come from -dev packages: "header:debian-package".
require_headers() {
	local pair hdr pkg missing=() pkgs=()
	for pair in "$@"; do
		hdr=${pair%%:*} pkg=${pair#*:}
		if ! printf '#include <%s>\n' "$hdr" | gcc -E -x c - -o /dev/null >/dev/null 2>&1; then
			missing+=("<$hdr>")
			pkgs+=("$pkg")
		fi
	done
	if ((${#missing[@]})); then
		die "missing C headers: ${missing[*]}; install them with: apt-get install ${pkgs[*]}"
	fi
}

# --- apt ---------------------------------------------------------------------

require_apt() {
	require_tools apt-get:apt apt-cache:apt dpkg-deb:dpkg dpkg:dpkg
}

apt_candidate() {
	local pkg=$1 out version
	out="$(apt-cache policy "$pkg" 2>&1)" || die "apt-cache policy $pkg failed: $out"
	version="$(awk '$1 == "Candidate:" { print $2 }' <<<"$out")"
	if [[ -z $version || $version == "(none)" ]]; then
		die "apt knows no installable version of $pkg; it is in Debian bookworm (main, and bookworm-security for current versions): check /etc/apt/sources.list and run apt-get update"
	fi
	printf '%s' "$version"
}

# Downloads pkg=version into an empty directory and prints the .deb's path.
apt_download() {
	local pkg=$1 version=$2 dir=$3 opts=(-q) debs
	# As root, apt would fall back to an unsandboxed download with a warning
	# because _apt cannot write the (private) temporary directory.
	((EUID == 0)) && opts+=(-o APT::Sandbox::User=root)
	log "downloading $pkg=$version"
	if ! (cd -- "$dir" && apt-get "${opts[@]}" download "$pkg=$version") >&2; then
		die "apt-get download $pkg=$version failed (network down, or stale package lists: run apt-get update)"
	fi
	debs=("$dir"/*.deb)
	[[ ${#debs[@]} == 1 && -f ${debs[0]} ]] || die "apt-get download $pkg=$version left no single .deb in $dir"
	printf '%s' "${debs[0]}"
}

# extract_busybox VERSION WORK: downloads busybox-static=VERSION into the
# (empty) directory WORK and leaves its static binary at WORK/busybox.
extract_busybox() {
	local version=$1 work=$2 deb
	mkdir -- "$work/deb"
	deb="$(apt_download "$BUSYBOX_PKG" "$version" "$work/deb")"
	dpkg-deb -x "$deb" "$work/pkg" || die "dpkg-deb -x $deb failed"
	[[ -x $work/pkg/bin/busybox ]] || die "$BUSYBOX_PKG $version has no bin/busybox"
	mv -- "$work/pkg/bin/busybox" "$work/busybox"
	rm -rf -- "$work/deb" "$work/pkg"
}

# --- gen_init_cpio (from the kernel tree) ------------------------------------

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
# cached (the minimal kernel build leaves one behind as a by-product).
find_gen_init_cpio() {
	local entry
	entry="$(newest_complete gen_init_cpio_complete "$CACHE"/tools/gen_init_cpio/*)"
	if [[ -z $entry ]]; then
		require_apt
		require_tools gcc:gcc tar:tar xz:xz-utils
		require_headers stdio.h:libc6-dev
		local version work deb
		version="$(apt_candidate "$LINUX_SOURCE_PKG")"
		make_tmp work gen_init_cpio-src
		mkdir -- "$work/deb"
		deb="$(apt_download "$LINUX_SOURCE_PKG" "$version" "$work/deb")"
		dpkg-deb -x "$deb" "$work/pkg" || die "dpkg-deb -x $deb failed"
		log "extracting usr/gen_init_cpio.c from the $LINUX_SOURCE_PKG tarball"
		tar -xJf "$work/pkg/usr/src/$LINUX_SOURCE_PKG.tar.xz" -C "$work" \
			"$LINUX_SOURCE_PKG/usr/gen_init_cpio.c" || die "usr/gen_init_cpio.c not found in $LINUX_SOURCE_PKG"
		install_gen_init_cpio "$work/$LINUX_SOURCE_PKG/usr/gen_init_cpio.c" "$version"
		entry="$CACHE/tools/gen_init_cpio/$(path_version "$version")"
	fi
	GEN_INIT_CPIO=$entry/gen_init_cpio
}

# --- minimal kernel ----------------------------------------------------------

# The next two functions run inside the kernel tree with output to the build
# log; their text is part of the cache key (see target_minimal).
# (&& chains: errexit does not apply where they are called.)
configure_minimal_kernel() {
	local fragment=$1
	make tinyconfig &&
		scripts/kconfig/merge_config.sh -m .config "$fragment" &&
		make olddefconfig
}

make_minimal_kernel() {
	make -j"$(nproc)" KBUILD_BUILD_USER=turnstone KBUILD_BUILD_HOST=images bzImage
}

# Kconfig silently drops a symbol whose dependencies are unmet; catch that.
check_minimal_config() {
	local fragment=$1 config=$2 line symbol dropped=() revived=()
	while IFS= read -r line; do
		if [[ $line =~ ^CONFIG_[A-Za-z0-9_]+= ]]; then
			grep -qxF -- "$line" "$config" || dropped+=("$line")
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			symbol=${BASH_REMATCH[1]}
			grep -q -- "^$symbol=[ym]$" "$config" && revived+=("$symbol")
		fi
	done <"$fragment"
	if ((${#dropped[@]} || ${#revived[@]})); then
		((${#dropped[@]})) && log "options of $fragment missing from the final .config (unmet dependencies?): ${dropped[*]}"
		((${#revived[@]})) && log "options $fragment switches off that are on in the final .config (selected by another option?): ${revived[*]}"
		return 1
	fi
}

# in_kernel_tree DIR COMMAND...: for a subshell. Variables from a calling
# make or a cross-build setup would redirect kbuild.
in_kernel_tree() {
	cd -- "$1" || return
	shift
	unset ARCH SUBARCH CROSS_COMPILE KBUILD_OUTPUT O KCONFIG_CONFIG MAKEFLAGS MFLAGS MAKELEVEL LLVM
	"$@"
}

minimal_complete() { [[ -s $1/bzImage && -s $1/vmlinux && -s $1/config ]]; }

minimal_key_hash() {
	{
		cat -- "$MINIMAL_FRAGMENT"
		declare -f configure_minimal_kernel make_minimal_kernel
	} | short_hash
}

build_minimal() {
	local version=$1 entry=$2 hash=$3
	require_apt
	require_tools gcc:gcc make:make flex:flex bison:bison bc:bc lz4:lz4 xz:xz-utils tar:tar
	require_headers stdio.h:libc6-dev gelf.h:libelf-dev
	[[ $(uname -m) == x86_64 ]] || die "the minimal kernel is built natively; this host is $(uname -m), not x86_64"

	local work deb src log_file started elapsed
	make_tmp work minimal
	mkdir -- "$work/deb"
	deb="$(apt_download "$LINUX_SOURCE_PKG" "$version" "$work/deb")"
	log "extracting $LINUX_SOURCE_PKG $version"
	dpkg-deb -x "$deb" "$work/pkg" || die "dpkg-deb -x $deb failed"
	tar -xJf "$work/pkg/usr/src/$LINUX_SOURCE_PKG.tar.xz" -C "$work" ||
		die "cannot unpack $work/pkg/usr/src/$LINUX_SOURCE_PKG.tar.xz"
	rm -rf -- "$work/deb" "$work/pkg"
	src="$work/$LINUX_SOURCE_PKG"
	[[ -f $src/Makefile ]] || die "$LINUX_SOURCE_PKG tarball did not unpack to $src"

	# By-product for the initramfs target: saves it downloading the source.
	install_gen_init_cpio "$src/usr/gen_init_cpio.c" "$version"

	mkdir -p -- "$CACHE/logs"
	log_file="$CACHE/logs/minimal-$(path_version "$version")-$hash.log"
	: >"$log_file"

	log "configuring (tinyconfig + ${MINIMAL_FRAGMENT#"$REPO_DIR"/}); log: $log_file"
	if ! (in_kernel_tree "$src" configure_minimal_kernel "$MINIMAL_FRAGMENT") >>"$log_file" 2>&1; then
		tail -n 40 -- "$log_file" >&2
		die "kernel configuration failed; full log: $log_file"
	fi
	if ! check_minimal_config "$MINIMAL_FRAGMENT" "$src/.config"; then
		cp -- "$src/.config" "${log_file%.log}.config"
		die "the kernel config fragment did not survive make olddefconfig; fix $MINIMAL_FRAGMENT (resulting config: ${log_file%.log}.config)"
	fi

	log "building bzImage with $(nproc) jobs (several minutes on 2 cores)"
	started=$SECONDS
	if ! (in_kernel_tree "$src" make_minimal_kernel) >>"$log_file" 2>&1; then
		tail -n 40 -- "$log_file" >&2
		die "kernel build failed; full log: $log_file"
	fi
	elapsed=$((SECONDS - started))
	log "kernel built in ${elapsed}s"

	local out="$work/out"
	mkdir -- "$out"
	cp -- "$src/arch/x86/boot/bzImage" "$out/bzImage"
	cp -- "$src/vmlinux" "$out/vmlinux"
	cp -- "$src/.config" "$out/config"
	printf '%s\n' "$version" >"$out/version"
	printf 'package %s %s\nfragment-and-recipe %s\nbuild-seconds %s\n' \
		"$LINUX_SOURCE_PKG" "$version" "$hash" "$elapsed" >"$out/inputs"
	minimal_complete "$out" || die "kernel build produced no bzImage/vmlinux"
	publish "$out" "$entry"
}

target_minimal() {
	[[ -f $MINIMAL_FRAGMENT ]] || die "missing $MINIMAL_FRAGMENT"
	local hash entry="" version
	hash="$(minimal_key_hash)"
	refresh_requested || entry="$(newest_complete minimal_complete "$CACHE"/minimal/*-"$hash")"
	if [[ -z $entry ]]; then
		take_lock minimal
		refresh_requested || entry="$(newest_complete minimal_complete "$CACHE"/minimal/*-"$hash")"
		if [[ -z $entry ]]; then
			require_apt
			version="$(apt_candidate "$LINUX_SOURCE_PKG")"
			entry="$CACHE/minimal/$(path_version "$version")-$hash"
			if minimal_complete "$entry"; then
				log "minimal: $LINUX_SOURCE_PKG $version already cached"
			else
				log "minimal: building from $LINUX_SOURCE_PKG $version (config $hash)"
				build_minimal "$version" "$entry" "$hash"
			fi
		fi
		release_lock
	fi
	log "minimal: $entry"
	RESULTS+=("MINIMAL_KERNEL=$entry/bzImage" "MINIMAL_VMLINUX=$entry/vmlinux")
}

# --- Debian cloud kernel -----------------------------------------------------

# Prints the one name matching a glob inside a directory, or nothing.
single_match() {
	# shellcheck disable=SC2206 # $2 is a glob on purpose
	local matches=("$1"/$2)
	[[ ${#matches[@]} == 1 && -e ${matches[0]} ]] && printf '%s' "${matches[0]}"
}

cloud_complete() {
	local kernel modules
	kernel="$(single_match "$1" 'vmlinuz-*')" || return 1
	modules="$(single_match "$1/lib/modules" '*')" || return 1
	[[ -s $kernel && -s $modules/modules.dep ]]
}

build_cloud() {
	local image_pkg=$1 version=$2 entry=$3
	require_tools depmod:kmod
	local work deb pkg_root abi out
	make_tmp work cloud
	mkdir -- "$work/deb"
	deb="$(apt_download "$image_pkg" "$version" "$work/deb")"
	pkg_root="$work/pkg"
	dpkg-deb -x "$deb" "$pkg_root" || die "dpkg-deb -x $deb failed"
	abi="$(single_match "$pkg_root/lib/modules" '*')" || die "$image_pkg has no single lib/modules/<version> directory"
	abi="$(basename -- "$abi")"
	[[ -f $pkg_root/boot/vmlinuz-$abi ]] || die "$image_pkg has no boot/vmlinuz-$abi"

	out="$work/out"
	mkdir -p -- "$out/lib/modules"
	mv -- "$pkg_root/boot/vmlinuz-$abi" "$pkg_root/boot/config-$abi" "$out/"
	mv -- "$pkg_root/lib/modules/$abi" "$out/lib/modules/"
	# The package leaves modules.dep & co. to its postinst; generate them so
	# modprobe (or whoever resolves module dependencies) works from here.
	local depmod
	depmod="$(tool_path depmod)"
	"$depmod" -b "$out" "$abi" || die "depmod -b $out $abi failed"
	printf '%s\n' "$version" >"$out/version"
	printf 'package %s %s\n' "$image_pkg" "$version" >"$out/inputs"
	cloud_complete "$out" || die "cloud kernel entry incomplete after extraction"
	publish "$out" "$entry"
}

# Sets CLOUD_ENTRY to the cloud kernel's cache entry, extracting the package
# first if none is cached (with TURNSTONE_REFRESH=1: none for apt's current
# candidate). Once per run: cloud and initramfs-virtio must agree.
resolve_cloud() {
	[[ -n $CLOUD_ENTRY ]] && return 0
	local entry="" meta_version image_pkg version
	refresh_requested || entry="$(newest_complete cloud_complete "$CACHE"/cloud/*)"
	if [[ -z $entry ]]; then
		take_lock cloud
		refresh_requested || entry="$(newest_complete cloud_complete "$CACHE"/cloud/*)"
		if [[ -z $entry ]]; then
			require_apt
			meta_version="$(apt_candidate "$CLOUD_META_PKG")"
			# The metapackage depends on exactly one linux-image-<abi>-cloud-amd64.
			image_pkg="$(apt-cache show --no-all-versions "$CLOUD_META_PKG=$meta_version" |
				sed -n 's/^Depends: //p' | tr ',|' '\n' |
				grep -oE '^ *linux-image-[0-9][^ ]*-cloud-amd64' | tr -d ' ' | head -n 1)" || true
			[[ -n $image_pkg ]] || die "cannot resolve the kernel image package $CLOUD_META_PKG=$meta_version depends on"
			version="$(apt_candidate "$image_pkg")"
			entry="$CACHE/cloud/${image_pkg}_$(path_version "$version")"
			if cloud_complete "$entry"; then
				log "cloud: $image_pkg $version already cached"
			else
				log "cloud: extracting $image_pkg $version (from $CLOUD_META_PKG $meta_version)"
				build_cloud "$image_pkg" "$version" "$entry"
			fi
		fi
		release_lock
	fi
	log "cloud: $entry"
	CLOUD_ENTRY=$entry
}

target_cloud() {
	resolve_cloud
	local kernel modules
	kernel="$(single_match "$CLOUD_ENTRY" 'vmlinuz-*')"
	modules="$(single_match "$CLOUD_ENTRY/lib/modules" '*')"
	RESULTS+=("CLOUD_KERNEL=$kernel" "CLOUD_MODULES=$modules")
}

# --- initramfs ---------------------------------------------------------------

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
	local version=$1 entry=$2
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
	printf 'package %s %s\ninit-and-list %s\n' "$BUSYBOX_PKG" "$version" "$(initramfs_key_hash)" >"$out/inputs"
	publish "$out" "$entry"
}

target_initramfs() {
	[[ -f $INITRAMFS_INIT ]] || die "missing $INITRAMFS_INIT"
	[[ -f $INITRAMFS_LIST ]] || die "missing $INITRAMFS_LIST"
	local hash entry="" version
	hash="$(initramfs_key_hash)"
	refresh_requested || entry="$(newest_complete initramfs_complete "$CACHE"/initramfs/*-"$hash")"
	if [[ -z $entry ]]; then
		take_lock initramfs
		refresh_requested || entry="$(newest_complete initramfs_complete "$CACHE"/initramfs/*-"$hash")"
		if [[ -z $entry ]]; then
			require_apt
			version="$(apt_candidate "$BUSYBOX_PKG")"
			entry="$CACHE/initramfs/busybox-$(path_version "$version")-$hash"
			if initramfs_complete "$entry"; then
				log "initramfs: $BUSYBOX_PKG $version already cached"
			else
				log "initramfs: building with $BUSYBOX_PKG $version (init and list $hash)"
				build_initramfs "$version" "$entry"
			fi
		fi
		release_lock
	fi
	log "initramfs: $entry"
	RESULTS+=("INITRAMFS=$entry/initramfs.cpio.gz")
}

# --- virtio initramfs (cloud kernel) -----------------------------------------

# The cloud kernel's modules for a root file system on virtio-blk and a
# console on virtio-console, both behind virtio-pci. The build fails, naming
# them, if these need a module outside the set.
readonly -a VIRTIO_MODULES=(virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk virtio_console)
# What the initramfs relies on being built into the cloud kernel: gzip
# initramfs, devtmpfs, and ext4 with its journal and crc32c (metadata_csum)
# for the root file system.
readonly -a VIRTIO_KERNEL_BUILTINS=(CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP CONFIG_DEVTMPFS CONFIG_EXT4_FS CONFIG_JBD2 CONFIG_CRYPTO_CRC32C)

# order_virtio_modules MODULES_DIR ORDER_VAR PATHS_VAR: resolves
# VIRTIO_MODULES in the kernel's modules directory (lib/modules/<abi>, with
# modules.dep) and stores them in ORDER_VAR, dependencies first, and their
# files in the associative array PATHS_VAR. Its text is part of the cache key.
order_virtio_modules() {
	local modules_dir=$1 base abi modinfo m dep file vermagic progress
	local -n ordered=$2 files=$3
	local -A deps=() placed=() needed_by=()
	local missing=() builtin=() wrong=()
	abi="$(basename -- "$modules_dir")"
	base="$(dirname -- "$(dirname -- "$(dirname -- "$modules_dir")")")"
	modinfo="$(tool_path modinfo)"
	for m in "${VIRTIO_MODULES[@]}"; do
		if ! file="$("$modinfo" -b "$base" -k "$abi" -F filename "$m" 2>/dev/null)" || [[ -z $file ]]; then
			missing+=("$m")
			continue
		fi
		if [[ $file == "(builtin)" ]]; then
			builtin+=("$m")
			continue
		fi
		[[ $file == *.ko ]] || wrong+=("$m is $file, not an uncompressed .ko")
		vermagic="$("$modinfo" -F vermagic "$file")" || die "modinfo -F vermagic $file failed"
		[[ $vermagic == "$abi "* ]] || wrong+=("$m was built for ${vermagic%% *}, not $abi")
		# shellcheck disable=SC2004 # files is an associative array (a nameref)
		files[$m]=$file
		dep="$("$modinfo" -F depends "$file")" || die "modinfo -F depends $file failed"
		# modinfo names modules with - or _ as their authors spelled them.
		deps[$m]=${dep//-/_}
	done
	((${#missing[@]})) && die "the cloud kernel $abi has no module ${missing[*]}; adjust VIRTIO_MODULES in $0"
	((${#builtin[@]})) && die "the cloud kernel $abi has ${builtin[*]} built in; remove them from VIRTIO_MODULES in $0"
	((${#wrong[@]})) && die "unusable modules in $modules_dir: $(printf '%s; ' "${wrong[@]}")"
	for m in "${VIRTIO_MODULES[@]}"; do
		for dep in ${deps[$m]//,/ }; do
			[[ -n ${files[$dep]:-} ]] || needed_by[$dep]+=" $m"
		done
	done
	if ((${#needed_by[@]})); then
		for dep in "${!needed_by[@]}"; do
			missing+=("$dep (needed by${needed_by[$dep]})")
		done
		die "the virtio modules of $abi need modules outside VIRTIO_MODULES: $(printf '%s; ' "${missing[@]}")add them in $0"
	fi
	# Dependencies first: place whatever has all its dependencies placed,
	# until all are (the set is closed, so only a cycle stops progress).
	ordered=()
	while ((${#ordered[@]} < ${#VIRTIO_MODULES[@]})); do
		progress=0
		for m in "${VIRTIO_MODULES[@]}"; do
			[[ -n ${placed[$m]:-} ]] && continue
			for dep in ${deps[$m]//,/ }; do
				[[ -n ${placed[$dep]:-} ]] || continue 2
			done
			ordered+=("$m")
			placed[$m]=1
			progress=1
		done
		((progress)) || die "the virtio modules of $abi depend on each other in a cycle"
	done
}

# Runs with the staged busybox, init and modules; its text is part of the
# cache key.
write_initramfs_virtio() {
	local gen_init_cpio=$1 list=$2 stage=$3 output=$4
	# Fixed timestamps keep the archive reproducible.
	find "$stage" -exec touch -h -d @0 -- {} +
	BUSYBOX=$stage/busybox INIT=$stage/init MODULES=$stage/modules \
		"$gen_init_cpio" -t 0 "$list" | gzip -9 -n >"$output"
}

initramfs_virtio_complete() { [[ -s $1/initramfs-virtio.cpio.gz ]]; }

initramfs_virtio_key_hash() {
	{
		cat -- "$VIRTIO_INIT" "$VIRTIO_LIST"
		printf '%s\n' "${VIRTIO_MODULES[@]}" -- "${VIRTIO_KERNEL_BUILTINS[@]}"
		declare -f order_virtio_modules write_initramfs_virtio
	} | short_hash
}

build_initramfs_virtio() {
	local version=$1 entry=$2 hash=$3 cloud=$4
	require_tools gcc:gcc gzip:gzip cpio:cpio modinfo:kmod
	local modules_dir config opt missing=() work stage out listing m
	local -a order=()
	local -A module_files=()
	modules_dir="$(single_match "$cloud/lib/modules" '*')" || die "$cloud has no single lib/modules/<abi>"
	config="$(single_match "$cloud" 'config-*')" || die "$cloud has no config-<abi>"
	for opt in "${VIRTIO_KERNEL_BUILTINS[@]}"; do
		grep -qx -- "$opt=y" "$config" || missing+=("$opt")
	done
	((${#missing[@]})) && die "the cloud kernel does not have built in what the virtio initramfs needs: ${missing[*]} (see $config)"
	order_virtio_modules "$modules_dir" order module_files
	log "initramfs-virtio: modules, in load order: ${order[*]}"

	find_gen_init_cpio
	make_tmp work initramfs-virtio
	extract_busybox "$version" "$work"
	stage="$work/stage"
	mkdir -p -- "$stage/modules"
	mv -- "$work/busybox" "$stage/busybox"
	cp -- "$VIRTIO_INIT" "$stage/init"
	cp -- "$VIRTIO_LIST" "$work/initramfs.list"
	for m in "${order[@]}"; do
		cp -- "${module_files[$m]}" "$stage/modules/$m.ko"
		# shellcheck disable=SC2016 # ${MODULES} is for gen_init_cpio to expand
		printf 'file /lib/modules/%s.ko ${MODULES}/%s.ko 0644 0 0\n' "$m" "$m" >>"$work/initramfs.list"
	done
	printf '%s\n' "${order[@]}" >"$stage/modules/order"

	out="$work/out"
	mkdir -- "$out"
	write_initramfs_virtio "$GEN_INIT_CPIO" "$work/initramfs.list" "$stage" "$out/initramfs-virtio.cpio.gz" ||
		die "gen_init_cpio failed on $work/initramfs.list"
	# Check the archive with an independent reader.
	listing="$(gzip -dc "$out/initramfs-virtio.cpio.gz" | cpio -it --quiet)" ||
		die "the virtio initramfs does not read back as a cpio archive"
	local member
	for member in init bin/busybox bin/sh bin/insmod bin/switch_root dev/console run/tick lib/modules/order; do
		grep -qxF -- "$member" <<<"$listing" || die "the virtio initramfs lacks $member"
	done
	for m in "${order[@]}"; do
		grep -qxF -- "lib/modules/$m.ko" <<<"$listing" || die "the virtio initramfs lacks lib/modules/$m.ko"
	done
	cp -- "$work/initramfs.list" "$out/initramfs.list"
	printf '%s\n' "$version" >"$out/version"
	{
		printf 'package %s %s\n' "$BUSYBOX_PKG" "$version"
		printf 'kernel %s\n' "$(basename -- "$cloud")"
		printf 'modules %s\n' "${order[*]}"
		printf 'init-list-and-recipe %s\n' "$hash"
	} >"$out/inputs"
	publish "$out" "$entry"
}

target_initramfs_virtio() {
	[[ -f $VIRTIO_INIT ]] || die "missing $VIRTIO_INIT"
	[[ -f $VIRTIO_LIST ]] || die "missing $VIRTIO_LIST"
	# The modules come from the cloud kernel that target_cloud resolves.
	resolve_cloud
	local hash kernel entry="" version
	hash="$(initramfs_virtio_key_hash)"
	kernel="$(basename -- "$CLOUD_ENTRY")"
	refresh_requested || entry="$(newest_complete initramfs_virtio_complete "$CACHE"/initramfs-virtio/"$kernel"-busybox-*-"$hash")"
	if [[ -z $entry ]]; then
		take_lock initramfs-virtio
		refresh_requested || entry="$(newest_complete initramfs_virtio_complete "$CACHE"/initramfs-virtio/"$kernel"-busybox-*-"$hash")"
		if [[ -z $entry ]]; then
			require_apt
			version="$(apt_candidate "$BUSYBOX_PKG")"
			entry="$CACHE/initramfs-virtio/$kernel-busybox-$(path_version "$version")-$hash"
			if initramfs_virtio_complete "$entry"; then
				log "initramfs-virtio: $kernel with $BUSYBOX_PKG $version already cached"
			else
				log "initramfs-virtio: building for $kernel with $BUSYBOX_PKG $version (init, list and recipe $hash)"
				build_initramfs_virtio "$version" "$entry" "$hash" "$CLOUD_ENTRY"
			fi
		fi
		release_lock
	fi
	log "initramfs-virtio: $entry"
	RESULTS+=("VIRTIO_INITRAMFS=$entry/initramfs-virtio.cpio.gz")
}

# --- blkbench ----------------------------------------------------------------

# Static: the root file system has no C library. -s drops the symbol table,
# whose file symbol would carry the source's path: the binary (and with it
# the rootfs image) must not depend on where the repository is checked out.
readonly -a BLKBENCH_CFLAGS=(-O2 -static -s -Wall -Wextra -Werror)

blkbench_complete() { [[ -x $1/turnstone-blkbench ]]; }

# The source, the compiler, the linker, the static C library linked in, the
# flags and this recipe: any change to one of them is a new entry.
blkbench_key_hash() {
	{
		sha256sum <"$BLKBENCH_SRC"
		gcc --version
		"$(gcc -print-prog-name=ld)" --version
		sha256sum <"$(gcc -print-file-name=libc.a)"
		printf '%s\n' "${BLKBENCH_CFLAGS[@]}"
		declare -f build_blkbench check_blkbench
	} | short_hash
}

# Statically linked (no program interpreter), and it works: a small run of
# every workload on a scratch file, whose write must verify. Buffered I/O is
# allowed: the cache may be on a file system that refuses O_DIRECT.
check_blkbench() {
	local binary=$1 work=$2 headers output lines
	headers="$(readelf -lW -- "$binary")" || die "readelf -l $binary failed"
	[[ $headers != *INTERP* ]] || die "$binary is not statically linked (it names a program interpreter)"
	truncate -s 4M -- "$work/scratch.img"
	output="$("$binary" --size 4M --seq-bytes 4M --rand-ops 100 --allow-buffered "$work/scratch.img")" ||
		die "$binary failed its trial run on a 4 MiB file: $output"
	lines="$(grep -c '^turnstone-blkbench: workload=' <<<"$output")"
	[[ $lines == 3 && $output == *" verify=ok"* ]] ||
		die "$binary printed an unexpected trial run (3 workload lines, verify=ok expected): $output"
	rm -f -- "$work/scratch.img"
}

build_blkbench() {
	local entry=$1 hash=$2 work out
	make_tmp work blkbench
	out="$work/out"
	mkdir -- "$out"
	gcc "${BLKBENCH_CFLAGS[@]}" -o "$out/turnstone-blkbench" "$BLKBENCH_SRC" || die "compiling $BLKBENCH_SRC failed"
	check_blkbench "$out/turnstone-blkbench" "$work"
	{
		printf 'recipe-and-source %s\n' "$hash"
		printf 'gcc %s\n' "$(gcc -dumpfullversion)"
		printf 'cflags %s\n' "${BLKBENCH_CFLAGS[*]}"
		printf 'sha256 %s\n' "$(sha256sum <"$out/turnstone-blkbench" | cut -d' ' -f1)"
	} >"$out/inputs"
	publish "$out" "$entry"
}

# Sets BLKBENCH. Runs once: both the rootfs target and `all` ask for it, and
# a key must not appear twice on STDOUT.
target_blkbench() {
	[[ -z $BLKBENCH ]] || return 0
	[[ -f $BLKBENCH_SRC ]] || die "missing $BLKBENCH_SRC"
	command -v gcc >/dev/null 2>&1 ||
		die "blkbench (and the rootfs that carries it) is compiled with the host gcc, which is missing; install it with: apt-get install gcc libc6-dev"
	# gcc prints the bare name when it finds no such file.
	[[ $(gcc -print-file-name=libc.a) == /* ]] ||
		die "blkbench is linked statically, but gcc finds no libc.a; install it with: apt-get install libc6-dev"
	local hash entry
	hash="$(blkbench_key_hash)"
	entry="$CACHE/blkbench/$hash"
	if ! blkbench_complete "$entry"; then
		take_lock blkbench
		if blkbench_complete "$entry"; then
			log "blkbench: $hash already cached"
		else
			require_tools readelf:binutils truncate:coreutils
			log "blkbench: building (source, toolchain and flags $hash)"
			build_blkbench "$entry" "$hash"
		fi
		release_lock
	fi
	log "blkbench: $entry"
	BLKBENCH=$entry/turnstone-blkbench
	RESULTS+=("BLKBENCH=$BLKBENCH")
}

# --- root file system (ext4) -------------------------------------------------

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

target_rootfs() {
	[[ -f $ROOTFS_INIT ]] || die "missing $ROOTFS_INIT"
	[[ -f $ROOTFS_MKE2FS_CONF ]] || die "missing $ROOTFS_MKE2FS_CONF"
	if ! [[ $ROOTFS_MIB =~ ^[1-9][0-9]{0,5}$ ]] || ((ROOTFS_MIB < 16 || ROOTFS_MIB > 65536)); then
		die "TURNSTONE_ROOTFS_MIB=$ROOTFS_MIB: give a size in MiB from 16 to 65536"
	fi
	# Built first, outside the rootfs lock: the image carries it.
	target_blkbench
	local hash entry="" version
	hash="$(rootfs_key_hash)"
	refresh_requested || entry="$(newest_complete rootfs_complete "$CACHE"/rootfs/*-"$hash")"
	if [[ -z $entry ]]; then
		take_lock rootfs
		refresh_requested || entry="$(newest_complete rootfs_complete "$CACHE"/rootfs/*-"$hash")"
		if [[ -z $entry ]]; then
			require_apt
			version="$(apt_candidate "$BUSYBOX_PKG")"
			entry="$CACHE/rootfs/busybox-$(path_version "$version")-$hash"
			if rootfs_complete "$entry"; then
				log "rootfs: $BUSYBOX_PKG $version already cached"
			else
				log "rootfs: building a ${ROOTFS_MIB} MiB ext4 image with $BUSYBOX_PKG $version (init, config, blkbench and recipe $hash)"
				build_rootfs "$version" "$entry" "$hash"
			fi
		fi
		release_lock
	fi
	log "rootfs: $entry"
	RESULTS+=("ROOTFS=$entry/rootfs.ext4")
}

# --- components --------------------------------------------------------------

# samples/<name>.c becomes <name>.elf; checksum also links samples/crc32.c.
readonly -a COMPONENT_SAMPLES=(hello checksum counter ticker wild_write privileged endless oversized bad_pointer)
# Samples that are not components of their own.
readonly -a COMPONENT_HELPERS=(crc32 crc32_host)
# No libc and no OS: static, non-PIE at the linker's default 0x400000, no
# stack protector or CET (nothing in the guest would support them).
# separate-code puts text, read-only data and data on pages of their own,
# which the monitor needs to map each page with exactly one set of rights.
# shellcheck disable=SC2054 # the commas belong to -Wl options
readonly -a COMPONENT_CFLAGS=(
	-O2 -ffreestanding -nostdlib -static -fno-pie -no-pie -fno-stack-protector
	-fno-asynchronous-unwind-tables -fcf-protection=none -Wall -Wextra -Werror
	-Wl,--build-id=none -Wl,-z,noexecstack -Wl,-z,separate-code
)
readonly -a HOST_CFLAGS=(-O2 -Wall -Wextra -Werror)
readonly COMPONENT_IMAGE_BASE=0x400000

components_complete() {
	local s
	for s in "${COMPONENT_SAMPLES[@]}"; do
		[[ -s $1/$s.elf ]] || return 1
	done
	[[ -x $1/crc32_host ]]
}

# Every source under images/components, the toolchain's versions, the flags
# and this recipe: any edit to one of them is a new entry.
components_key_hash() {
	{
		(cd -- "$COMPONENTS_SRC" &&
			find . -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' -o -name '*.ld' \) -print0 |
			sort -z | xargs -0 -r sha256sum)
		gcc --version
		"$(gcc -print-prog-name=ld)" --version
		printf '%s\n' "${COMPONENT_SAMPLES[@]}" -- "${COMPONENT_CFLAGS[@]}" -- "${HOST_CFLAGS[@]}"
		declare -f build_components check_component_elf
	} | short_hash
}

# The layout rules of ABI.md the linker decides: PT_LOAD segments at or
# above the image base, never W+X, no page shared by segments with different
# rights (the monitor maps whole pages), entry point in an executable segment.
check_component_elf() {
	local elf=$1 name problems=() header entry vaddr memsz flags first last i entry_ok=0 list
	local -a firsts=() lasts=() seg_vaddrs=() seg_flags=()
	name=$(basename -- "$elf")
	header="$(readelf -hW -- "$elf")" || die "readelf -h $elf failed"
	grep -Eq '^ *Type: *EXEC ' <<<"$header" || problems+=("not a static executable (ET_EXEC)")
	entry="$(awk '/Entry point address:/ { print $4 }' <<<"$header")"
	while read -r vaddr memsz flags; do
		((vaddr >= COMPONENT_IMAGE_BASE)) || problems+=("PT_LOAD at $vaddr is below $COMPONENT_IMAGE_BASE")
		[[ $flags == *W*E* ]] && problems+=("PT_LOAD at $vaddr is writable and executable")
		((memsz > 0)) || continue
		if [[ $flags == *E* ]] && ((entry >= vaddr && entry < vaddr + memsz)); then
			entry_ok=1
		fi
		first=$((vaddr & ~0xFFF)) last=$(((vaddr + memsz - 1) & ~0xFFF))
		for i in "${!firsts[@]}"; do
			if [[ ${seg_flags[i]} != "$flags" ]] && ((first <= lasts[i] && firsts[i] <= last)); then
				problems+=("PT_LOAD at $vaddr ($flags) shares a page with the one at ${seg_vaddrs[i]} (${seg_flags[i]})")
			fi
		done
		firsts+=("$first") lasts+=("$last") seg_vaddrs+=("$vaddr") seg_flags+=("$flags")
	done < <(readelf -lW -- "$elf" |
		awk '$1 == "LOAD" { f = ""; for (i = 7; i < NF; i++) f = f $i; print $3, $6, f }')
	((${#firsts[@]})) || problems+=("no loadable segment")
	((entry_ok)) || problems+=("entry point $entry is not in an executable segment")
	if ((${#problems[@]})); then
		readelf -lW -- "$elf" >&2
		list="$(printf '%s; ' "${problems[@]}")"
		die "$name breaks the component layout rules of ${COMPONENTS_SRC#"$REPO_DIR"/}/ABI.md: ${list%; }"
	fi
}

build_components() {
	local entry=$1 hash=$2
	local work out s src extra known
	make_tmp work components
	out="$work/out"
	mkdir -- "$out"
	known=" ${COMPONENT_SAMPLES[*]} ${COMPONENT_HELPERS[*]} "
	for src in "$COMPONENTS_SRC"/samples/*.c; do
		s="$(basename -- "$src" .c)"
		[[ $known == *" $s "* ]] || die "$src is neither a listed sample nor a helper; add it to COMPONENT_SAMPLES in $0"
	done
	for s in "${COMPONENT_SAMPLES[@]}"; do
		extra=()
		[[ $s == checksum ]] && extra=("$COMPONENTS_SRC/samples/crc32.c")
		gcc "${COMPONENT_CFLAGS[@]}" -I "$COMPONENTS_SRC" -o "$out/$s.elf" \
			"$COMPONENTS_SRC/start.S" "$COMPONENTS_SRC/turnstone.c" "$COMPONENTS_SRC/samples/$s.c" "${extra[@]}" ||
			die "compiling the $s component failed"
		check_component_elf "$out/$s.elf"
	done
	gcc "${HOST_CFLAGS[@]}" -o "$out/crc32_host" \
		"$COMPONENTS_SRC/samples/crc32_host.c" "$COMPONENTS_SRC/samples/crc32.c" || die "compiling crc32_host failed"
	# Known answer (Python's zlib.crc32 of the same stream): covers the
	# 8-byte steps, the byte tail and a partial last copy of the payload.
	local line
	line="$("$out/crc32_host" 1000 37)" || die "crc32_host 1000 37 failed"
	[[ $line == *" crc=d45c157d" ]] || die "crc32_host computes a wrong CRC-32: $line (expected crc=d45c157d)"
	{
		printf 'recipe-and-sources %s\n' "$hash"
		printf 'gcc %s\n' "$(gcc -dumpfullversion)"
		printf 'component-cflags %s\n' "${COMPONENT_CFLAGS[*]}"
		printf 'host-cflags %s\n' "${HOST_CFLAGS[*]}"
	} >"$out/inputs"
	components_complete "$out" || die "components entry incomplete after the build"
	publish "$out" "$entry"
}

target_components() {
	[[ -f $COMPONENTS_SRC/turnstone.c ]] || die "missing $COMPONENTS_SRC/turnstone.c"
	command -v gcc >/dev/null 2>&1 ||
		die "the components target compiles with the host gcc, which is missing; install it with: apt-get install gcc libc6-dev"
	local hash entry
	hash="$(components_key_hash)"
	entry="$CACHE/components/$hash"
	if ! components_complete "$entry"; then
		take_lock components
		if components_complete "$entry"; then
			log "components: $hash already cached"
		else
			require_tools readelf:binutils
			require_headers stdio.h:libc6-dev
			log "components: building (sources, compiler and flags $hash)"
			build_components "$entry" "$hash"
		fi
		release_lock
	fi
	log "components: $entry"
	RESULTS+=("COMPONENTS_DIR=$entry")
}

# --- blkdriver ---------------------------------------------------------------

# Link order: entry.S first, so the PVH entry is the image's first byte.
readonly -a BLKDRIVER_SOURCES=(entry.S main.c cpu.c acpi.c pci.c virtio.c timing.c workloads.c serial.c lib.c)
# Bare metal: no libc (libgcc only, for 128-bit division), no red zone (the
# CPU pushes interrupt frames onto the interrupted stack at CPL 0), general
# registers only (nothing saves SSE state across interrupts, and nothing
# enables it), no stack protector or CET. The linker script puts the image
# at 1 MiB with a PT_NOTE segment for the PVH entry note; its single load
# segment is RWX on purpose (the loader maps nothing, paging is ours).
# shellcheck disable=SC2054 # the commas belong to -Wl options
readonly -a BLKDRIVER_CFLAGS=(
	-O2 -ffreestanding -nostdlib -static -fno-pie -no-pie -fno-stack-protector
	-fno-asynchronous-unwind-tables -fcf-protection=none -mno-red-zone -mgeneral-regs-only
	-Wall -Wextra -Werror -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
	-T blkdriver.ld
)
readonly BLKDRIVER_LOAD_ADDRESS=0x100000

blkdriver_complete() { [[ -s $1/blkdriver.elf ]]; }

# Every source under images/blkdriver, the compiler, the linker, libgcc,
# the flags and this recipe: any change to one of them is a new entry.
blkdriver_key_hash() {
	{
		(cd -- "$BLKDRIVER_SRC" &&
			find . -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' -o -name '*.ld' \) -print0 |
			sort -z | xargs -0 -r sha256sum)
		gcc --version
		"$(gcc -print-prog-name=ld)" --version
		sha256sum <"$(gcc -print-libgcc-file-name)"
		printf '%s\n' "${BLKDRIVER_SOURCES[@]}" -- "${BLKDRIVER_CFLAGS[@]}"
		declare -f build_blkdriver check_blkdriver
	} | short_hash
}

# What a PVH loader needs: a static x86-64 ELF whose load segment starts at
# 1 MiB, and a PT_NOTE holding the Xen note XEN_ELFNOTE_PHYS32_ENTRY (type
# 18) whose 32-bit address is the pvh_start32 symbol.
check_blkdriver() {
	local elf=$1 header notes entry symbol first_load
	header="$(readelf -hW -- "$elf")" || die "readelf -h $elf failed"
	grep -Eq '^ *Type: *EXEC ' <<<"$header" || die "$elf is not a static executable (ET_EXEC)"
	grep -Eq '^ *Machine: *Advanced Micro Devices X86-64' <<<"$header" || die "$elf is not an x86-64 ELF"
	readelf -lW -- "$elf" | grep -Eq '^ *NOTE ' || die "$elf has no PT_NOTE segment (the PVH loader reads notes from it)"
	first_load="$(readelf -lW -- "$elf" | awk '$1 == "LOAD" { print $4; exit }')"
	(( first_load == BLKDRIVER_LOAD_ADDRESS )) ||
		die "$elf loads at physical $first_load, not $BLKDRIVER_LOAD_ADDRESS"
	notes="$(readelf -nW -- "$elf")" || die "readelf -n $elf failed"
	# readelf names the Xen note types it knows and prints the rest as
	# "Unknown note type: (0x00000012)"; both forms are accepted. The
	# description bytes are a little-endian 32-bit address.
	entry="$(awk '/^ *Xen / && /(0x00000012|PHYS32_ENTRY)/ { found = 1 }
		found && /description data:/ { sub(/.*description data: */, ""); sub(/ *$/, ""); print; exit }
		found && /Entry point:/ { print $NF; exit }' <<<"$notes")"
	[[ -n $entry ]] || die "$elf carries no XEN_ELFNOTE_PHYS32_ENTRY note: $notes"
	if [[ $entry =~ ^([0-9a-f]{2})\ ([0-9a-f]{2})\ ([0-9a-f]{2})\ ([0-9a-f]{2})$ ]]; then
		entry="0x${BASH_REMATCH[4]}${BASH_REMATCH[3]}${BASH_REMATCH[2]}${BASH_REMATCH[1]}"
	fi
	symbol="$(nm -- "$elf" | awk '$3 == "pvh_start32" { print "0x" $1 }')"
	[[ -n $symbol ]] || die "$elf has no pvh_start32 symbol"
	(( entry == symbol )) || die "$elf: the PVH note says $entry, pvh_start32 is at $symbol"
}

build_blkdriver() {
	local entry=$1 hash=$2 work out src name known
	make_tmp work blkdriver
	out="$work/out"
	mkdir -- "$out"
	known=" ${BLKDRIVER_SOURCES[*]} "
	for src in "$BLKDRIVER_SRC"/*.c "$BLKDRIVER_SRC"/*.S; do
		name="$(basename -- "$src")"
		[[ $known == *" $name "* ]] || die "$src is not in BLKDRIVER_SOURCES in $0; add it there"
	done
	# Compiled from inside the source directory with relative names, so
	# the symbol table (kept: fault reports print RIPs) carries no path of
	# this checkout.
	(cd -- "$BLKDRIVER_SRC" &&
		gcc "${BLKDRIVER_CFLAGS[@]}" -o "$out/blkdriver.elf" "${BLKDRIVER_SOURCES[@]}" -lgcc) ||
		die "compiling the blkdriver guest failed"
	check_blkdriver "$out/blkdriver.elf"
	{
		printf 'recipe-and-sources %s\n' "$hash"
		printf 'gcc %s\n' "$(gcc -dumpfullversion)"
		printf 'cflags %s\n' "${BLKDRIVER_CFLAGS[*]}"
		printf 'sha256 %s\n' "$(sha256sum <"$out/blkdriver.elf" | cut -d' ' -f1)"
	} >"$out/inputs"
	publish "$out" "$entry"
}

target_blkdriver() {
	[[ -f $BLKDRIVER_SRC/entry.S ]] || die "missing $BLKDRIVER_SRC/entry.S"
	command -v gcc >/dev/null 2>&1 ||
		die "the blkdriver target compiles with the host gcc, which is missing; install it with: apt-get install gcc"
	# gcc prints the bare name when it finds no such file.
	[[ $(gcc -print-libgcc-file-name) == /* ]] ||
		die "the blkdriver guest links libgcc, which gcc cannot find; install it with: apt-get install gcc"
	local hash entry
	hash="$(blkdriver_key_hash)"
	entry="$CACHE/blkdriver/$hash"
	if ! blkdriver_complete "$entry"; then
		take_lock blkdriver
		if blkdriver_complete "$entry"; then
			log "blkdriver: $hash already cached"
		else
			require_tools readelf:binutils nm:binutils
			log "blkdriver: building (sources, toolchain and flags $hash)"
			build_blkdriver "$entry" "$hash"
		fi
		release_lock
	fi
	log "blkdriver: $entry"
	RESULTS+=("BLKDRIVER=$entry/blkdriver.elf")
}

# --- main --------------------------------------------------------------------

main() {
	(($# == 1)) || usage
	local targets
	case $1 in
	minimal | cloud | initramfs | blkbench | rootfs | components | blkdriver) targets=("$1") ;;
	initramfs-virtio) targets=(initramfs_virtio) ;;
	all) targets=(minimal cloud initramfs initramfs_virtio blkbench rootfs components blkdriver) ;;
	*) usage ;;
	esac
	require_tools sha256sum:coreutils flock:util-linux
	resolve_cache_root
	local t
	for t in "${targets[@]}"; do
		"target_$t"
	done
	# Only now, so a failing `all` prints no partial result.
	printf '%s\n' "${RESULTS[@]}" >&3
}

main "$@"
