# shellcheck shell=bash
# Target `components`: images/components/samples/*.c as freestanding
# component ELFs (ABI in images/components/ABI.md) with the host gcc, plus
# the host CRC-32 baseline crc32_host. Needs gcc even when cached: the
# compiler's version is part of the key. Entry: components/<hash>/.
#   COMPONENTS_DIR (the directory)

define_target components target_components

readonly COMPONENTS_SRC="$IMAGES_DIR/components"

# samples/<name>.c becomes <name>.elf; checksum also links samples/crc32.c.
# A new sample goes here: the build refuses unlisted sources.
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

# Part of the cache key: its text must stay as it is unless the entry
# should change (tool checks and the log line are in make_components). Its
# message says $0: build-guest.sh points that at this file.
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

make_components() {
	require_tools readelf:binutils
	require_headers stdio.h:libc6-dev
	log "components: building (sources, compiler and flags $2)"
	build_components "$@"
}

target_components() {
	[[ -f $COMPONENTS_SRC/turnstone.c ]] || die "missing $COMPONENTS_SRC/turnstone.c"
	command -v gcc >/dev/null 2>&1 ||
		die "the components target compiles with the host gcc, which is missing; install it with: apt-get install gcc libc6-dev"
	local hash entry
	hash="$(components_key_hash)"
	entry="$CACHE/components/$hash"
	entry_by_content components components_complete "$entry" make_components "$entry" "$hash"
	RESULTS+=("COMPONENTS_DIR=$entry")
}
