# shellcheck shell=bash
# The guest recipe's shared library, sourced by images/build-guest.sh before
# the recipes in images/recipes/: logging, the cache (root, temporary
# directories, locks, atomic publishing), the two shapes every target
# follows (look in the cache, lock, look again, build), host tools, and apt
# (download + dpkg-deb extraction). Nothing here knows a particular image.
#
# Several recipe functions are part of their target's cache key (through
# `declare -f`) and call make_tmp, publish, die, log and tool_path by name:
# renaming these, or changing what they do, changes cached entries.

# What the run prints on STDOUT at the end: KEY=absolute-path lines, appended
# by the targets (RESULTS+=(KEY=path)), each key at most once.
# shellcheck disable=SC2034 # the recipes fill it, build-guest.sh prints it
RESULTS=()
TMP_DIRS=()
LOCKED_TARGET=none
LOCK_FD=

log() { printf 'build-guest: %s\n' "$*" >&2; }
die() { printf 'build-guest: error: %s\n' "$*" >&2; exit 1; }

# Removes the temporary directories of this run (the EXIT trap, and
# release_lock).
cleanup() {
	local d
	for d in "${TMP_DIRS[@]}"; do
		rm -rf -- "$d"
	done
}

# --- cache root --------------------------------------------------------------

# Sets CACHE: ${TURNSTONE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/turnstone},
# created if missing, refused if inside the repository.
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

# Prints the one name matching a glob inside a directory, or nothing.
single_match() {
	# shellcheck disable=SC2206 # $2 is a glob on purpose
	local matches=("$1"/$2)
	[[ ${#matches[@]} == 1 && -e ${matches[0]} ]] && printf '%s' "${matches[0]}"
}

refresh_requested() { [[ ${TURNSTONE_REFRESH:-0} == 1 ]]; }

# --- temporary directories, locks, publishing --------------------------------

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

# --- the shapes of a target --------------------------------------------------
#
# Every target finds its cache entry the same way: look in the cache without
# the lock (a cached run takes milliseconds and needs no tool), and only on a
# miss take the target's lock, look again (a concurrent run may have built it
# meanwhile) and build. An entry is named either after the hash of its
# inputs alone (entry_by_content) or after a Debian package's version plus
# such a hash (entry_from_apt).

# build_unless_complete NAME COMPLETE ENTRY ABOUT BUILD [ARGS...]: under
# NAME's lock, runs BUILD ARGS... (which publishes ENTRY) unless COMPLETE
# ENTRY says a concurrent run has done so already.
build_unless_complete() {
	local _name=$1 _complete=$2 _entry=$3 _about=$4
	shift 4
	if "$_complete" "$_entry"; then
		log "$_name: $_about already cached"
	else
		"$@"
	fi
}

# entry_by_content NAME COMPLETE ENTRY BUILD [ARGS...]: the shape of targets
# whose ENTRY path is the hash of everything that goes into it (sources,
# toolchain, flags, recipe), so it is known before anything is built: if
# COMPLETE ENTRY fails, takes NAME's lock and runs BUILD ARGS..., which
# checks its tools, builds and publishes ENTRY.
entry_by_content() {
	local _name=$1 _complete=$2 _entry=$3
	shift 3
	if ! "$_complete" "$_entry"; then
		take_lock "$_name"
		build_unless_complete "$_name" "$_complete" "$_entry" "${_entry##*/}" "$@"
		release_lock
	fi
	log "$_name: $_entry"
}

# entry_from_apt VAR NAME COMPLETE DIR GLOB CANDIDATE [ARGS...]: the shape
# of targets whose entries are named after the version of a Debian package
# they are made from. Sets VAR to
#   - unless TURNSTONE_REFRESH=1, the newest complete entry DIR/GLOB (GLOB
#     matches any version, for the current recipe), asking apt nothing;
#   - failing that, under NAME's lock, the same search again;
#   - failing that, the entry CANDIDATE RESULT_VAR ARGS... stores in
#     RESULT_VAR: the one for apt's candidate version, which CANDIDATE
#     builds and publishes (build_unless_complete) unless it is cached.
entry_from_apt() {
	local _var=$1 _name=$2 _complete=$3 _dir=$4 _glob=$5 _candidate=$6 _found=""
	shift 6
	# shellcheck disable=SC2206 # $_glob is a glob on purpose
	local _entries=("$_dir"/$_glob)
	refresh_requested || _found="$(newest_complete "$_complete" "${_entries[@]}")"
	if [[ -z $_found ]]; then
		take_lock "$_name"
		# shellcheck disable=SC2206 # as above: what is there now
		_entries=("$_dir"/$_glob)
		refresh_requested || _found="$(newest_complete "$_complete" "${_entries[@]}")"
		if [[ -z $_found ]]; then
			require_apt
			"$_candidate" _found "$@"
		fi
		release_lock
	fi
	log "$_name: $_found"
	printf -v "$_var" '%s' "$_found"
}

# --- host tools --------------------------------------------------------------

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

# apt_extract PKG VERSION WORK: downloads PKG=VERSION into WORK/deb and
# unpacks it (dpkg-deb -x, nothing is installed) into WORK/pkg; both must
# not exist yet.
apt_extract() {
	local pkg=$1 version=$2 work=$3 deb
	mkdir -- "$work/deb"
	deb="$(apt_download "$pkg" "$version" "$work/deb")"
	dpkg-deb -x "$deb" "$work/pkg" || die "dpkg-deb -x $deb failed"
}
