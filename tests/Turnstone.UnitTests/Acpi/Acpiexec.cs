namespace Turnstone.UnitTests.Acpi;

/// <summary>
/// Runs acpiexec in batch mode over our AML (and optionally our data tables) and rejects any
/// complaint. acpiexec is ACPICA, the interpreter Linux uses, so "loads, evaluates and decodes
/// cleanly here" is close to "Linux will accept it".
/// </summary>
internal static partial class Acpiexec
{
    /// <summary>
    /// acpiexec's line for one of our tables, "ACPI: DSDT 0x... 0001A8 (v02 TRNSTN ...". Its "ACPI: "
    /// prefix sometimes arrives as a line of its own (acpiexec's stdout and stderr are read as they
    /// come, and the prefix and the header can take different paths), so the prefix is optional.
    /// </summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^(ACPI: )?[A-Z0-9_]{4} 0x[0-9A-F]+ [0-9A-F]+ \(v[0-9]{2} TRNSTN")]
    private static partial System.Text.RegularExpressions.Regex OurTableHeader();

    private static readonly string[] Complaints =
        ["ACPI Error", "ACPI Warning", "ACPI Exception", "ACPI BIOS", "Firmware Warning", "Firmware Error", "failed", "Unexpected", "Exception"];

    /// <summary>
    /// Lines that report a feature we leave out on purpose, not a defect:
    /// "resources" tries _SRS, which fixed resources do not have; and with our FADT loaded,
    /// acpiexec's own hardware self-tests (aetests.c) poke the PM2 ARB_DISABLE bit (we have no PM2
    /// block), the GPE interfaces (no GPE blocks) and the PM timer (none).
    /// </summary>
    private static readonly string[] Expected =
    [
        "AcpiSetCurrentResources failed: AE_NOT_FOUND",
        "Unexpected AE_BAD_ADDRESS from AcpiWriteBitRegister",
        "Unexpected AE_BAD_ADDRESS from AcpiReadBitRegister",
        "Unexpected AE_BAD_PARAMETER from AcpiInstallGpeHandler",
        "Unexpected AE_BAD_PARAMETER from AcpiRemoveGpeHandler",
        "Unexpected AE_BAD_PARAMETER from AcpiEnableGpe",
        "Unexpected AE_BAD_PARAMETER from AcpiDisableGpe",
        "Unexpected AE_BAD_PARAMETER from AcpiSetGpe",
        "Unexpected AE_BAD_PARAMETER from AcpiSetupGpeForWake",
        "Unexpected AE_BAD_PARAMETER from AcpiSetGpeWakeMask",
        "Unexpected AE_SUPPORT from AcpiGetTimer",
        "Unexpected AE_SUPPORT from AcpiGetTimerDuration",
    ];

    /// <summary>`acpiexec -b "commands" files...`, with the transcript checked for complaints.</summary>
    public static AcpiexecTranscript Run(AcpicaWorkspace workspace, string commands, params string[] tableFiles)
    {
        var result = workspace.Acpiexec(["-b", commands, .. tableFiles]);
        // Each verdict follows the transcript, so a log that keeps only the tail still shows why.
        Assert.True(result.ExitCode == 0, $"{result}\n\nacpiexec exited with status {result.ExitCode}");
        string[] ours = result.Lines.Where(l => OurTableHeader().IsMatch(l)).ToArray();
        Assert.True(ours.Length == tableFiles.Length,
            $"{result}\n\nacpiexec listed {ours.Length} of our {tableFiles.Length} tables:\n{string.Join('\n', ours)}");
        foreach (string line in result.Lines)
        {
            bool complaint = Complaints.Any(c => line.Contains(c, StringComparison.OrdinalIgnoreCase));
            bool expected = Expected.Any(e => line.StartsWith(e, StringComparison.Ordinal));
            Assert.False(complaint && !expected, $"{result}\n\nacpiexec complained: {line}");
        }
        return new AcpiexecTranscript(result);
    }
}
