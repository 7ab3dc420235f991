using System.Runtime.CompilerServices;

// The interpreter's handlers take `out` locals on every executed instruction; zeroing them in
// each prologue is measurable at hundreds of millions of calls per second.
[module: SkipLocalsInit]
