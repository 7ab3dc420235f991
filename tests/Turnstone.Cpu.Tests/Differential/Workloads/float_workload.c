/* A floating-point workload compiled with gcc -O2 (x86-64 baseline: x87, SSE, SSE2) for the
   software engine's end-to-end differential test. Freestanding and position-independent: run()
   fills out[] and the test compares it byte for byte with the same code run natively. */
typedef unsigned long u64;

static double harmonic(int n) { double s = 0; for (int i = 1; i <= n; i++) s += 1.0 / i; return s; }

static float dot(const float *a, const float *b, int n) { float s = 0; for (int i = 0; i < n; i++) s += a[i] * b[i]; return s; }

static long double factorial(int n) { long double f = 1; for (int i = 2; i <= n; i++) f *= i; return f; }

/* The digits of a long double, as printf's %Lf would produce them (by repeated multiplication). */
static int digits(long double x, char *out, int count)
{
    int n = 0;
    if (x < 0) { out[n++] = '-'; x = -x; }
    if (!(x < 1e30L)) return n; /* infinities and NaNs */
    long double scale = 1;
    while (scale * 10 <= x) scale *= 10;
    for (; n < count && scale >= 1e-12L; scale /= 10) {
        int d = (int)(x / scale);
        out[n++] = (char)('0' + d);
        x -= d * scale;
    }
    return n;
}

__attribute__((section(".text.start")))
void run(u64 *out, const double *in)
{
    static const float a[16] = {1.5f, -2.25f, 3.0f, 4.125f, -5.5f, 6.0f, 7.75f, -8.0f, 9.0f, 10.5f, -11.0f, 12.0f, 13.5f, 14.0f, -15.25f, 16.0f};
    static const float b[16] = {0.5f, 0.25f, -1.0f, 2.0f, 3.5f, -4.0f, 0.125f, 8.0f, -9.5f, 1.0f, 1.5f, -2.5f, 3.0f, 0.75f, 6.0f, -0.5f};
    union { double d; u64 u; } cd;
    union { long double l; u64 u[2]; } cl;
    int k = 0;
    cd.d = harmonic((int)in[0]); out[k++] = cd.u;
    cd.d = dot(a, b, 16); out[k++] = cd.u;
    cd.d = __builtin_sqrt(in[1]); out[k++] = cd.u;
    out[k++] = (u64)(long)in[2];                 /* cvttsd2si, maybe out of range: integer indefinite */
    out[k++] = (u64)(int)in[3];
    out[k++] = (u64)in[4];                        /* double to unsigned: the compare-and-subtract idiom */
    cd.d = (double)(long)out[0]; out[k++] = cd.u;
    cd.d = (double)(u64)out[1]; out[k++] = cd.u;  /* unsigned to double: the halving idiom */
    cd.d = in[1] < in[2] ? in[1] * 3 : in[2] / 7; out[k++] = cd.u;
    cd.d = (in[1] < in[2] ? in[1] : in[2]) + (in[3] > in[4] ? in[3] : in[4]); out[k++] = cd.u;
    cl.u[1] = 0; cl.l = factorial(25); out[k++] = cl.u[0]; out[k++] = cl.u[1] & 0xFFFF;
    cl.u[1] = 0; cl.l = __builtin_sqrtl((long double)in[1] * 3) / 7; out[k++] = cl.u[0]; out[k++] = cl.u[1] & 0xFFFF;
    char text[40];
    int n = digits(factorial(20) / 3, text, 40);
    for (int i = 0; i < n; i++) ((char *)&out[k])[i] = text[i];
    k += 5;
    n = digits((long double)in[1] / 3, text, 24);
    for (int i = 0; i < n; i++) ((char *)&out[k])[i] = text[i];
    k += 3;
    float f[8];
    for (int i = 0; i < 8; i++) f[i] = (float)in[i & 3] * (float)i - 0.5f;
    for (int i = 0; i < 8; i += 2) { union { float f[2]; u64 u; } p; p.f[0] = f[i]; p.f[1] = f[i + 1]; out[k++] = p.u; }
    out[k++] = (u64)(long)(in[5] * 1e6 + 0.5);
    cd.d = (double)(float)in[5]; out[k++] = cd.u;
    out[63] = (u64)k;
}
