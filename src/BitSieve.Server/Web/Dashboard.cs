using BitSieve.Server.Http;
using BitSieve.Server.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BitSieve.Server.Web;

/// <summary>
/// The dashboard at <c>/dashboard</c> (Qdrant's path): one page of plain HTML, CSS and JavaScript embedded in this
/// assembly, which calls the server's own JSON API from the browser. The page and its two assets are open (the page
/// asks for the API key and keeps it in the tab's <c>sessionStorage</c>); what it shows comes through the keyed API,
/// and <c>/dashboard/info</c> and <c>/dashboard/bench.json</c> are keyed too. A content security policy lets the page
/// load nothing from anywhere but this server.
/// </summary>
internal static class Dashboard
{
    /// <summary>The policy of the page: its own scripts, styles and API only; no inline script, no other origin.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly Dictionary<string, string> Assets = new(StringComparer.Ordinal)
    {
        ["dashboard.css"] = "text/css; charset=utf-8",
        ["dashboard.js"] = "text/javascript; charset=utf-8",
    };

    /// <summary>Whether a path is the page or one of its assets, which need no API key.</summary>
    public static bool IsOpen(PathString path) =>
        path == "/dashboard" || path == "/dashboard/" || (path.StartsWithSegments("/dashboard", out var rest) && Assets.ContainsKey(rest.Value?.TrimStart('/') ?? ""));

    /// <summary>Maps the page, its assets, <c>/dashboard/info</c> and <c>/dashboard/bench.json</c>.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/dashboard").WithTags("Dashboard");
        app.MapGet("/dashboard", (HttpContext context) => Resource(context, "dashboard.html", "text/html; charset=utf-8"))
            .WithTags("Dashboard").WithSummary("The web dashboard (HTML; works offline)").Produces<string>(StatusCodes.Status200OK, "text/html");
        group.MapGet("/{asset}", (string asset, HttpContext context) => Assets.TryGetValue(asset, out var type)
                ? Resource(context, asset, type)
                : throw ApiException.NotFound($"the dashboard has no asset `{asset}`"))
            .ExcludeFromDescription();
        group.MapGet("/info", (ServerOptions options, Embedders embedders, ChatModel chat) =>
                TypedResults.Ok(new DashboardInfo(embedders.DefaultModel, embedders.DefaultPrecision, chat.Endpoint is not null, options.BenchJsonPath is not null)))
            .WithSummary("What the dashboard needs to know of the server: the model of new text collections, whether /ask has a chat model, whether a bench result is loaded");
        group.MapGet("/bench.json", (ServerOptions options) =>
        {
            if (options.BenchJsonPath is not { } path)
                throw ApiException.NotFound("no bench result: start the server with --bench-json FILE (the last line of bitsieve bench --json)");
            try
            {
                return TypedResults.Text(File.ReadAllText(path), "application/json");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw ApiException.NotFound($"the bench result {path} cannot be read: {e.Message}");
            }
        }).WithSummary("The bench result given by bitsieve serve --bench-json (bitsieve bench --json's object)");
    }

    private static IResult Resource(HttpContext context, string name, string contentType)
    {
        context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Stream(typeof(Dashboard).Assembly.GetManifestResourceStream("BitSieve.Server.Web." + name)!, contentType);
    }
}

/// <summary><c>GET /dashboard/info</c>.</summary>
/// <param name="Model">The embedding model of new text collections (<c>bitsieve serve --model</c>).</param>
/// <param name="Precision">Its precision.</param>
/// <param name="Llm">Whether <c>/v1/…/ask</c> answers with a chat model (<c>--llm</c>); else its answers are extractive.</param>
/// <param name="Bench">Whether <c>/dashboard/bench.json</c> has a bench result (<c>--bench-json</c>).</param>
internal sealed record DashboardInfo(string Model, string Precision, bool Llm, bool Bench);
