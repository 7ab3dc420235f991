using System.CommandLine;
using Turnstone.Cli;

var root = new RootCommand("turnstone: a virtual machine monitor on Linux KVM")
{
    RunCommand.Create(),
    ComponentCommand.Create(),
    BenchCommand.Create(),
};
return root.Parse(args).Invoke();
