using Turnstone.Bench.Bios;
using Turnstone.Bench.Boot;

namespace Turnstone.UnitTests.Bench;

public sealed class BiosBenchPlanTests
{
    private static readonly BiosBenchImage Grub = BiosBenchImage.For(BiosBenchImage.GrubMbr, "/c/grub-mbr/disk.img");
    private static readonly BiosBenchImage Debian = BiosBenchImage.For(BiosBenchImage.Debian12, "/c/debian12/disk.img");

    private static string Rows(BiosBenchPlan plan) => string.Join(",", plan.Rows.Select(row => $"{row.Image.Name}/{row.EngineName}/{row.QemuAccelerator}"));

    [Theory]
    [InlineData(BootBenchSelection.Auto, true, false, "grub-mbr/soft/tcg,grub-mbr/kvm/kvm,debian12/soft/tcg,debian12/kvm/kvm")]
    [InlineData(BootBenchSelection.Auto, false, false, "grub-mbr/soft/tcg,debian12/soft/tcg")]
    [InlineData(BootBenchSelection.Soft, true, false, "grub-mbr/soft/tcg,debian12/soft/tcg")]
    [InlineData(BootBenchSelection.Kvm, true, false, "grub-mbr/kvm/kvm,debian12/kvm/kvm")]
    [InlineData(BootBenchSelection.Both, true, false, "grub-mbr/soft/tcg,grub-mbr/kvm/kvm,debian12/soft/tcg,debian12/kvm/kvm")]
    [InlineData(BootBenchSelection.Auto, true, true, "grub-mbr/soft/tcg,debian12/soft/tcg")]
    [InlineData(BootBenchSelection.Both, true, true, "grub-mbr/soft/tcg,debian12/soft/tcg")]
    public void Resolves_the_rows_each_next_to_QEMU_on_the_same_engine_class(BootBenchSelection selection, bool kvmUsable, bool nested, string expected)
    {
        var plan = BiosBenchPlan.Resolve(selection, [Grub, Debian], kvmUsable, "cannot open /dev/kvm", nested, out string? error);

        Assert.Null(error);
        Assert.Equal(expected, Rows(plan!));
    }

    [Theory]
    [InlineData(BootBenchSelection.Auto)]
    [InlineData(BootBenchSelection.Both)]
    public void A_nested_PVM_host_leaves_KVM_out_and_says_why(BootBenchSelection selection)
    {
        var plan = BiosBenchPlan.Resolve(selection, [Grub], true, "", true, out _);

        Assert.Contains(plan!.Notes, note => note.Contains("nested PVM") && note.Contains("real-mode"));
    }

    [Fact]
    public void KVM_alone_on_a_nested_PVM_host_is_an_error_pointing_at_the_software_engine()
    {
        Assert.Null(BiosBenchPlan.Resolve(BootBenchSelection.Kvm, [Grub], true, "", true, out string? error));
        Assert.Contains("real-mode", error);
        Assert.Contains("--engine soft", error);
    }

    [Fact]
    public void Asking_for_KVM_without_it_names_the_reason_and_no_image_is_an_error()
    {
        Assert.Null(BiosBenchPlan.Resolve(BootBenchSelection.Both, [Grub], false, "cannot open /dev/kvm: it does not exist", false, out string? error));
        Assert.Contains("it does not exist", error);
        Assert.Null(BiosBenchPlan.Resolve(BootBenchSelection.Soft, [], false, "", false, out error));
        Assert.Contains("no disk image", error);
    }

    [Fact]
    public void Debian_is_timed_to_its_login_prompt_and_the_others_to_the_roots_init_line()
    {
        Assert.Equal("login:", Debian.Marker.Text);
        Assert.Equal("turnstone-guest: root file system reached", Grub.Marker.Text);
        Assert.Equal(Grub.Marker, BiosBenchImage.For(BiosBenchImage.GptCloud, "/g").Marker);
    }

    [Fact]
    public void Both_monitors_boot_the_disk_without_a_kernel_on_512_MiB_and_QEMU_on_virtio_blk_with_SeaBIOS()
    {
        var plan = BiosBenchPlan.Resolve(BootBenchSelection.Both, [Grub], true, "", false, out _)!;
        var soft = plan.Rows[0];
        var kvm = plan.Rows[1];

        Assert.Equal(["run", "--engine", "soft", "--memory", "512M", "--disk", "/t/disk.img"], BiosBenchCommands.Turnstone(soft, "/t/disk.img"));
        var qemu = BiosBenchCommands.Qemu(soft, "/t/disk.img");
        Assert.Equal(["-accel", "tcg", "-M", "q35", "-m", "512M"], qemu.Take(6));
        Assert.Contains("file=/t/disk.img,if=virtio,format=raw", qemu);
        Assert.DoesNotContain("-kernel", qemu);
        Assert.DoesNotContain("-bios", qemu); // QEMU's own SeaBIOS
        Assert.Equal(["-accel", "kvm", "-cpu", "host,-arch-capabilities"], BiosBenchCommands.Qemu(kvm, "/t/disk.img").Take(4));
    }
}
