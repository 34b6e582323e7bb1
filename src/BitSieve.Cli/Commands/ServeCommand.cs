using System.CommandLine;
using BitSieve.Embeddings;
using BitSieve.Embeddings.Onnx.Quantization;
using BitSieve.Cluster;
using BitSieve.Ingest.Answering;
using BitSieve.Server;

namespace BitSieve.Cli.Commands;

/// <summary><c>bitsieve serve</c>: the HTTP server (Qdrant-compatible REST API, BitSieve's /v1 API, /metrics, /docs).</summary>
internal static class ServeCommand
{
    /// <summary>The environment variable read for the API key when <c>--api-key</c> is not given.</summary>
    public const string ApiKeyVariable = "BITSIEVE_API_KEY";

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var db = DatabaseArguments.Db();
        var port = new Option<int>("--port") { Description = "TCP port (default 6333, Qdrant's; 0 picks a free one).", DefaultValueFactory = _ => 6333, HelpName = "PORT" };
        var grpcPort = new Option<int>("--grpc-port")
        {
            Description = "TCP port of Qdrant's gRPC API, for Qdrant.Client and other gRPC clients (default 6334, Qdrant's; 0 picks a free one; a cluster silo serves gRPC only when it is given).",
            DefaultValueFactory = _ => 6334,
            HelpName = "PORT",
        };
        var noGrpc = new Option<bool>("--no-grpc") { Description = "Serve no gRPC API (REST only)." };
        var host = new Option<string>("--host")
        {
            Description = "Address to bind (default 127.0.0.1, loopback only; 0.0.0.0 exposes the server to the network: add --allowed-hosts with the names clients use).",
            DefaultValueFactory = _ => "127.0.0.1",
            HelpName = "ADDRESS",
        };
        var apiKey = new Option<string?>("--api-key")
        {
            Description = $"Require this key (api-key header or Authorization: Bearer) on every request but /, /healthz, /readyz, /livez, /docs and the /dashboard page (which asks for it). Default: ${ApiKeyVariable}, else none.",
            HelpName = "KEY",
        };
        var maxBody = new Option<int>("--max-body-mb") { Description = "Largest request body in MiB (default 32); larger bodies get 413.", DefaultValueFactory = _ => 32, HelpName = "MIB" };
        var maxResponse = new Option<long>("--max-response-bytes")
        {
            Description = "Largest response in bytes, estimated before it is built: points × (vector + payload) over a whole batch (default 67108864, 64 MiB); larger ones get 400.",
            DefaultValueFactory = _ => 64L << 20,
            HelpName = "BYTES",
        };
        var allowedHosts = new Option<string?>("--allowed-hosts")
        {
            Description = "Comma-separated host names (Host header / :authority, any port) to answer to. Default: localhost,127.0.0.1,[::1]. '*' answers to any (only behind a proxy that checks it).",
            HelpName = "HOSTS",
        };
        var corsOrigin = new Option<string?>("--cors-origin")
        {
            Description = "Let web pages of this one origin (https://app.example:8080) call the server from a browser. Default: no cross-origin access.",
            HelpName = "ORIGIN",
        };
        var model = new Option<string?>("--model") { Description = "Embedding model of the /v1 text API (default minilm; see bitsieve embed --help).", HelpName = "MODEL" };
        var precision = PrecisionChoice.CreateOption();
        var plan = PrecisionChoice.CreatePlanOption();
        var llm = new Option<string?>("--llm")
        {
            Description = "Answer /v1/collections/{name}/ask with a chat model: the base URL of an OpenAI-compatible endpoint (http://localhost:11434/v1 for Ollama). "
                + $"API key from {ChatEndpoint.ApiKeyVariable} or {ChatEndpoint.OpenAiApiKeyVariable}. Without it, /ask answers extractively.",
            HelpName = "URL",
        };
        var benchJson = new Option<string?>("--bench-json")
        {
            Description = "Show this bench result on the dashboard (/dashboard) as recall against QPS: the JSON line of bitsieve bench --json, saved to a file.",
            HelpName = "FILE",
        };
        var llmModel = new Option<string?>("--llm-model") { Description = "The chat model (default: the first the endpoint lists).", HelpName = "NAME" };
        var cluster = new Option<string?>("--cluster")
        {
            Description = "Run as a silo of a BitSieve cluster whose membership is on this Redis server (redis://HOST:PORT): sharded, replicated collections, the same HTTP API on every silo (docs/cluster.md).",
            HelpName = "URL",
        };
        var siloPort = new Option<int>("--silo-port") { Description = "With --cluster: the port silos talk to each other on (default 11111).", DefaultValueFactory = _ => 11111, HelpName = "PORT" };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "With --cluster: the Orleans client gateway port (default 30000).", DefaultValueFactory = _ => 30000, HelpName = "PORT" };
        var catchUpLog = new Option<int>("--catch-up-log")
        {
            Description = "With --cluster: how many points of its latest writes each replica keeps in memory, so that a replica that returns catches up by replaying them (default 100000); one further behind gets a snapshot.",
            DefaultValueFactory = _ => 100_000,
            HelpName = "POINTS",
        };
        var shards = new Option<int>("--shards")
        {
            Description = "With --cluster: the shards of a collection the /v1 text API creates (default 1; PUT /collections/{name} takes its own shard_number).",
            DefaultValueFactory = _ => 1,
            HelpName = "N",
        };
        var replicas = new Option<int>("--replicas")
        {
            Description = "With --cluster: the replicas of each shard of a collection the /v1 text API creates, on different silos (default 1).",
            DefaultValueFactory = _ => 1,
            HelpName = "N",
        };
        var command = new Command("serve", "Serve the database over HTTP: a Qdrant-compatible REST API and gRPC API (port 6334), BitSieve's /v1 text API, OpenAPI at /openapi/v1.json, a reference page at /docs, a web dashboard at /dashboard, Prometheus metrics at /metrics.")
        {
            db, port, grpcPort, noGrpc, host, apiKey, maxBody, maxResponse, allowedHosts, corsOrigin, model, precision, plan, llm, llmModel, benchJson, cluster, siloPort, gatewayPort, catchUpLog, shards, replicas,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            BitSieveServer? server = null;
            ClusterSilo? silo = null;
            int code = await DatabaseArguments.RunAsync("bitsieve serve", error, _ =>
            {
                int mib = parse.GetValue(maxBody);
                if (mib is < 1 or > 4096) throw new UsageException("--max-body-mb must be between 1 and 4096.");
                long responseBytes = parse.GetValue(maxResponse);
                if (responseBytes < 1024) throw new UsageException("--max-response-bytes must be at least 1024.");
                if (parse.GetValue(grpcPort) is < 0 or > 65535) throw new UsageException("--grpc-port must be between 0 and 65535.");
                if (!parse.GetValue(noGrpc) && parse.GetValue(grpcPort) is > 0 and var g && g == parse.GetValue(port))
                    throw new UsageException($"--grpc-port and --port are both {g}: give gRPC another port, or --no-grpc.");
                string? hosts = parse.GetValue(allowedHosts);
                string[] hostList = hosts is null ? [.. ServerOptions.LoopbackHosts] : hosts.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (hostList.Length == 0) throw new UsageException("--allowed-hosts needs at least one host name (or *).");
                string? origin = parse.GetValue(corsOrigin);
                if (origin is not null && !ServerOptions.IsOrigin(origin))
                    throw new UsageException($"--cors-origin must be a web origin such as https://app.example:8080 (scheme, host, optional port), not '{origin}'.");
                string? key = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable);
                if (parse.GetValue(llm) is null && parse.GetValue(llmModel) is not null) throw new UsageException("--llm-model needs --llm URL (the chat endpoint).");
                Uri? llmUrl = parse.GetValue(llm) is { } url
                    ? Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" ? parsed
                        : throw new UsageException($"--llm must be an absolute http(s) URL such as http://localhost:11434/v1, not '{url}'.")
                    : null;
                var serverOptions = new ServerOptions
                {
                    DatabasePath = parse.GetValue(db)!,
                    Port = parse.GetValue(port),
                    GrpcPort = parse.GetValue(noGrpc) ? null : parse.GetValue(grpcPort),
                    Host = parse.GetValue(host)!,
                    ApiKey = string.IsNullOrEmpty(key) ? null : key,
                    MaxRequestBodyBytes = (long)mib << 20,
                    MaxResponseBytes = responseBytes,
                    AllowedHosts = hostList,
                    CorsOrigin = origin,
                    EmbeddingModel = parse.GetValue(model),
                    LlmEndpoint = llmUrl,
                    LlmModel = parse.GetValue(llmModel),
                    BenchJsonPath = parse.GetValue(benchJson) is { } bench ? Path.GetFullPath(bench) : null,
                    LlmApiKey = llmUrl is null ? null : ChatEndpoint.ApiKeyFromEnvironment(),
                    EmbeddingPrecision = StoredPrecision.Encode(
                        PrecisionChoice.Resolve(parse.GetValue(precision)!, parse.GetValue(plan), parse.GetValue(model) ?? EmbeddingModels.Default)),
                };
                if (parse.GetValue(cluster) is { } redis)
                {
                    if (!redis.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || redis.Length == "redis://".Length)
                        throw new UsageException($"--cluster must be a Redis URL such as redis://10.0.0.9:6379, not '{redis}'.");
                    // A silo serves gRPC only when --grpc-port says where: silos often share a machine, and Qdrant's default
                    // port would collide.
                    int? siloGrpc = parse.GetResult(grpcPort) is { Implicit: false } ? serverOptions.GrpcPort : null;
                    silo = ClusterSilo.Create(new ClusterOptions { Server = serverOptions with { GrpcPort = siloGrpc }, Redis = redis, SiloPort = parse.GetValue(siloPort), GatewayPort = parse.GetValue(gatewayPort),
                        CatchUpLogPoints = parse.GetValue(catchUpLog), ShardNumber = parse.GetValue(shards), ReplicationFactor = parse.GetValue(replicas),
                    });
                }
                else
                {
                    server = BitSieveServer.Create(serverOptions);
                }
                return ExitCodes.Ok;
            }, cancellationToken).ConfigureAwait(false);
            if (silo is not null) return await RunSiloAsync(silo, parse.GetValue(db)!, output, error, cancellationToken).ConfigureAwait(false);
            if (server is null) return code;
            await using (server.ConfigureAwait(false))
            {
                try
                {
                    await server.StartAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    error.WriteLine($"bitsieve serve: error: {e.Message}");
                    return ExitCodes.Failure;
                }
                string grpcAddress = server.GrpcAddress is { } grpc ? $"; gRPC on {grpc.ToString().TrimEnd('/')}" : "";
                output.WriteLine($"bitsieve serve: listening on {string.Join(", ", server.Addresses)}{grpcAddress} (database {server.Database.Path}); Ctrl+C stops");
                output.Flush();
                // Until Ctrl+C (the command line's token) or SIGTERM (the host's lifetime).
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, server.App.Lifetime.ApplicationStopping);
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
            output.WriteLine("bitsieve serve: stopped; database checkpointed");
            output.Flush();
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Joins the cluster and serves until Ctrl+C or SIGTERM; then leaves it and checkpoints the silo's database.</summary>
    private static async Task<int> RunSiloAsync(ClusterSilo silo, string db, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await using (silo.ConfigureAwait(false))
        {
            try
            {
                await silo.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or Orleans.Runtime.OrleansException or StackExchange.Redis.RedisException)
            {
                error.WriteLine($"bitsieve serve: error: {e.Message}");
                return ExitCodes.Failure;
            }
            string grpcAddress = silo.GrpcAddress is { } grpc ? $"; gRPC on {grpc.ToString().TrimEnd('/')}" : "";
            output.WriteLine($"bitsieve serve: cluster silo listening on {string.Join(", ", silo.Addresses)}{grpcAddress} (database {db}); Ctrl+C stops");
            output.Flush();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, silo.App.Lifetime.ApplicationStopping);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        output.WriteLine("bitsieve serve: stopped; left the cluster; database checkpointed");
        output.Flush();
        return ExitCodes.Ok;
    }
}
