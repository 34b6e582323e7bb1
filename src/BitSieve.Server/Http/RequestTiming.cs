using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace BitSieve.Server.Http;

/// <summary>When a request started, for the <c>time</c> field of every Qdrant-style response.</summary>
internal static class RequestTiming
{
    private const string Key = "bitsieve.start";

    public static void Start(HttpContext context) => context.Items[Key] = Stopwatch.GetTimestamp();

    /// <summary>Seconds since the request started.</summary>
    public static double Seconds(HttpContext context) =>
        context.Items.TryGetValue(Key, out var start) && start is long ticks ? Stopwatch.GetElapsedTime(ticks).TotalSeconds : 0;
}
