# shellcheck shell=bash
# Target `initramfs-virtio`: a gzip newc cpio for the cloud kernel (target
# `cloud`, resolved first): busybox, images/initramfs-virtio/init and the
# kernel's virtio modules (PCI transport, block, console) in dependency
# order; it mounts the root file system from the virtio disk and switches
# to it. Entry: initramfs-virtio/<cloud entry>-busybox-<version>-<hash>/.
#   VIRTIO_INITRAMFS

define_target initramfs-virtio target_initramfs_virtio

readonly VIRTIO_INIT="$IMAGES_DIR/initramfs-virtio/init"
readonly VIRTIO_LIST="$IMAGES_DIR/initramfs-virtio/initramfs.list"

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
# files in the associative array PATHS_VAR. Its text is part of the cache key
# (so its messages still say $0; build-guest.sh points that at this file).
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
	log "initramfs-virtio: building for $(basename -- "$cloud") with $BUSYBOX_PKG $version (init, list and recipe $hash)"
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
	# shellcheck disable=SC2153 # GEN_INIT_CPIO: set by find_gen_init_cpio
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

# initramfs_virtio_candidate VAR HASH: the entry for the cloud kernel and
# apt's busybox-static candidate, built unless cached (for entry_from_apt).
initramfs_virtio_candidate() {
	local hash=$2 kernel version entry
	kernel="$(basename -- "$CLOUD_ENTRY")"
	version="$(apt_candidate "$BUSYBOX_PKG")"
	entry="$CACHE/initramfs-virtio/$kernel-busybox-$(path_version "$version")-$hash"
	build_unless_complete initramfs-virtio initramfs_virtio_complete "$entry" "$kernel with $BUSYBOX_PKG $version" \
		build_initramfs_virtio "$version" "$entry" "$hash" "$CLOUD_ENTRY"
	printf -v "$1" '%s' "$entry"
}

target_initramfs_virtio() {
	[[ -f $VIRTIO_INIT ]] || die "missing $VIRTIO_INIT"
	[[ -f $VIRTIO_LIST ]] || die "missing $VIRTIO_LIST"
	# The modules come from the cloud kernel that target_cloud resolves.
	resolve_cloud
	local hash kernel entry
	hash="$(initramfs_virtio_key_hash)"
	kernel="$(basename -- "$CLOUD_ENTRY")"
	entry_from_apt entry initramfs-virtio initramfs_virtio_complete "$CACHE/initramfs-virtio" "$kernel-busybox-*-$hash" \
		initramfs_virtio_candidate "$hash"
	RESULTS+=("VIRTIO_INITRAMFS=$entry/initramfs-virtio.cpio.gz")
}
