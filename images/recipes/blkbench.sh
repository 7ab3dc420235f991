# shellcheck shell=bash
# Target `blkbench`: images/blkbench/blkbench.c as a static binary, with the
# host gcc: the block I/O benchmark the rootfs carries, and the same program
# for the host's ceiling. Needs gcc even when cached (the toolchain is part
# of the key). Entry: blkbench/<hash>/.
#   BLKBENCH

define_target blkbench target_blkbench

readonly BLKBENCH_SRC="$IMAGES_DIR/blkbench/blkbench.c"

BLKBENCH=

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

# Part of the cache key: its text must stay as it is unless the entry
# should change (tool checks and the log line are in make_blkbench).
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

make_blkbench() {
	require_tools readelf:binutils truncate:coreutils
	log "blkbench: building (source, toolchain and flags $2)"
	build_blkbench "$@"
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
	entry_by_content blkbench blkbench_complete "$entry" make_blkbench "$entry" "$hash"
	BLKBENCH=$entry/turnstone-blkbench
	RESULTS+=("BLKBENCH=$BLKBENCH")
}
