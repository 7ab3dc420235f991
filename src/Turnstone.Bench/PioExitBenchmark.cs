using System.Diagnostics;
using Turnstone.Bench.Bare;
using Turnstone.Devices.Bus;
using Turnstone.Hypervisor.Kvm;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Bench;

/// <summary>
/// The PIO exit round trip as the monitor pays it: a CPL-3 guest loop of <c>out</c>s, each one a
/// KVM_RUN return, exit decode and dispatch through the port bus to a device, and re-entry. The
/// guest is the same program as the C floor's (kvm_floor.c), so the two figures compare directly.
/// </summary>
public static class PioExitBenchmark
{
    private const byte LoopPort = 0x10, DonePort = 0x11;

    /// <summary>Microseconds per exit over <paramref name="iterations"/> guest writes.</summary>
    public static double MeasureMicrosecondsPerExit(long iterations)
    {
        double result = 0;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = Measure(iterations);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return failure is null ? result : throw new InvalidOperationException($"PIO exit benchmark failed: {failure.Message}", failure);
    }

    private static double Measure(long iterations)
    {
        using var kvm = KvmSystem.Open();
        using var guest = FlatLongModeVm.Create(kvm, a =>
        {
            var loop = a.CreateLabel();
            a.mov(rcx, iterations);
            a.Label(ref loop);
            a.@out(LoopPort, al);
            a.dec(rcx);
            a.jne(loop);
            a.@out(DonePort, al);
            var end = a.CreateLabel();
            a.Label(ref end);
            a.jmp(end);
        }, userMode: true);
        var ports = new DeviceBus();
        var sink = new CountingPort();
        ports.Register(LoopPort, 1, sink);
        long exits = 0;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var exit = guest.Vcpu.Run();
            exits++;
            if (exit.Reason != VcpuExitReason.Io)
            {
                throw new InvalidOperationException($"unexpected exit in the benchmark guest: {exit}");
            }
            if (exit.IoPort == DonePort)
            {
                break;
            }
            ports.Write(exit.IoPort, guest.Vcpu.IoData);
        }
        clock.Stop();
        if (sink.Writes != iterations)
        {
            throw new InvalidOperationException($"the device saw {sink.Writes} writes, expected {iterations}");
        }
        return clock.Elapsed.TotalMicroseconds / exits;
    }

    private sealed class CountingPort : IBusDevice
    {
        public long Writes { get; private set; }

        public void Read(ulong offset, Span<byte> data) => data.Clear();

        public void Write(ulong offset, ReadOnlySpan<byte> data) => Writes++;
    }
}
