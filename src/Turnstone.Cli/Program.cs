using System.CommandLine;
using Turnstone.Cli;
using Turnstone.Machine;

if (RunCommand.BootsThroughBios(args))
{
    // The BIOS's ROM and the compilation of its code start now, on pool threads, rather than once
    // the command line is parsed: that parse compiles System.CommandLine (tiered compilation is off)
    // and takes a good part of the time before the machine's set-up waits for the BIOS.
    LinuxMachine.PrepareBiosAhead(RunCommand.EngineIn(args));
}
else if (RunCommand.IsRun(args))
{
    // A kernel boot: the software engine's code warm-up (when that engine will run it) starts now,
    // not once the kernel is loaded and the machine planned.
    LinuxMachine.PrepareKernelBootAhead(RunCommand.EngineIn(args));
}
var root = new RootCommand("turnstone: a virtual machine monitor on Linux KVM")
{
    RunCommand.Create(),
    ComponentCommand.Create(),
    BenchCommand.Create(),
};
return root.Parse(args).Invoke();
