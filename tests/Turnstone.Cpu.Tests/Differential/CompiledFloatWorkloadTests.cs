using Turnstone.Cpu.Tests.TestSupport;

namespace Turnstone.Cpu.Tests.Differential;

/// <summary>
/// gcc -O2 output against the host: <c>Workloads/float_workload.c</c> (harmonic sums, a float dot
/// product gcc vectorises, conversions at their edges, the unsigned idioms, long double factorials
/// and printf-style digit extraction in 80 bits, x87 control-word switches for casts) compiled for
/// the x86-64 baseline, run natively and on the engine from the same inputs, results compared byte
/// for byte. The bytes below are the compiled code, kept in the test so it needs no compiler;
/// regenerate them with
/// <c>gcc -O2 -ffreestanding -fno-builtin -fPIC -fvisibility=hidden -fno-stack-protector
/// -fcf-protection=none -fno-asynchronous-unwind-tables -fno-math-errno -mno-red-zone -c
/// float_workload.c -o fw.o &amp;&amp; ld -T float_workload.ld --oformat binary -o fw.bin fw.o</c>
/// (gcc 12.2), then base64.
/// </summary>
public sealed unsafe class CompiledFloatWorkloadTests
{
    private const string CodeBase64 =
        "SIPsePIPLBZIiflJifGF0g+OygMAAPIPEB2CBQAAg8IBZg/vwLgBAAAAZg8fRAAAZg/v0mYPKMvyDyrQg8AB8g9eyvIPWME5wnXl" +
        "ZkgPfsBmD+/t8kgPKuhIiQFmD+/JMcBIjTVXBAAASI0VkAQAAA8oBAYPWQQCSIPAEPMPWMgPKNAPxtBV8w9Y0Q8oyA8VyA/GwP/z" +
        "D1jK8w9YyEiD+EB1zfJBDxBBCPMPWslmDyjR8kEPEGEY8g8QNekEAABmDyjY8g9R22YPFNPyQQ8QWSAPEVEI8kEPEFEQZg8v3vJI" +
        "DyzCSIlBGPIPLMRImEiJQSAPg6ACAABmSA9+yPJIDyzTSIXAD4itAgAAZg/vyfJIDyrIZg8v0GZID37ID4ZdAgAA8g8QNYUEAABm" +
        "DyjQ8g9Z8GYPKM7yD1/j2ehIiVEo2zwk8g9Y1EiJQTi4AgAAAGYP1mkwZg/WSUDyDxFRSIlEJBzbRCQcg8AB2ywk3snbPCSD+Bp1" +
        "6EiLBCTZBRIEAADyDxEEJN0EJEiJQVBIi0QkCN7JJf//AABIiUFY2frYNfIDAADbPCRIiwQkSIlBYEiLRCQI2egl//8AAEiJQWi4" +
        "AgAAAGYuDx+EAAAAAACJBCTbBCSDwAHeyYP4FXXw2DWuAwAATI1EJEC+KAAAAEiD7BBMicfbPCTo8QEAAF8x0kFaSGPwhcB+Fw8f" +
        "RAAAQQ+2BBCIRBFwSIPCAUg51nXu2QVsAwAAQdx5CEiD7BC+GAAAAEyJx9s8JOiwAQAAWjHSXkhj8IXAfhoPH0QAAEEPtgQQiIQR" +
        "mAAAAEiDwgFIOfJ16/MPECUvAwAASI1EJCBmD28V5gIAAGYP79tmD2816gIAAGYPby3yAgAASInGD8bkAGYPb/pmRA9vy2YP/tZI" +
        "g8YQZg9vxw9b/2YP28VmRA9myGZED2/AZkUPYsFmQQ9qwWYPb8hmTA9+x0EPEsBmSA9+wvJBDxAE+WZID37PZg9z2QhmQQ8WBNFm" +
        "SA9+yvJBDxAM+WYPWsBmQQ8WDNFmD1rJDxbBD1nHD1jEDylG8Ew5xg+Fef///0iNkbAAAABIizBIg8AISIPCCEiJcvhMOcB17PJB" +
        "DxBBKPIPEA17AgAASMeB+AEAABwAAADyD1nI8g9awPMPWsDyDxGB2AAAAPIPWA1cAgAA8kgPLMFIiYHQAAAASIPEeMMPHwBmDyjy" +
        "8g9eNSwCAABmDyjO6aL9//8PHwBmDyj7ZkgPfsjyD1z+8kgPLNdID7r6P0iFwA+JU/3//0iJxoPgAWYP78lI0e5ICcbySA8qzvIP" +
        "WMnpPv3//2YuDx+EAAAAAABmD+/tMcDpbvz//w8fRAAASIPsGDHS22wkINnu3/F2CsYHLdngugEAAADbLTABAADf8Q+GiAAAANno" +
        "2QVwAQAA6w5mDx9EAADd2tnJ2crZydnB2MnZy9vzc+7d29nJ2crbLQoBAADZy0hjwkgBx+tB2XwkDtnBg8IBSIPHAdjxD7dEJA6A" +
        "zAxmiUQkDNlsJAzbXCQI2WwkDttEJAgPtkQkCIPAMNjJiEf/3urY8jnWdBfb83O73djd2N3Y3djrEZDd2OsMDx9AAN3Y3djd2N3Y" +
        "idBIg8QYwwAAAAAAAAAAAAAAAD8AAIA+AACAvwAAAEAAAGBAAACAwAAAAD4AAABBAAAYwQAAgD8AAMA/AAAgwAAAQEAAAEA/AADA" +
        "QAAAAL8AAMA/AAAQwAAAQEAAAIRAAACwwAAAwEAAAPhAAAAAwQAAEEEAAChBAAAwwQAAQEEAAFhBAABgQQAAdMEAAIBB305nBM3J" +
        "8sliQAAAAAAAAMyIUG8JzLyM1z8AAAAAAAAAAAAAAQAAAAIAAAADAAAABAAAAAQAAAAEAAAABAAAAAMAAAADAAAAAwAAAAMAAAAA" +
        "ACBBAABAQAAA4EAAAAC/AAAAAAAA8D8AAAAAAADgQwAAAAAAAAhAAAAAAAAAHEAAAAAAgIQuQQAAAAAAAOA/";

    private const ulong Output = LongModeMachine.DataPage, Input = LongModeMachine.DataPage + 0x800;
    private const ulong Entry = LongModeMachine.KernelCode + 0x100;

    [Fact]
    public void Gcc_O2_floating_point_code_matches_the_host()
    {
        byte[] code = Convert.FromBase64String(CodeBase64);
        using var native = new NativeCode(code);
        using var machine = new LongModeMachine();
        machine.Cpu.Cr4 |= (1 << 9) | (1 << 10);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.call(Entry);
            a.hlt();
        });
        machine.WriteBytes(Entry, code);
        var random = new FloatOperands(11);
        var input = new double[8];
        var nativeOutput = new ulong[64];
        for (int c = 0; c < 300; c++)
        {
            input[0] = random.Next(200);
            for (int i = 1; i < input.Length; i++)
            {
                input[i] = BitConverter.UInt64BitsToDouble(random.Double());
            }
            Array.Clear(nativeOutput);
            fixed (ulong* output = nativeOutput)
            fixed (double* inputs = input)
            {
                ((delegate* unmanaged<ulong*, double*, void>)native.Address)(output, inputs);
            }

            for (int i = 0; i < 64; i++)
            {
                machine.WriteUInt64(Output + (ulong)i * 8, 0);
            }
            for (int i = 0; i < input.Length; i++)
            {
                machine.WriteUInt64(Input + (ulong)i * 8, BitConverter.DoubleToUInt64Bits(input[i]));
            }
            machine.Cpu.SetRegister(GeneralRegister.Rdi, Output);
            machine.Cpu.SetRegister(GeneralRegister.Rsi, Input);
            machine.Cpu.SetRegister(GeneralRegister.Rsp, LongModeMachine.KernelStackTop);
            machine.Cpu.Rip = LongModeMachine.KernelCode;
            machine.Cpu.Halted = false;
            var exit = machine.Cpu.Run(10_000_000);
            Assert.True(exit.Reason == CpuExitReason.Halt, exit.ToString());
            Assert.Null(machine.VectorFromHaltRip());

            Assert.True(nativeOutput[63] > 20, "the workload ran natively");
            for (int i = 0; i < 64; i++)
            {
                ulong engine = machine.ReadUInt64(Output + (ulong)i * 8);
                Assert.True(nativeOutput[i] == engine,
                    $"output word {i}: native {nativeOutput[i]:x16} engine {engine:x16} for inputs {string.Join(", ", input)}");
            }
        }
    }
}
