using System.Runtime.InteropServices;

namespace Warmup.Runtime.Measurement;

/// <summary>
/// Thread and process CPU time (Linux and macOS, <c>clock_gettime</c>), for measurements that must not count time spent
/// preempted: what <see cref="WarmupClock.ThreadCpu"/> counts.
/// </summary>
public static partial class ThreadCpuClock
{
    /// <summary>Whether this platform has the clocks (Linux or macOS with <c>CLOCK_THREAD_CPUTIME_ID</c>).</summary>
    public static bool IsSupported { get; } = Probe();

    /// <summary>The calling thread's CPU time in milliseconds.</summary>
    /// <remarks>Only where <see cref="IsSupported"/> is true.</remarks>
    public static double NowMs() => Read(ClockId);

    /// <summary>The process's CPU time (all threads) in milliseconds, with nanosecond resolution (unlike /proc's 10 ms ticks).</summary>
    /// <remarks>Only where <see cref="IsSupported"/> is true.</remarks>
    public static double ProcessNowMs() => Read(OperatingSystem.IsMacOS() ? 12 : 2); // CLOCK_PROCESS_CPUTIME_ID

    private static int ClockId => OperatingSystem.IsMacOS() ? 16 : 3; // CLOCK_THREAD_CPUTIME_ID

    private static double Read(int clockId)
    {
        if (ClockGetTime(clockId, out var now) != 0)
        {
            throw new PlatformNotSupportedException($"clock_gettime({clockId}) failed.");
        }

        return now.Seconds * 1000.0 + now.Nanoseconds / 1_000_000.0;
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return false;
        }

        try
        {
            return ClockGetTime(ClockId, out _) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int ClockGetTime(int clockId, out TimeSpec time);
}
