namespace Turnstone.Bench.Bios;

/// <summary>
/// The two command lines of a <c>bench bios</c> boot, on the same copy of the image: ours boots the
/// first disk through our BIOS (no <c>--kernel</c>), QEMU boots it through SeaBIOS, as
/// images/qemu-disk-boot.py does.
/// </summary>
public static class BiosBenchCommands
{
    public const string Memory = "512M";

    public static IReadOnlyList<string> Turnstone(BiosBenchRowPlan row, string disk) =>
        ["run", "--engine", row.EngineName, "--memory", Memory, "--disk", disk];

    /// <summary>
    /// images/qemu-disk-boot.py's machine: q35, the disk on virtio-blk, ttyS0 on stdio, a virtio
    /// console as hvc0 (ours has one too; the root's init writes its line there as well), -no-reboot.
    /// Two changes: hvc0 goes to a null chardev rather than a socket (nothing is typed there: the
    /// boot is stopped at its init line), and <c>-nic none</c> leaves out the e1000e NIC and the
    /// iPXE option ROM SeaBIOS would run, which our machine has neither of. On KVM, the script's
    /// CPU model.
    /// </summary>
    public static IReadOnlyList<string> Qemu(BiosBenchRowPlan row, string disk)
    {
        var arguments = new List<string> { "-accel", row.QemuAccelerator };
        if (row.QemuAccelerator == "kvm")
        {
            arguments.AddRange(["-cpu", "host,-arch-capabilities"]);
        }
        arguments.AddRange(["-M", "q35", "-m", Memory, "-nographic", "-no-reboot", "-nic", "none",
            "-drive", $"file={disk},if=virtio,format=raw",
            "-device", "virtio-serial-pci", "-chardev", "null,id=hvc", "-device", "virtconsole,chardev=hvc"]);
        return arguments;
    }
}
