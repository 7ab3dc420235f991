using Turnstone.Devices.Bus;

namespace Turnstone.Devices.InterruptControllers;

/// <summary>One ISA IRQ input of the <see cref="DualPic8259"/>.</summary>
internal sealed class PicInterruptLine(DualPic8259 pic, int irq) : IInterruptLine
{
    public void SetLevel(bool asserted) => pic.SetIrq(irq, asserted);
}
