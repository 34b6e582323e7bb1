namespace BitSieve;

/// <summary>
/// Runs a synchronous operation as a completed task, for the embedded engine's <see cref="IDatabase"/> and
/// <see cref="IPointCollection"/>: its result, or its exception held by the task (as an async method's would be).
/// </summary>
internal static class Completed
{
    public static Task Run(Action action)
    {
        try
        {
            action();
            return Task.CompletedTask;
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    public static Task<T> Run<T>(Func<T> action)
    {
        try
        {
            return Task.FromResult(action());
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }
}
