# shellcheck shell=bash
# Target `blkdriver`: images/blkdriver/ as one freestanding PVH ELF with the
# host gcc: the bare-metal virtio-blk benchmark guest that QEMU (-kernel)
# and Turnstone (--kernel) both boot. Needs gcc even when cached (the
# toolchain is part of the key). Entry: blkdriver/<hash>/.
#   BLKDRIVER

define_target blkdriver target_blkdriver

readonly BLKDRIVER_SRC="$IMAGES_DIR/blkdriver"

# Link order: entry.S first, so the PVH entry is the image's first byte.
# A new source file goes here: the build refuses unlisted ones.
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

# Part of the cache key: its text must stay as it is unless the entry
# should change (tool checks and the log line are in make_blkdriver). Its
# message says $0: build-guest.sh points that at this file.
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

make_blkdriver() {
	require_tools readelf:binutils nm:binutils
	log "blkdriver: building (sources, toolchain and flags $2)"
	build_blkdriver "$@"
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
	entry_by_content blkdriver blkdriver_complete "$entry" make_blkdriver "$entry" "$hash"
	RESULTS+=("BLKDRIVER=$entry/blkdriver.elf")
}
