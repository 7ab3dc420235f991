#!/usr/bin/env bash
# Bootstrapper: restores the pinned Cake tool, then runs a target of build.cake.
#   ./build.sh boot     build everything (guest images on first run) and boot the default guest
#   ./build.sh test     build, build the guest images, run every test (unit, engine, guest boots)
#   ./build.sh <target> [--configuration=Debug] ...   other targets: build, unit-test, images, bench,
#                       test-nested-kvm (KVM rows on KVM nested in QEMU, where the host has none)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
target="${1:-build}"
[ $# -gt 0 ] && shift
dotnet tool restore >/dev/null
# build.cake writes the tests that failed and how many were skipped (and why) here; it is repeated below,
# after the task table, so the end of the log names them.
test_report=TestResults/test-report.txt
rm -f "$test_report"
status=0
dotnet cake build.cake --target="$target" "$@" || status=$?
[ -f "$test_report" ] && cat "$test_report"
# Cake's .NET console puts a terminal's cursor keys in application mode (keypad_xmit) and leaves them
# there, as `turnstone run` would without TerminalKeypadMode: give the shell its keypad back.
if [ -t 1 ]; then tput rmkx 2>/dev/null || true; fi
exit "$status"
