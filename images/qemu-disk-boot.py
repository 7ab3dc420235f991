#!/usr/bin/env python3
"""Boots a disk image of images/build-guest.sh under QEMU with SeaBIOS, the
reference for Turnstone's BIOS, and times it.

    images/qemu-disk-boot.py [--runs N] [--accel tcg|kvm] [--marker TEXT]
                             [--shell-marker TEXT] [--command CMD]
                             [--shell-on hvc0|ttyS0] [--timeout S]
                             [--kernel K [--append CMDLINE]] [--qemu-arg ARG]...
                             DISK

The disk is copied first (the cached image is read-only and stays pristine)
and booted as QEMU boots a disk without -kernel:

    qemu-system-x86_64 -accel tcg -M q35 -m 512M -nographic -no-reboot
      -drive file=COPY,if=virtio,format=raw
      -device virtio-serial-pci -chardev socket,id=hvc,path=SOCK,server=on,wait=off
      -device virtconsole,chardev=hvc

ttyS0 is QEMU's stdio (read here), hvc0 a Unix socket this script connects
to. With --shell-on ttyS0 the prompt is looked for on ttyS0 after the marker
and the command typed there (debian12: --marker 'login:' --shell-marker
':~# ' --command 'systemctl poweroff'). Per run it prints the seconds from starting QEMU to the first line on
ttyS0 holding --marker (default: the root file system's init line) and to
--shell-marker on hvc0 (default: a '# ' prompt), then types --command
(default: poweroff) on hvc0 and checks that QEMU exits with status 0 (ACPI
power-off) within --timeout. Exit status: 0 if every run did.
"""

import argparse
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def boot_once(args, disk, workdir):
    copy = os.path.join(workdir, "disk.img")
    shutil.copyfile(disk, copy)
    os.chmod(copy, 0o644)
    sock_path = os.path.join(workdir, "hvc.sock")
    command = [
        "qemu-system-x86_64", "-accel", args.accel, "-M", "q35", "-m", "512M",
        "-nographic", "-no-reboot",
        "-drive", f"file={copy},if=virtio,format=raw",
        "-device", "virtio-serial-pci",
        "-chardev", f"socket,id=hvc,path={sock_path},server=on,wait=off",
        "-device", "virtconsole,chardev=hvc",
    ]
    command += args.qemu_arg
    if args.kernel:
        command += ["-kernel", args.kernel, "-append", args.append]
    if args.accel == "kvm":
        command[3:3] = ["-cpu", "host,-arch-capabilities"]
    start = time.monotonic()
    qemu = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    hvc = None
    serial_buf = b""
    hvc_buf = b""
    marker_at = shell_at = None
    typed = False
    deadline = start + args.timeout
    log = open(os.path.join(workdir, "console.log"), "wb")
    while time.monotonic() < deadline:
        if hvc is None:
            try:
                hvc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                hvc.connect(sock_path)
            except OSError:
                hvc = None
        streams = [qemu.stdout] + ([hvc] if hvc else [])
        ready, _, _ = select.select(streams, [], [], 0.05)
        now = time.monotonic()
        if qemu.stdout in ready:
            data = os.read(qemu.stdout.fileno(), 65536)
            if not data:
                break
            log.write(data)
            serial_buf += data
            if marker_at is None and args.marker.encode() in serial_buf:
                marker_at = now - start
            if args.shell_on == "ttyS0" and shell_at is None and marker_at is not None \
                    and args.shell_marker.encode() in serial_buf[serial_buf.find(args.marker.encode()):]:
                shell_at = now - start
        if hvc is not None and hvc in ready:
            data = hvc.recv(65536)
            if data:
                log.write(data)
                hvc_buf += data
                if shell_at is None and args.shell_marker.encode() in hvc_buf:
                    shell_at = now - start
        if shell_at is not None and not typed:
            if args.shell_on == "hvc0":
                hvc.sendall(args.command.encode() + b"\n")
            else:
                qemu.stdin.write(args.command.encode() + b"\n")
                qemu.stdin.flush()
            typed = True
    try:
        status = qemu.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        qemu.kill()
        qemu.wait()
        status = None
    total = time.monotonic() - start
    log.close()
    if hvc:
        hvc.close()
    return marker_at, shell_at, status, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("disk")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--accel", default="tcg", choices=["tcg", "kvm"])
    parser.add_argument("--marker", default="turnstone-guest: root file system reached")
    parser.add_argument("--shell-marker", default="# ")
    parser.add_argument("--command", default="poweroff")
    parser.add_argument("--shell-on", default="hvc0", choices=["hvc0", "ttyS0"],
                        help="where to wait for the shell's prompt and type the command")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--kernel", help="boot this kernel directly (QEMU -kernel), the baseline without firmware disk reads and loader")
    parser.add_argument("--append", default="root=/dev/vda1 rw console=ttyS0 console=hvc0 reboot=k panic=-1",
                        help="its command line (with --kernel)")
    parser.add_argument("--qemu-arg", action="append", default=[],
                        help="one more QEMU argument (repeat it; e.g. --qemu-arg=-nic --qemu-arg=none leaves out the NIC and its iPXE ROM)")
    parser.add_argument("--keep-log", help="copy the last run's console output here")
    args = parser.parse_args()
    failures = 0
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="qemu-disk-boot.") as workdir:
            marker_at, shell_at, status, total = boot_once(args, args.disk, workdir)
            if args.keep_log:
                shutil.copyfile(os.path.join(workdir, "console.log"), args.keep_log)
        fmt = lambda t: "none" if t is None else f"{t:.2f}"
        ok = marker_at is not None and shell_at is not None and status == 0
        failures += not ok
        print(f"run={run} marker_s={fmt(marker_at)} shell_s={fmt(shell_at)} "
              f"exit_status={status} total_s={total:.2f} {'ok' if ok else 'FAILED'}", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
