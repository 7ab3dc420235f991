namespace Turnstone.Firmware.LinuxBoot;

/// <summary>
/// The initrd as the guest receives it. A gzip-compressed cpio archive is expanded on the host when
/// asked: the kernel accepts an uncompressed newc archive just as well, and inflating it in the
/// guest costs emulated CPL-0 time on nested hosts.
/// </summary>
public static class InitialRamdisk
{
    public static byte[] Prepare(byte[] initrd, bool decompressOnHost)
    {
        if (!decompressOnHost || KernelPayload.Identify(initrd) != PayloadCompression.Gzip)
        {
            return initrd;
        }
        byte[] expanded = KernelPayload.Decompress(initrd);
        // newc archives start with "070701" (or "070702" with checksums); anything else is left to the guest.
        return expanded.AsSpan().StartsWith("07070"u8) ? expanded : initrd;
    }
}
