# shellcheck shell=bash
# Target `cloud`: Debian's cloud kernel, linux-image-cloud-amd64 resolved to
# the linux-image-<abi>-cloud-amd64 it depends on, extracted (not built)
# into cloud/<image package>_<version>/ with its modules directory, on which
# depmod has run.
#   CLOUD_KERNEL (vmlinuz), CLOUD_MODULES (lib/modules/<abi>)

define_target cloud target_cloud

readonly CLOUD_META_PKG=linux-image-cloud-amd64

CLOUD_ENTRY=

cloud_complete() {
	local kernel modules
	kernel="$(single_match "$1" 'vmlinuz-*')" || return 1
	modules="$(single_match "$1/lib/modules" '*')" || return 1
	[[ -s $kernel && -s $modules/modules.dep ]]
}

build_cloud() {
	local image_pkg=$1 version=$2 entry=$3 meta_version=$4
	log "cloud: extracting $image_pkg $version (from $CLOUD_META_PKG $meta_version)"
	require_tools depmod:kmod
	local work pkg_root abi out
	make_tmp work cloud
	apt_extract "$image_pkg" "$version" "$work"
	pkg_root="$work/pkg"
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

# cloud_candidate VAR: the entry for the kernel image package apt's
# candidate of the metapackage depends on, extracted unless cached (for
# entry_from_apt).
cloud_candidate() {
	local meta_version image_pkg version entry
	meta_version="$(apt_candidate "$CLOUD_META_PKG")"
	# The metapackage depends on exactly one linux-image-<abi>-cloud-amd64.
	image_pkg="$(apt-cache show --no-all-versions "$CLOUD_META_PKG=$meta_version" |
		sed -n 's/^Depends: //p' | tr ',|' '\n' |
		grep -oE '^ *linux-image-[0-9][^ ]*-cloud-amd64' | tr -d ' ' | head -n 1)" || true
	[[ -n $image_pkg ]] || die "cannot resolve the kernel image package $CLOUD_META_PKG=$meta_version depends on"
	version="$(apt_candidate "$image_pkg")"
	entry="$CACHE/cloud/${image_pkg}_$(path_version "$version")"
	build_unless_complete cloud cloud_complete "$entry" "$image_pkg $version" \
		build_cloud "$image_pkg" "$version" "$entry" "$meta_version"
	printf -v "$1" '%s' "$entry"
}

# Sets CLOUD_ENTRY to the cloud kernel's cache entry, extracting the package
# first if none is cached (with TURNSTONE_REFRESH=1: none for apt's current
# candidate). Once per run: cloud and initramfs-virtio must agree.
resolve_cloud() {
	[[ -n $CLOUD_ENTRY ]] && return 0
	entry_from_apt CLOUD_ENTRY cloud cloud_complete "$CACHE/cloud" '*' cloud_candidate
}

target_cloud() {
	resolve_cloud
	local kernel modules
	kernel="$(single_match "$CLOUD_ENTRY" 'vmlinuz-*')"
	modules="$(single_match "$CLOUD_ENTRY/lib/modules" '*')"
	RESULTS+=("CLOUD_KERNEL=$kernel" "CLOUD_MODULES=$modules")
}
