using System.Text;
using System.Text.RegularExpressions;
using BitSieve.Server;
using Microsoft.Playwright;

namespace BitSieve.Dashboard.Tests;

/// <summary>
/// The dashboard in a real browser against a real server (<see cref="BitSieveServer"/>, the host <c>bitsieve serve</c>
/// runs, on a free loopback port): create a text collection, drop two Markdown files and a PDF, ask a question only
/// the PDF answers, read the funnel, browse points with a filter, delete a document and the collection; and the API
/// key flow. Any JavaScript error, and any console error but the HTTP refusals a step provokes on purpose, fails.
/// Screenshots go to <c>$BITSIEVE_SCREENSHOTS</c> (docs/dashboard when refreshing the docs) or the test's folder.
/// </summary>
public sealed partial class DashboardTests
{
    private const float Timeout = 120_000;

    private static readonly string ScreenshotFolder =
        Environment.GetEnvironmentVariable("BITSIEVE_SCREENSHOTS") is { Length: > 0 } folder ? folder : Path.Combine(AppContext.BaseDirectory, "screenshots");

    private static readonly (string Name, string Type, byte[] Content)[] Files =
    [
        ("garden.md", "text/markdown", Encoding.UTF8.GetBytes("# Garden notes\n\n## Tomatoes\n\nWater the tomatoes every second day in summer and tie them to stakes.\n")),
        ("pasta.md", "text/markdown", Encoding.UTF8.GetBytes("# Kitchen\n\n## Pasta\n\nBoil the pasta in salted water for nine minutes, then drain it.\n")),
        ("harbour.pdf", "application/pdf", SimplePdf.Make("Harbour guide",
            "The lighthouse museum opens at nine in the morning.", "It closes at dusk from October to March.")),
    ];

    [BrowserFact]
    public async Task A_text_collection_is_created_filled_asked_browsed_and_deleted_in_the_page()
    {
        await using var server = await Server.StartAsync(apiKey: null);
        await using var browser = await Browser.LaunchAsync();
        var errors = new List<string>();
        var page = await OpenAsync(browser, server, errors, new ViewportSize { Width = 1280, Height = 900 }, ColorScheme.Light);
        page.SetDefaultTimeout(Timeout);
        await Expect(page.Locator("#status")).ToContainTextAsync("Connected");

        // Create a text collection.
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("handbook");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("Created the text collection handbook");
        await Expect(page.Locator("#collections-table tr[data-collection=handbook]")).ToContainTextAsync("minilm");

        // Drop two Markdown files and a PDF on the drop zone; wait until each is indexed.
        await page.GetByRole(AriaRole.Button, new() { Name = "Documents" }).ClickAsync();
        var transfer = await page.EvaluateHandleAsync("""
            files => {
              const transfer = new DataTransfer();
              for (const f of files) transfer.items.add(new File([Uint8Array.from(atob(f.content), c => c.charCodeAt(0))], f.name, { type: f.type }));
              return transfer;
            }
            """, Files.Select(f => new { name = f.Name, type = f.Type, content = Convert.ToBase64String(f.Content) }).ToArray());
        await page.Locator("#drop").DispatchEventAsync("drop", new Dictionary<string, object> { ["dataTransfer"] = transfer });
        await Expect(page.Locator("#uploads li[data-done=true]")).ToHaveCountAsync(3);
        await Expect(page.Locator("#uploads")).Not.ToContainTextAsync("not added");
        await Expect(page.Locator("#documents-table tbody tr")).ToHaveCountAsync(3);
        await Expect(page.Locator("#documents-table tr[data-source='harbour.pdf']")).ToBeVisibleAsync();

        // Ask what only the PDF says: its passage first, the funnel drawn next to exact float32's reads.
        await page.GetByRole(AriaRole.Button, new() { Name = "Ask" }).First.ClickAsync();
        await page.GetByLabel("Question", new() { Exact = true }).FillAsync("When does the lighthouse museum open?");
        await page.GetByLabel("Mode", new() { Exact = true }).SelectOptionAsync("vector");
        await page.Locator("#ask-form button[type=submit]").ClickAsync();
        var first = page.Locator("#passages li").First;
        await Expect(first.Locator(".source")).ToHaveTextAsync("harbour.pdf (page 1)");
        await Expect(first.Locator(".passage-text")).ToContainTextAsync("opens at nine");
        await Expect(first.Locator("mark").First).ToBeVisibleAsync();
        await Expect(page.Locator("#funnel [data-tier=exact]")).ToContainTextAsync("would read");
        await Expect(page.Locator("#funnel [data-tier=t1]")).ToContainTextAsync("seen");
        await Expect(page.Locator("#funnel [data-tier=t3]")).ToContainTextAsync("originals");
        await Expect(page.Locator("#answer")).ToContainTextAsync("lighthouse museum opens at nine");
        await Expect(page.Locator("#answer a[href='#passage-1']")).ToBeVisibleAsync();
        await ScreenshotAsync(page, "ask-light-laptop");
        await page.GetByRole(AriaRole.Button, new() { Name = "Dark" }).ClickAsync();
        await ScreenshotAsync(page, "ask-dark-laptop");
        await page.GetByRole(AriaRole.Button, new() { Name = "Light" }).ClickAsync();

        // Points with a filter: only the PDF's chunks; a bad filter shows the server's message.
        await page.GetByRole(AriaRole.Button, new() { Name = "Points" }).ClickAsync();
        await page.GetByLabel("Filter").FillAsync("""{"must":[{"key":"source","match":{"value":"harbour.pdf"}}]}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Scroll" }).ClickAsync();
        var rows = page.Locator("#points-table tbody tr");
        await Expect(rows.First).ToContainTextAsync("harbour.pdf");
        int count = await rows.CountAsync();
        for (int i = 0; i < count; i++) await Expect(rows.Nth(i)).ToContainTextAsync("\"source\": \"harbour.pdf\"");
        await Expect(page.Locator("#points-table")).Not.ToContainTextAsync("garden.md");
        server.ExpectRefusals(errors, 400);
        await page.GetByLabel("Filter").FillAsync("""{"must":[{"key":"source","match":"harbour.pdf"}]}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Scroll" }).ClickAsync();
        await Expect(page.Locator("#points-error")).ToContainTextAsync("Format error in JSON body");
        await ScreenshotAsync(page, "points-light-laptop");

        // Delete a document (with confirmation), then the collection.
        await page.GetByRole(AriaRole.Button, new() { Name = "Documents" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete document pasta.md" }).ClickAsync();
        await page.Locator("#confirm-ok").ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("Removed pasta.md");
        await Expect(page.Locator("#documents-table tbody tr")).ToHaveCountAsync(2);
        await page.GetByRole(AriaRole.Button, new() { Name = "Collections" }).ClickAsync();
        await ScreenshotAsync(page, "collections-light-laptop");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete collection handbook" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(page.Locator("#collections-table tr[data-collection=handbook]")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete collection handbook" }).ClickAsync();
        await page.Locator("#confirm-ok").ClickAsync();
        await Expect(page.Locator("#collections-table tr[data-collection=handbook]")).ToHaveCountAsync(0);
        Assert.False(server.Host.Database.CollectionExists("handbook"));

        Assert.Empty(server.Unexpected(errors));
    }

    [BrowserFact]
    public async Task The_page_asks_for_the_api_key_and_says_when_it_is_wrong()
    {
        await using var server = await Server.StartAsync(apiKey: "s3cret-key");
        await using var browser = await Browser.LaunchAsync();
        var errors = new List<string>();
        server.ExpectRefusals(errors, 401);
        var page = await OpenAsync(browser, server, errors, new ViewportSize { Width = 390, Height = 844 }, ColorScheme.Dark);
        page.SetDefaultTimeout(Timeout);

        await Expect(page.Locator("#error")).ToHaveTextAsync("This server needs an API key.");
        await page.GetByRole(AriaRole.Textbox, new() { Name = "API key" }).FillAsync("wrong-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use this key" }).ClickAsync();
        await Expect(page.Locator("#error")).ToContainTextAsync("The API key was refused (Invalid API key)");
        await ScreenshotAsync(page, "key-dark-phone");

        await page.GetByRole(AriaRole.Textbox, new() { Name = "API key" }).FillAsync("s3cret-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use this key" }).ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("Connected");
        await Expect(page.Locator("#key-view")).ToBeHiddenAsync();
        Assert.Equal("s3cret-key", await page.EvaluateAsync<string>("sessionStorage.getItem('bitsieve.apiKey')"));
        Assert.Null(await page.EvaluateAsync<string?>("localStorage.getItem('bitsieve.apiKey')"));

        // With the key the page works: a vector collection is created and listed; the bench result is drawn.
        await page.GetByLabel("Vectors (you upsert them)").CheckAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("vectors");
        await page.GetByLabel("Vector size").FillAsync("8");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(page.Locator("#collections-table tr[data-collection=vectors]")).ToContainTextAsync("(vectors)");
        await ScreenshotAsync(page, "collections-dark-phone");
        await page.GetByRole(AriaRole.Button, new() { Name = "Bench" }).ClickAsync();
        await Expect(page.Locator("#bench-plot svg circle")).ToHaveCountAsync(4);
        await Expect(page.Locator("#bench-caption")).ToContainTextAsync("Recall@10");
        await ScreenshotAsync(page, "bench-dark-phone");

        Assert.Empty(server.Unexpected(errors));
    }

    private static async Task<IPage> OpenAsync(Browser browser, Server server, List<string> errors, ViewportSize viewport, ColorScheme scheme)
    {
        var context = await browser.Instance.NewContextAsync(new BrowserNewContextOptions { ViewportSize = viewport, ColorScheme = scheme });
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error") lock (errors) errors.Add(message.Text);
        };
        page.PageError += (_, error) =>
        {
            lock (errors) errors.Add("page error: " + error);
        };
        var response = await page.GotoAsync(server.Address + "/dashboard");
        Assert.Equal(200, response!.Status);
        return page;
    }

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });
    }

    /// <summary>An assertion that waits as long as an action does (Playwright's default is 5 s; a loaded CI machine embeds slower).</summary>
    private static ILocatorAssertions Expect(ILocator locator)
    {
        Assertions.SetDefaultExpectTimeout(Timeout);
        return Assertions.Expect(locator);
    }

    /// <summary>The server under test, its temporary folder, and the HTTP refusals the test provokes on purpose.</summary>
    private sealed partial class Server : IAsyncDisposable
    {
        private readonly string _directory;
        private readonly HashSet<int> _expected = [];

        private Server(BitSieveServer host, string directory)
        {
            Host = host;
            _directory = directory;
        }

        public BitSieveServer Host { get; }

        public string Address => Host.Addresses[0];

        public static async Task<Server> StartAsync(string? apiKey)
        {
            string directory = Path.Combine(Path.GetTempPath(), "bitsieve-dashboard-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            string bench = Path.Combine(directory, "bench.json");
            await File.WriteAllTextAsync(bench, BenchJson);
            var host = BitSieveServer.Create(new ServerOptions
            {
                DatabasePath = Path.Combine(directory, "db"), Port = 0, ApiKey = apiKey,
                EmbeddingCacheDirectory = Path.Combine(directory, "cache"), BenchJsonPath = bench,
            });
            await host.StartAsync();
            return new Server(host, directory);
        }

        /// <summary>From now on, chromium's "Failed to load resource: … status of N" for <paramref name="status"/> is expected.</summary>
        public void ExpectRefusals(List<string> errors, int status)
        {
            lock (errors) _expected.Add(status);
        }

        public IReadOnlyList<string> Unexpected(List<string> errors)
        {
            lock (errors)
                return errors.Where(e => !(RefusedResource().Match(e) is { Success: true } m && _expected.Contains(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))).ToList();
        }

        [GeneratedRegex(@"^Failed to load resource: the server responded with a status of (\d{3})")]
        private static partial Regex RefusedResource();

        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        /// <summary>A bench result in <c>bitsieve bench --json</c>'s shape: exact, two fixed oversamplings and the cascade.</summary>
        private const string BenchJson = """
            {"n":2000,"dim":384,"k":10,"threads":1,"queries":200,"exact":{"qps":900},"cascade":{"quality":"0.995","recall":0.996,"qps":5200,"t2_per_query":120,"t3_per_query":30,"resident_bytes_per_vector":240,"peak_rss_bytes":1},"fixed":[{"oversampling":1,"recall":0.71,"qps":9000},{"oversampling":4,"recall":0.97,"qps":6100}],"batch":{"exact_qps":1,"fixed_qps":1,"fixed_oversampling":4,"cascade_qps":1},"speedup_vs_exact":5.8}
            """;
    }
}
