#!/bin/sh
# PID 1 of the KVM host VM (KvmHostVm.cs), started by the virtio initramfs from the read-only
# payload disk /dev/vda: loads KVM (kvm_amd on QEMU's emulated SVM), mounts the run's disk
# /dev/vdb on /guest, runs the turnstone command line with the arguments in /guest/arguments (one
# a line), says how it ended, and powers the VM off. Every line it prints starts with "kvm-host:".
export PATH=/bin HOME=/tmp DOTNET_ROOT=/usr/share/dotnet DOTNET_EnableDiagnostics=0

finish() {
	echo "kvm-host: $*"
	sync
	poweroff -f
}

mount -t tmpfs tmpfs /tmp || finish "error: cannot mount a tmpfs on /tmp"
while read -r module; do
	insmod "/kvm/$module.ko" || finish "error: insmod /kvm/$module.ko failed"
done </kvm/modules.order
[ -c /dev/kvm ] || finish "error: no /dev/kvm after loading KVM (does the virtual CPU have SVM?)"
mount -t ext4 /dev/vdb /guest || finish "error: cannot mount the run's disk /dev/vdb on /guest"

set --
while IFS= read -r argument; do
	set -- "$@" "$argument"
done </guest/arguments
echo "kvm-host: running turnstone $*"
# A run that outlives /guest/watchdog-seconds (the harness's time limit less a margin) is reported
# thread by thread (name, kernel wait channel, system call, kernel stack) before the harness kills
# the VM, so a hang shows where it is. The watchdog runs in the background; turnstone stays in the
# foreground, where it keeps the serial console as its standard input.
watchdog=
if [ -r /guest/watchdog-seconds ]; then
	(
		sleep "$(cat /guest/watchdog-seconds)"
		for pid in $(pidof turnstone); do
			echo "kvm-host: watchdog: turnstone (pid $pid) still running; its threads:"
			for task in /proc/"$pid"/task/*; do
				echo "kvm-host: watchdog: $(cat "$task/comm") wchan=$(cat "$task/wchan") syscall=$(cut -d' ' -f1 "$task/syscall")"
				sed 's/^/kvm-host: watchdog:     /' "$task/stack" 2>/dev/null
			done
		done
	) &
	watchdog=$!
fi
/opt/turnstone/turnstone "$@"
status=$?
[ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
umount /guest
finish "turnstone exited with status $status"
