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
/opt/turnstone/turnstone "$@"
status=$?
umount /guest
finish "turnstone exited with status $status"
