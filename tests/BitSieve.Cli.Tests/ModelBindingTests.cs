using System.Diagnostics;
using System.Text.Json;
using BitSieve.Cli.Commands;
using BitSieve.Ingest.Pipeline;
using static BitSieve.Cli.Tests.CliRun;

namespace BitSieve.Cli.Tests;

/// <summary>
/// A collection is bound to the embedding model it was indexed with (issue 16): indexing or searching it with another
/// model is a one-line usage error naming both, and <c>index --reindex</c> re-embeds everything with the new model
/// into a new collection swapped in at the end — a run killed before the swap leaves the old collection as it was.
/// </summary>
[Collection(CacheDirectoryCollection.Name)]
public sealed class ModelBindingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public ModelBindingTests()
    {
        Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", _dir.File("cache"));
        Directory.CreateDirectory(_dir.File("docs"));
        File.WriteAllText(_dir.File("docs/a.txt"), "The dpkg status file records every installed package, its version and its state.");
        File.WriteAllText(_dir.File("docs/b.txt"), "Sockets are the endpoints of a network connection between two programs.");
    }

    private string Db => _dir.File("db");

    private string Docs => _dir.File("docs");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("BITSIEVE_CACHE_DIR", null);
        _dir.Dispose();
    }

    /// <summary>The collection's model property and its sources.</summary>
    private (string? Model, string[] Sources, long Count) Stored()
    {
        using var database = Database.Open(Db, new DatabaseOptions { ReadOnly = true });
        var collection = database.GetCollection(DatabaseArguments.DefaultCollection);
        var sources = collection.Scroll(null, 1000).Points.Select(p => p.Payload!["source"]!.GetValue<string>()).Distinct().Order(StringComparer.Ordinal).ToArray();
        return (collection.GetProperty(FolderIndexer.ModelProperty), sources, collection.Count);
    }

    [Fact]
    public async Task Indexing_with_another_model_of_the_same_dimension_fails_naming_both_and_reindex_replaces_the_vectors()
    {
        var (code, _, error) = await Run("index", "--db", Db, Docs);
        Assert.True(code == ExitCodes.Ok, error);

        // The reproduction: arctic-xs also makes 384-dimensional vectors, so only the binding notices.
        File.WriteAllText(_dir.File("docs/c.txt"), "Certificates must be verified for TLS.");
        (code, _, error) = await Run("index", "--db", Db, "--model", "arctic-xs", Docs);
        Assert.Equal(ExitCodes.Usage, code);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("holds vectors of minilm (", line, StringComparison.Ordinal); // the precision is the default's, auto: minilm's committed plan
        Assert.Contains("not of arctic-xs (", line, StringComparison.Ordinal);
        Assert.Contains("384 dimensions", line, StringComparison.Ordinal);
        Assert.Contains("--reindex", line, StringComparison.Ordinal);
        Assert.Equal("minilm", Stored().Model); // nothing written
        Assert.Equal(["a.txt", "b.txt"], Stored().Sources);

        (code, _, error) = await Run("search", "--db", Db, "--model", "arctic-xs", "--", "installed packages");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("not of arctic-xs", error, StringComparison.Ordinal);

        (code, var output, error) = await Run("index", "--db", Db, "--reindex", "--model", "arctic-xs", Docs);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.StartsWith("indexed 3 files", output, StringComparison.Ordinal);
        Assert.Equal("arctic-xs", Stored().Model);
        Assert.Equal(["a.txt", "b.txt", "c.txt"], Stored().Sources);

        // Searches now embed with arctic-xs, the bound model, without being told.
        (code, output, error) = await Run("search", "--db", Db, "--mode", "vector", "--json", "--", "Which file lists the installed packages?");
        Assert.True(code == ExitCodes.Ok, error);
        using (var json = JsonDocument.Parse(output))
            Assert.Equal("a.txt", json.RootElement.GetProperty("results")[0].GetProperty("source").GetString());
        (code, _, error) = await Run("index", "--db", Db, "--model", "minilm", Docs);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("holds vectors of arctic-xs", error, StringComparison.Ordinal);
        (code, output, error) = await Run("index", "--db", Db, Docs);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("unchanged 3", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reindex_killed_before_its_swap_leaves_the_old_collection_searchable_and_the_next_one_completes()
    {
        for (int i = 0; i < 40; i++)
            File.WriteAllText(_dir.File($"docs/n{i:D2}.txt"), $"Note {i}: the package manager keeps a log of every change in /var/log/dpkg.log, entry {i}.");
        var (code, _, error) = await Run("index", "--db", Db, Docs);
        Assert.True(code == ExitCodes.Ok, error);
        var before = Stored();

        // Killed as soon as the new collection exists, while it is being filled.
        string staging = Path.Combine(Db, "collections", DatabaseArguments.DefaultCollection + ".reindex");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["BITSIEVE_CACHE_DIR"] = _dir.File("cache") },
        };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "BitSieve.Cli.dll"), "index", "--db", Db, "--reindex", "--model", "arctic-xs", Docs })
            start.ArgumentList.Add(arg);
        string killed;
        using (var process = Process.Start(start)!)
        {
            var printed = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            while (!process.HasExited && !Directory.Exists(staging)) Thread.Sleep(1);
            bool ended = process.HasExited;
            process.Kill(entireProcessTree: true); // SIGKILL on Unix
            await process.WaitForExitAsync();
            killed = $"exit {process.ExitCode}: {await printed} {await errors}";
            Assert.False(ended, "the re-index ended before it could be killed: " + killed);
        }

        var after = Stored();
        Assert.True(before.Model == after.Model && before.Count == after.Count, $"{after.Model} {after.Count} after the killed run ({killed})");
        Assert.Equal(before.Sources, after.Sources);
        (code, var output, error) = await Run("search", "--db", Db, "--mode", "vector", "--json", "--", "Which file lists the installed packages?");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("\"source\":\"a.txt\"", output, StringComparison.Ordinal);

        (code, output, error) = await Run("index", "--db", Db, "--reindex", "--model", "arctic-xs", Docs);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.StartsWith("indexed 42 files", output, StringComparison.Ordinal);
        Assert.Equal("arctic-xs", Stored().Model);
        Assert.Equal(before.Sources, Stored().Sources);
        Assert.False(Directory.Exists(staging));
    }
}
