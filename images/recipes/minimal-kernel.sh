# shellcheck shell=bash
# Target `minimal`: Linux from Debian's linux-source-6.1, tinyconfig plus
# images/linux/minimal.config, LZ4 payload, built natively. Keeps bzImage,
# vmlinux and the final config in minimal/<linux-source version>-<hash>/;
# the build log goes to logs/minimal-<version>-<hash>.log.
#   MINIMAL_KERNEL (bzImage), MINIMAL_VMLINUX (ELF)

define_target minimal target_minimal

readonly MINIMAL_FRAGMENT="$IMAGES_DIR/linux/minimal.config"

# The next two functions run inside the kernel tree with output to the build
# log; their text is part of the cache key (see minimal_key_hash).
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
	log "minimal: building from $LINUX_SOURCE_PKG $version (config $hash)"
	require_apt
	require_tools gcc:gcc make:make flex:flex bison:bison bc:bc lz4:lz4 xz:xz-utils tar:tar
	require_headers stdio.h:libc6-dev gelf.h:libelf-dev
	[[ $(uname -m) == x86_64 ]] || die "the minimal kernel is built natively; this host is $(uname -m), not x86_64"

	local work src log_file started elapsed
	make_tmp work minimal
	apt_extract "$LINUX_SOURCE_PKG" "$version" "$work"
	log "extracting $LINUX_SOURCE_PKG $version"
	tar -xJf "$work/pkg/usr/src/$LINUX_SOURCE_PKG.tar.xz" -C "$work" ||
		die "cannot unpack $work/pkg/usr/src/$LINUX_SOURCE_PKG.tar.xz"
	rm -rf -- "$work/deb" "$work/pkg"
	src="$work/$LINUX_SOURCE_PKG"
	[[ -f $src/Makefile ]] || die "$LINUX_SOURCE_PKG tarball did not unpack to $src"

	# By-product for the initramfs targets: saves them downloading the source.
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

# minimal_candidate VAR HASH: the entry for apt's linux-source candidate,
# built unless cached (for entry_from_apt).
minimal_candidate() {
	local hash=$2 version entry
	version="$(apt_candidate "$LINUX_SOURCE_PKG")"
	entry="$CACHE/minimal/$(path_version "$version")-$hash"
	build_unless_complete minimal minimal_complete "$entry" "$LINUX_SOURCE_PKG $version" \
		build_minimal "$version" "$entry" "$hash"
	printf -v "$1" '%s' "$entry"
}

target_minimal() {
	[[ -f $MINIMAL_FRAGMENT ]] || die "missing $MINIMAL_FRAGMENT"
	local hash entry
	hash="$(minimal_key_hash)"
	entry_from_apt entry minimal minimal_complete "$CACHE/minimal" "*-$hash" minimal_candidate "$hash"
	RESULTS+=("MINIMAL_KERNEL=$entry/bzImage" "MINIMAL_VMLINUX=$entry/vmlinux")
}
