#!/usr/bin/env bash
# Bootstrapper: restores the pinned Cake tool, then runs a target of build.cake.
#   ./build.sh boot     build everything (guest images on first run) and boot the default guest
#   ./build.sh test     build, build the guest images, run every test (unit, engine, guest boots)
#   ./build.sh <target> [--configuration=Debug] ...   other targets: build, unit-test, images, bench
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
target="${1:-build}"
[ $# -gt 0 ] && shift
dotnet tool restore >/dev/null
exec dotnet cake build.cake --target="$target" "$@"
