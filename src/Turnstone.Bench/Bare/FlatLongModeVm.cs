using Iced.Intel;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine;

namespace Turnstone.Bench.Bare;

/// <summary>
/// A minimal VM for measurements and engine tests: 2 MiB of RAM identity-mapped with one large
/// page, a GDT with kernel and user segments and a TSS, an IDT whose every vector reports itself
/// on port <see cref="ExceptionPort"/>, a SYSCALL entry that reports on <see cref="SystemCallPort"/>,
/// and code assembled with Iced placed at <see cref="CodeAddress"/>, entered directly in 64-bit
/// mode at CPL 0 or CPL 3. No devices, no firmware. The vCPU belongs to the thread that called
/// <see cref="Create"/>.
/// </summary>
public sealed class FlatLongModeVm : IDisposable
{
    public const ulong MemorySize = 0x200000;
    public const ulong CodeAddress = 0x10000;
    public const ulong DataAddress = 0x100000;
    public const ulong StackTop = 0x8000;
    public const ulong KernelStackTop = 0xA000;
    public const ushort ExceptionPort = 0xE0, SystemCallPort = 0xE1;
    private const ulong Pml4 = 0x1000, Pdpt = 0x2000, Pd = 0x3000, Gdt = 0x4000, Tss = 0x4800, Idt = 0x5000, PageTable = 0xD000;
    private const ulong UserStackPage = StackTop - 0x1000, FirstUserPage = CodeAddress;
    private const ulong ExceptionStubs = 0xB000, ExceptionStubSize = 16, SystemCallEntry = 0xC000;

    private FlatLongModeVm(VirtualMachine vm, Vcpu vcpu)
    {
        Vm = vm;
        Vcpu = vcpu;
    }

    public VirtualMachine Vm { get; }
    public Vcpu Vcpu { get; }
    public IGuestMemory Memory => Vm.Memory;

    /// <summary>Builds the VM; <paramref name="emit"/> writes the guest code with Iced's assembler.</summary>
    public static FlatLongModeVm Create(KvmSystem kvm, Action<Assembler> emit, bool userMode)
    {
        var assembler = new Assembler(64);
        emit(assembler);
        var code = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(code), CodeAddress);

        var vm = kvm.CreateVm();
        try
        {
            vm.AddRam(0, MemorySize);
            var memory = vm.Memory;
            memory.Write(CodeAddress, code.ToArray());
            // 4 KiB pages: the monitor-side structures and kernel stubs below CodeAddress are
            // supervisor-only (so CPL-3 code cannot run the SYSCALL entry by itself), the user stack
            // page and everything from CodeAddress up are user-accessible.
            const ulong PresentWritable = 3, User = 4;
            memory.WriteUInt64(Pml4, Pdpt | PresentWritable | User);
            memory.WriteUInt64(Pdpt, Pd | PresentWritable | User);
            memory.WriteUInt64(Pd, PageTable | PresentWritable | User);
            for (ulong page = 0; page < MemorySize; page += 0x1000)
            {
                bool user = page >= FirstUserPage || page == UserStackPage;
                memory.WriteUInt64(PageTable + page / 0x1000 * 8, page | PresentWritable | (user ? User : 0));
            }
            // null, kernel code 0x08, kernel data 0x10, user code 0x18 (selector 0x1b), user data 0x20 (0x23), TSS 0x28 (two slots)
            ulong tssLow = 0x67 | ((Tss & 0xFF_FFFF) << 16) | (0x89ul << 40) | ((Tss >> 24 & 0xFF) << 56);
            ulong[] gdt = [0, 0x00AF_9B00_0000_FFFF, 0x00CF_9300_0000_FFFF, 0x00AF_FB00_0000_FFFF, 0x00CF_F300_0000_FFFF, tssLow, Tss >> 32];
            for (int i = 0; i < gdt.Length; i++)
            {
                memory.WriteUInt64(Gdt + (ulong)i * 8, gdt[i]);
            }
            memory.WriteUInt64(Tss + 4, KernelStackTop); // RSP0: the stack for exceptions from CPL 3
            WriteInterruptTable(memory);
            WriteStub(memory, SystemCallEntry, a => { a.mov(AssemblerRegisters.al, 0x5C); a.@out((byte)SystemCallPort, AssemblerRegisters.al); a.hlt(); });
            var vcpu = vm.CreateVcpu(0);
            vcpu.SetCpuid(CpuidPolicy.For(kvm.GetSupportedCpuid(), vcpu.Id));
            const uint MsrStar = 0xC000_0081, MsrLstar = 0xC000_0082, MsrSyscallMask = 0xC000_0084;
            vcpu.SetMsrs([(MsrStar, (0x10ul << 48) | (0x08ul << 32)), (MsrLstar, SystemCallEntry), (MsrSyscallMask, 0x4_0700)]);
            var sregs = vcpu.GetSpecialRegisters();
            byte dpl = userMode ? (byte)3 : (byte)0;
            sregs.Cs = new KvmSegment { Limit = 0xFFFF_FFFF, Selector = (ushort)(userMode ? 0x1B : 0x08), Present = 1, Type = 0xB, Dpl = dpl, S = 1, L = 1, G = 1 };
            sregs.Ds = sregs.Es = sregs.Fs = sregs.Gs = sregs.Ss =
                new KvmSegment { Limit = 0xFFFF_FFFF, Selector = (ushort)(userMode ? 0x23 : 0x10), Present = 1, Type = 0x3, Dpl = dpl, S = 1, Db = 1, G = 1 };
            sregs.Gdt = new KvmDtable { Base = Gdt, Limit = (ushort)(gdt.Length * 8 - 1) };
            sregs.Idt = new KvmDtable { Base = Idt, Limit = 256 * 16 - 1 };
            sregs.Tr = new KvmSegment { Base = Tss, Limit = 0x67, Selector = 0x28, Type = 0xB, Present = 1 };
            sregs.Cr0 = 0x8005_0033;
            sregs.Cr3 = Pml4;
            sregs.Cr4 = 0x20 | 0x200 | 0x400; // PAE, OSFXSR, OSXMMEXCPT
            sregs.Efer = 0x501; // LME | LMA | SCE
            vcpu.SetSpecialRegisters(sregs);
            // IOPL 3 lets CPL-3 code use in/out, as the floor benchmark's guest does.
            vcpu.SetRegisters(new KvmRegs { Rip = CodeAddress, Rsp = StackTop, Rflags = 0x3002 });
            return new FlatLongModeVm(vm, vcpu);
        }
        catch
        {
            vm.Dispose();
            throw;
        }
    }

    /// <summary>Every vector's gate leads to a stub that writes the vector number to <see cref="ExceptionPort"/> and halts,
    /// leaving the exception frame on the kernel stack for the test to read.</summary>
    private static void WriteInterruptTable(IGuestMemory memory)
    {
        for (int vector = 0; vector < 256; vector++)
        {
            ulong stub = ExceptionStubs + (ulong)vector * ExceptionStubSize;
            byte number = (byte)vector;
            WriteStub(memory, stub, a => { a.mov(AssemblerRegisters.al, number); a.@out((byte)ExceptionPort, AssemblerRegisters.al); a.hlt(); });
            ulong low = (stub & 0xFFFF) | (0x08ul << 16) | (0xEEul << 40) | ((stub >> 16 & 0xFFFF) << 48); // present, DPL 3, interrupt gate
            memory.WriteUInt64(Idt + (ulong)vector * 16, low);
            memory.WriteUInt64(Idt + (ulong)vector * 16 + 8, stub >> 32);
        }
    }

    private static void WriteStub(IGuestMemory memory, ulong address, Action<Assembler> emit)
    {
        var assembler = new Assembler(64);
        emit(assembler);
        var code = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(code), address);
        memory.Write(address, code.ToArray());
    }

    public void Dispose()
    {
        Vcpu.Dispose();
        Vm.Dispose();
    }
}
