using System.Text.Json;

namespace BitSieve;

/// <summary>One damaged file found by <see cref="Database.Check"/>.</summary>
/// <param name="File">The file, relative to the database directory (<c>collections/&lt;name&gt;/…</c>).</param>
/// <param name="Problem">What is wrong with it.</param>
/// <param name="Lost">What the damage costs: which data cannot be trusted or read back.</param>
public sealed record IntegrityProblem(string File, string Problem, string Lost);

/// <summary>What <see cref="Database.Check"/> found in one collection.</summary>
/// <param name="Name">The collection.</param>
/// <param name="Files">Every file read, relative to the database directory.</param>
/// <param name="Points">Live points when the collection could be read whole (index and points database agreeing), else null.</param>
/// <param name="Problems">The damaged files; empty when the collection is sound.</param>
public sealed record CollectionIntegrity(string Name, IReadOnlyList<string> Files, long? Points, IReadOnlyList<IntegrityProblem> Problems)
{
    /// <summary>True when no file of the collection is damaged.</summary>
    public bool IsSound => Problems.Count == 0;
}

/// <summary>The result of <see cref="Database.Check"/>: every collection checked, and what is damaged in each.</summary>
/// <param name="Collections">The collections checked, in name order.</param>
public sealed record IntegrityReport(IReadOnlyList<CollectionIntegrity> Collections)
{
    /// <summary>True when no file of any checked collection is damaged.</summary>
    public bool IsSound => Collections.All(c => c.IsSound);

    /// <summary>
    /// The one-line JSON form that <c>bitsieve check --json</c> prints:
    /// <c>{"sound","collections":[{"name","sound","points","files":[…],"problems":[{"file","problem","lost"}]}]}</c>.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteBoolean("sound", IsSound);
            w.WriteStartArray("collections");
            foreach (var collection in Collections)
            {
                w.WriteStartObject();
                w.WriteString("name", collection.Name);
                w.WriteBoolean("sound", collection.IsSound);
                if (collection.Points is long points) w.WriteNumber("points", points);
                else w.WriteNull("points");
                w.WriteStartArray("files");
                foreach (string file in collection.Files) w.WriteStringValue(file);
                w.WriteEndArray();
                w.WriteStartArray("problems");
                foreach (var problem in collection.Problems)
                {
                    w.WriteStartObject();
                    w.WriteString("file", problem.File);
                    w.WriteString("problem", problem.Problem);
                    w.WriteString("lost", problem.Lost);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
