namespace Turnstone.HostIo;

/// <summary>One buffer of a vectored transfer (a <c>struct iovec</c>): host virtual address and length.</summary>
public readonly record struct IoVector(nuint Address, nuint Length);
