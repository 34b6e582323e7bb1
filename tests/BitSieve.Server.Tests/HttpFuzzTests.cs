using System.Globalization;
using System.Net;
using System.Text;
using BitSieve.Ingest.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace BitSieve.Server.Tests;

/// <summary>
/// HTTP fuzzing: every route of the application (read from its endpoint data source, so a new route is covered without
/// touching this test) gets generated and mutated bodies (<see cref="FuzzBodies"/>) with right and wrong content
/// types. Never a 5xx, never a crash, and a refused request (4xx) leaves the database exactly as it was: collections,
/// options, payload indexes, points with their vectors and payloads, properties, log sequence. Seeded: a failure
/// prints the seed, the request and the body; <c>BITSIEVE_FUZZ_SEED</c> replays a seed. The default run sends
/// <see cref="RequestsPerRoute"/> requests per route (about a minute in all); <c>BITSIEVE_LONG_TESTS=1</c> sends 25 times
/// as many, from a fresh seed unless one is given.
/// </summary>
public sealed class HttpFuzzTests(ITestOutputHelper output)
{
    private const int RequestsPerRoute = 300;

    [Fact]
    public async Task Every_route_answers_fuzzed_bodies_without_a_5xx_and_refusals_change_nothing()
    {
        bool longRun = Environment.GetEnvironmentVariable("BITSIEVE_LONG_TESTS") == "1";
        int seed = int.TryParse(Environment.GetEnvironmentVariable("BITSIEVE_FUZZ_SEED"), CultureInfo.InvariantCulture, out int given) ? given
            : longRun ? Random.Shared.Next() : 20261204;
        int perRoute = longRun ? RequestsPerRoute * 25 : RequestsPerRoute;
        output.WriteLine($"seed {seed} (BITSIEVE_FUZZ_SEED={seed} replays it), {perRoute} requests per route");

        const int maxBody = 1 << 20;
        await using var host = await ServerHost.StartAsync(new ServerOptions { MaxRequestBodyBytes = maxBody, MaxLimit = 1000, MaxPointsPerRequest = 1000, MaxBatchSearches = 64 });
        var routes = Routes(host);
        Assert.True(routes.Count >= 40, $"only {routes.Count} routes found");
        var random = new Random(seed);
        var bodies = new FuzzBodies(random);
        await Seed(host);
        string dump = Dump(host.Server.Database);
        var statuses = new SortedDictionary<int, int>();
        var client = NewClient(host);
        int sent = 0;
        foreach (var (method, pattern) in routes)
        {
            for (int i = 0; i < perRoute; i++)
            {
                string path = Path(pattern, random);
                var (body, contentType) = bodies.Next($"{method} {pattern.RawText}");
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (random.Next(8) != 0)
                {
                    request.Content = new ByteArrayContent(body);
                    if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                }
                HttpStatusCode status;
                string text;
                try
                {
                    using var response = await client.SendAsync(request);
                    status = response.StatusCode;
                    text = await response.Content.ReadAsStringAsync();
                }
                catch (HttpRequestException) when (request.Content is not null && body.Length > maxBody)
                {
                    // A body over the limit that the endpoint never reads: Kestrel answers, then closes the connection
                    // rather than drain it, while the client may still be sending. Refused all the same.
                    status = HttpStatusCode.RequestEntityTooLarge;
                    text = "(connection closed)";
                }
                catch (HttpRequestException e)
                {
                    throw new Xunit.Sdk.XunitException($"{Describe(seed, method, path, contentType, body)}\nthe server closed the connection: {e.Message}");
                }
                sent++;
                if (request.Content is not null && body.Length > maxBody)
                {
                    // Kestrel closes a connection whose request body over the limit was not read: the next request
                    // goes on a fresh one, which first checks that the server is alive.
                    client.Dispose();
                    client = NewClient(host);
                    Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
                }
                statuses[(int)status] = statuses.GetValueOrDefault((int)status) + 1;
                if ((int)status >= 500)
                    throw new Xunit.Sdk.XunitException($"{Describe(seed, method, path, contentType, body)}\nanswered {(int)status}: {Truncate(text)}");
                string after = Dump(host.Server.Database);
                if ((int)status >= 400 && after != dump)
                    throw new Xunit.Sdk.XunitException($"{Describe(seed, method, path, contentType, body)}\nanswered {(int)status} ({Truncate(text)}) but changed the database:\n{Difference(dump, after)}");
                if ((int)status < 400 && await Seed(host)) after = Dump(host.Server.Database);
                dump = after;
            }
        }
        client.Dispose();
        output.WriteLine($"{sent} requests over {routes.Count} routes; statuses: {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}");
        Assert.Equal("healthz check passed", (await host.GetAsync("/healthz")).Text);
    }

    private static HttpClient NewClient(ServerHost host) => new() { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(1) };

    /// <summary>Every (method, route pattern) the application maps, from its endpoint data source.</summary>
    private static List<(string Method, RoutePattern Pattern)> Routes(ServerHost host)
    {
        var source = host.Server.App.Services.GetRequiredService<EndpointDataSource>();
        var routes = new List<(string, RoutePattern)>();
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            foreach (string method in methods is { Count: > 0 } ? methods : ["GET", "POST", "PUT", "DELETE", "PATCH"])
                routes.Add((method, endpoint.RoutePattern));
        }
        return routes;
    }

    /// <summary>A path for a route: its parameters filled with the fixture's names, often, or with odd values.</summary>
    private static string Path(RoutePattern pattern, Random random)
    {
        var path = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                if (part is RoutePatternLiteralPart literal) path.Append(literal.Content);
                else if (part is RoutePatternSeparatorPart separator) path.Append(separator.Content);
                else if (part is RoutePatternParameterPart parameter) path.Append(Uri.EscapeDataString(Parameter(parameter.Name, random)));
            }
        }
        string query = random.Next(4) == 0 ? "?" + (random.Next(2) == 0 ? "source=a.md" : "wait=true&source=%FF%00") : "";
        return (path.Length == 0 ? "/" : path.ToString()) + query;
    }

    private static string Parameter(string name, Random random) => name switch
    {
        "collection_name" or "collection" => random.Next(10) switch
        {
            < 6 => "c",
            6 => "d",
            7 => "fresh",
            8 => new string('n', 255),
            _ => new[] { "..", "a b", ".hidden", new string('n', 256), "ü", "x%00" }[random.Next(6)],
        },
        "id" => new[] { "1", "2", "999", "6f1a0b3e-1111-4c4d-9e9e-123456789abc", "-1", "abc", "18446744073709551616" }[random.Next(7)],
        "field_name" => new[] { "topic", "n", "nope", "a[]", "" }[random.Next(5)],
        "documentName" => random.Next(2) == 0 ? "v1" : "v2",
        _ => new[] { "x", "collections/c/points", "v1/collections", "" }[random.Next(4)],
    };

    /// <summary>Brings back the fixture a successful request removed (a collection deleted, points cleared); true when it did.</summary>
    private static async Task<bool> Seed(ServerHost host)
    {
        bool changed = false;
        foreach (string name in new[] { "c", "d" })
        {
            if (!host.Server.Database.CollectionExists(name))
            {
                await host.CreateCollectionAsync(name, 4, name == "c" ? "Cosine" : "Euclid");
                (await host.PutAsync($"/collections/{name}/index", """{"field_name":"topic","field_schema":"keyword"}""")).AssertOk();
                changed = true;
            }
            if (host.Server.Database.GetCollection(name).Count < 3)
            {
                (await host.PutAsync($"/collections/{name}/points", """
                    {"points":[{"id":1,"vector":[1,0,0,0],"payload":{"topic":"a","n":1}},{"id":2,"vector":[0,1,0,0],"payload":{"topic":"b","n":2,"tags":["x","y"]}},
                               {"id":"6f1a0b3e-1111-4c4d-9e9e-123456789abc","vector":[0,0,1,0.5],"payload":{"nested":{"k":[{"v":1}]}}}]}
                    """)).AssertOk();
                changed = true;
            }
        }
        return changed;
    }

    /// <summary>Everything a request could change, as text: per collection its options, indexes, log sequence, model property and every point.</summary>
    private static string Dump(Database database)
    {
        var text = new StringBuilder();
        foreach (string name in database.CollectionNames())
        {
            var collection = database.GetCollection(name);
            var info = collection.Info();
            text.Append(CultureInfo.InvariantCulture, $"collection {name} dim={info.Options.Dimension} metric={info.Options.Metric} bits={info.Options.Bits} count={info.Count} log={info.LogSequence} tombstones={info.Tombstones}\n");
            foreach (var (field, schema) in info.PayloadIndexes.OrderBy(p => p.Key, StringComparer.Ordinal)) text.Append(CultureInfo.InvariantCulture, $"  index {field}: {schema}\n");
            text.Append(CultureInfo.InvariantCulture, $"  model {collection.GetProperty(FolderIndexer.ModelProperty)}\n");
            PointId? offset = null;
            do
            {
                var page = collection.Scroll(offset, 1000, null, withPayload: true, withVector: true);
                foreach (var point in page.Points)
                    text.Append(CultureInfo.InvariantCulture, $"  {point.Id} {point.Payload?.ToJsonString()} [{string.Join(",", point.Vector!.Select(x => x.ToString("R", CultureInfo.InvariantCulture)))}]\n");
                offset = page.NextOffset;
            }
            while (offset is not null);
        }
        return text.ToString();
    }

    private static string Difference(string before, string after)
    {
        var a = before.Split('\n');
        var b = after.Split('\n');
        return "before: " + string.Join("\n        ", a.Except(b).Take(10)) + "\nafter:  " + string.Join("\n        ", b.Except(a).Take(10));
    }

    private static string Describe(int seed, string method, string path, string? contentType, byte[] body) =>
        $"seed {seed}: {method} {path} (Content-Type: {contentType ?? "none"}), body of {body.Length} bytes: {Truncate(Printable(body))}";

    /// <summary>The body as text with invalid UTF-8 shown as \xNN.</summary>
    private static string Printable(byte[] body)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return string.Concat(body.Select(b => b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}"));
        }
    }

    private static string Truncate(string text) => text.Length <= 2000 ? text : text[..2000] + $"… ({text.Length} characters)";
}
