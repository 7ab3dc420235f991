using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Turnstone.UnitTests.TestSupport;

/// <summary>
/// Asks the installed kernel headers (linux/kvm.h from linux-libc-dev) for the ABI facts our
/// interop mirrors: a C program is generated, compiled with gcc and run once per test run, and
/// prints one "kind:name value" line per fact. The tests then compare against our C# values, so
/// the headers, not a hand-copied number, are the reference.
/// </summary>
internal static class KvmHeaderProbe
{
    public static readonly string[] Structs =
    [
        "kvm_regs", "kvm_sregs", "kvm_segment", "kvm_dtable", "kvm_cpuid_entry2", "kvm_cpuid2", "kvm_msr_entry",
        "kvm_msrs", "kvm_fpu", "kvm_vcpu_events", "kvm_guest_debug", "kvm_xsave", "kvm_xcrs", "kvm_pit_config",
        "kvm_userspace_memory_region", "kvm_irq_level", "kvm_dirty_log", "kvm_clear_dirty_log", "kvm_enable_cap",
        "kvm_ioeventfd", "kvm_msi", "kvm_irqfd",
    ];

    public static readonly string[] Ioctls =
    [
        "KVM_RUN", "KVM_GET_REGS", "KVM_SET_REGS", "KVM_GET_SREGS", "KVM_SET_SREGS", "KVM_SET_USER_MEMORY_REGION",
        "KVM_GET_SUPPORTED_CPUID", "KVM_SET_CPUID2", "KVM_GET_VCPU_EVENTS", "KVM_SET_VCPU_EVENTS", "KVM_SET_GUEST_DEBUG",
        "KVM_CREATE_PIT2", "KVM_IRQ_LINE", "KVM_GET_XSAVE", "KVM_SET_XSAVE", "KVM_GET_XCRS", "KVM_GET_FPU", "KVM_SET_FPU",
        "KVM_GET_MSRS", "KVM_SET_MSRS", "KVM_SET_IDENTITY_MAP_ADDR", "KVM_CREATE_VCPU", "KVM_CREATE_VM", "KVM_SET_TSS_ADDR",
        "KVM_CREATE_IRQCHIP", "KVM_GET_API_VERSION", "KVM_CHECK_EXTENSION", "KVM_GET_VCPU_MMAP_SIZE", "KVM_GET_DIRTY_LOG", "KVM_CLEAR_DIRTY_LOG", "KVM_ENABLE_CAP",
        "KVM_IOEVENTFD", "KVM_SIGNAL_MSI", "KVM_IRQFD",
    ];

    /// <summary>Flag and capability macros, printed as numbers.</summary>
    public static readonly string[] Constants =
    [
        "KVM_CAP_IRQCHIP", "KVM_CAP_USER_MEMORY", "KVM_CAP_SET_TSS_ADDR", "KVM_CAP_EXT_CPUID", "KVM_CAP_PIT2",
        "KVM_CAP_SET_IDENTITY_MAP_ADDR", "KVM_CAP_VCPU_EVENTS", "KVM_CAP_SET_GUEST_DEBUG", "KVM_CAP_IMMEDIATE_EXIT",
        "KVM_CAP_XSAVE", "KVM_CAP_SYNC_REGS", "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2", "KVM_CAP_IRQFD", "KVM_CAP_IOEVENTFD",
        "KVM_CAP_SIGNAL_MSI",
        "KVM_IOEVENTFD_FLAG_DATAMATCH", "KVM_IOEVENTFD_FLAG_PIO", "KVM_IOEVENTFD_FLAG_DEASSIGN",
        "KVM_IRQFD_FLAG_DEASSIGN", "KVM_IRQFD_FLAG_RESAMPLE",
        "KVM_EXIT_IO_OUT", "KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES", "KVM_SYNC_X86_REGS",
    ];

    /// <summary>Fields as "struct.member"; kvm_run members are offsets into the mmap'ed run page.</summary>
    public static readonly string[] Fields =
    [
        "kvm_run.immediate_exit", "kvm_run.exit_reason", "kvm_run.hw", "kvm_run.kvm_valid_regs", "kvm_run.kvm_dirty_regs", "kvm_run.s.regs",
        "kvm_run.io.direction", "kvm_run.io.size", "kvm_run.io.port", "kvm_run.io.count", "kvm_run.io.data_offset",
        "kvm_run.mmio.phys_addr", "kvm_run.mmio.data", "kvm_run.mmio.len", "kvm_run.mmio.is_write",
        "kvm_run.internal.suberror", "kvm_run.internal.ndata", "kvm_run.internal.data",
        "kvm_run.emulation_failure.flags", "kvm_run.emulation_failure.insn_size", "kvm_run.emulation_failure.insn_bytes",
        "kvm_run.system_event.type", "kvm_run.debug.arch.exception", "kvm_run.debug.arch.pc",
        "kvm_run.fail_entry.hardware_entry_failure_reason",
        "kvm_regs.rip", "kvm_regs.rflags", "kvm_regs.r15",
        "kvm_segment.selector", "kvm_segment.type", "kvm_segment.present", "kvm_segment.l", "kvm_segment.unusable",
        "kvm_sregs.gdt", "kvm_sregs.idt", "kvm_sregs.cr0", "kvm_sregs.cr3", "kvm_sregs.efer", "kvm_sregs.apic_base",
        "kvm_sregs.interrupt_bitmap", "kvm_dtable.limit",
        "kvm_cpuid_entry2.flags", "kvm_cpuid_entry2.eax", "kvm_cpuid_entry2.edx",
        "kvm_msr_entry.data", "kvm_fpu.fcw", "kvm_fpu.last_ip", "kvm_fpu.xmm", "kvm_fpu.mxcsr",
        "kvm_vcpu_events.exception.error_code", "kvm_vcpu_events.interrupt.injected", "kvm_vcpu_events.nmi.injected",
        "kvm_vcpu_events.sipi_vector", "kvm_vcpu_events.flags", "kvm_vcpu_events.smi.smm", "kvm_vcpu_events.smi.latched_init",
        "kvm_vcpu_events.exception_has_payload", "kvm_vcpu_events.exception_payload",
        "kvm_guest_debug.arch.debugreg", "kvm_xcrs.xcrs", "kvm_xcrs.padding",
        "kvm_userspace_memory_region.guest_phys_addr", "kvm_userspace_memory_region.userspace_addr",
        "kvm_ioeventfd.addr", "kvm_ioeventfd.len", "kvm_ioeventfd.fd", "kvm_ioeventfd.flags", "kvm_ioeventfd.pad",
        "kvm_msi.address_hi", "kvm_msi.data", "kvm_msi.flags", "kvm_msi.devid", "kvm_msi.pad",
        "kvm_irqfd.gsi", "kvm_irqfd.flags", "kvm_irqfd.resamplefd", "kvm_irqfd.pad",
    ];

    /// <summary>Array members as "struct.member", printed as their size in bytes.</summary>
    public static readonly string[] MemberSizes =
    [
        "kvm_run.mmio.data", "kvm_run.internal.data", "kvm_run.emulation_failure.insn_bytes",
    ];

    private static readonly Lazy<IReadOnlyDictionary<string, ulong>> Values = new(Run);

    public static ulong SizeOf(string structName) => Get($"sizeof:{structName}");

    public static ulong IoctlNumber(string name) => Get($"ioctl:{name}");

    public static ulong OffsetOf(string field) => Get($"offsetof:{field}");

    public static ulong Constant(string name) => Get($"constant:{name}");

    public static ulong SizeOfMember(string field) => Get($"membersize:{field}");

    private static ulong Get(string key) =>
        Values.Value.TryGetValue(key, out ulong value) ? value : throw new KeyNotFoundException($"the C probe printed no '{key}'");

    private static string Source()
    {
        var c = new StringBuilder();
        c.AppendLine("#include <stdio.h>");
        c.AppendLine("#include <stddef.h>");
        c.AppendLine("#include <linux/kvm.h>");
        c.AppendLine("int main(void) {");
        foreach (string name in Structs)
        {
            c.AppendLine($"  printf(\"sizeof:{name} %zu\\n\", sizeof(struct {name}));");
        }
        foreach (string name in Ioctls)
        {
            c.AppendLine($"  printf(\"ioctl:{name} %lu\\n\", (unsigned long)({name}));");
        }
        foreach (string name in Constants)
        {
            c.AppendLine($"  printf(\"constant:{name} %lu\\n\", (unsigned long)({name}));");
        }
        foreach (string field in Fields)
        {
            int dot = field.IndexOf('.');
            c.AppendLine($"  printf(\"offsetof:{field} %zu\\n\", offsetof(struct {field[..dot]}, {field[(dot + 1)..]}));");
        }
        foreach (string field in MemberSizes)
        {
            int dot = field.IndexOf('.');
            c.AppendLine($"  printf(\"membersize:{field} %zu\\n\", sizeof(((struct {field[..dot]} *)0)->{field[(dot + 1)..]}));");
        }
        c.AppendLine("  return 0;");
        c.AppendLine("}");
        return c.ToString();
    }

    private static IReadOnlyDictionary<string, ulong> Run()
    {
        string directory = Directory.CreateTempSubdirectory("turnstone-kvm-abi-").FullName;
        try
        {
            string source = Path.Combine(directory, "kvm_abi.c"), program = Path.Combine(directory, "kvm_abi");
            File.WriteAllText(source, Source());
            var (compileExit, _, compileErrors) = Execute("gcc", ["-std=gnu11", "-O0", "-o", program, source],
                "gcc is not installed: install gcc and linux-libc-dev (apt-get install gcc linux-libc-dev) to check the KVM ABI");
            if (compileExit != 0)
            {
                string hint = compileErrors.Contains("kvm.h", StringComparison.Ordinal) && compileErrors.Contains("No such file", StringComparison.Ordinal)
                    ? "the Linux kernel headers are missing: install linux-libc-dev (apt-get install linux-libc-dev)"
                    : "the KVM ABI probe did not compile";
                throw new InvalidOperationException($"{hint}\n{compileErrors}");
            }
            var (exit, output, errors) = Execute(program, [], "the compiled KVM ABI probe could not be started");
            if (exit != 0)
            {
                throw new InvalidOperationException($"the KVM ABI probe exited with {exit}: {errors}");
            }
            var values = new Dictionary<string, ulong>();
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] parts = line.Split(' ');
                values[parts[0]] = ulong.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            return values;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static (int Exit, string Output, string Errors) Execute(string file, string[] arguments, string whenMissing)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            using var process = Process.Start(start)!;
            var errors = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output, errors.Result);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"{whenMissing} ({e.Message})", e);
        }
    }
}
