using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Q = Qdrant.Client.Grpc;

namespace BitSieve.Server.Grpc;

/// <summary>
/// Binds Qdrant's gRPC methods to <see cref="QdrantGrpcService"/> without generated server code: each method's
/// descriptor (service and method name, request and response types) is read from the message descriptors that
/// <c>Qdrant.Client</c> ships (<c>Qdrant.Client.Grpc</c>), and its requests and responses are (de)serialized with those
/// messages' parsers. A name the package does not describe, or a handler whose types differ from the descriptor's,
/// fails at startup. Every other method of the same services (recommend, discover, aliases, snapshots, …) is bound too
/// and answers <c>UNIMPLEMENTED</c> with a message that names it.
/// </summary>
internal sealed class QdrantGrpcMethods : IServiceMethodProvider<QdrantGrpcService>
{
    private static readonly ServiceDescriptor QdrantService = Q.QdrantReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Qdrant");
    private static readonly ServiceDescriptor CollectionsService = Q.CollectionsServiceReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Collections");
    private static readonly ServiceDescriptor PointsService = Q.PointsServiceReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Points");
    private static readonly ServiceDescriptor SnapshotsService = Q.SnapshotsServiceReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Snapshots");

    private static readonly MethodInfo BindUnsupportedMethod =
        typeof(QdrantGrpcMethods).GetMethod(nameof(BindUnsupported), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>The methods served, as <c>service/method</c> (for docs and tests).</summary>
    public static IReadOnlyList<string> Served { get; } =
    [
        "qdrant.Qdrant/HealthCheck",
        "qdrant.Collections/Get", "qdrant.Collections/List", "qdrant.Collections/Create", "qdrant.Collections/Update",
        "qdrant.Collections/Delete", "qdrant.Collections/CollectionExists",
        "qdrant.Points/Upsert", "qdrant.Points/Delete", "qdrant.Points/Get", "qdrant.Points/SetPayload", "qdrant.Points/OverwritePayload",
        "qdrant.Points/DeletePayload", "qdrant.Points/ClearPayload", "qdrant.Points/CreateFieldIndex", "qdrant.Points/DeleteFieldIndex",
        "qdrant.Points/Search", "qdrant.Points/SearchBatch", "qdrant.Points/Scroll", "qdrant.Points/Count", "qdrant.Points/Query",
        "qdrant.Points/QueryBatch",
    ];

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<QdrantGrpcService> context)
    {
        var bound = new HashSet<string>(StringComparer.Ordinal);
        void Bind<TRequest, TResponse>(ServiceDescriptor service, string name, UnaryServerMethod<QdrantGrpcService, TRequest, TResponse> handler)
            where TRequest : class, IMessage<TRequest>, new()
            where TResponse : class, IMessage<TResponse>, new()
        {
            context.AddUnaryMethod(Method<TRequest, TResponse>(service, name), [], handler);
            bound.Add($"{service.FullName}/{name}");
        }

        Bind<Q.HealthCheckRequest, Q.HealthCheckReply>(QdrantService, "HealthCheck", (s, r, c) => s.HealthCheck(r, c));

        Bind<Q.GetCollectionInfoRequest, Q.GetCollectionInfoResponse>(CollectionsService, "Get", (s, r, c) => s.GetCollection(r, c));
        Bind<Q.ListCollectionsRequest, Q.ListCollectionsResponse>(CollectionsService, "List", (s, r, c) => s.ListCollections(r, c));
        Bind<Q.CreateCollection, Q.CollectionOperationResponse>(CollectionsService, "Create", (s, r, c) => s.CreateCollection(r, c));
        Bind<Q.UpdateCollection, Q.CollectionOperationResponse>(CollectionsService, "Update", (s, r, c) => s.UpdateCollection(r, c));
        Bind<Q.DeleteCollection, Q.CollectionOperationResponse>(CollectionsService, "Delete", (s, r, c) => s.DeleteCollection(r, c));
        Bind<Q.CollectionExistsRequest, Q.CollectionExistsResponse>(CollectionsService, "CollectionExists", (s, r, c) => s.CollectionExists(r, c));

        Bind<Q.UpsertPoints, Q.PointsOperationResponse>(PointsService, "Upsert", (s, r, c) => s.Upsert(r, c));
        Bind<Q.DeletePoints, Q.PointsOperationResponse>(PointsService, "Delete", (s, r, c) => s.Delete(r, c));
        Bind<Q.GetPoints, Q.GetResponse>(PointsService, "Get", (s, r, c) => s.Get(r, c));
        Bind<Q.SetPayloadPoints, Q.PointsOperationResponse>(PointsService, "SetPayload", (s, r, c) => s.SetPayload(r, c));
        Bind<Q.SetPayloadPoints, Q.PointsOperationResponse>(PointsService, "OverwritePayload", (s, r, c) => s.OverwritePayload(r, c));
        Bind<Q.DeletePayloadPoints, Q.PointsOperationResponse>(PointsService, "DeletePayload", (s, r, c) => s.DeletePayload(r, c));
        Bind<Q.ClearPayloadPoints, Q.PointsOperationResponse>(PointsService, "ClearPayload", (s, r, c) => s.ClearPayload(r, c));
        Bind<Q.CreateFieldIndexCollection, Q.PointsOperationResponse>(PointsService, "CreateFieldIndex", (s, r, c) => s.CreateFieldIndex(r, c));
        Bind<Q.DeleteFieldIndexCollection, Q.PointsOperationResponse>(PointsService, "DeleteFieldIndex", (s, r, c) => s.DeleteFieldIndex(r, c));
        Bind<Q.SearchPoints, Q.SearchResponse>(PointsService, "Search", (s, r, c) => s.Search(r, c));
        Bind<Q.SearchBatchPoints, Q.SearchBatchResponse>(PointsService, "SearchBatch", (s, r, c) => s.SearchBatch(r, c));
        Bind<Q.ScrollPoints, Q.ScrollResponse>(PointsService, "Scroll", (s, r, c) => s.Scroll(r, c));
        Bind<Q.CountPoints, Q.CountResponse>(PointsService, "Count", (s, r, c) => s.Count(r, c));
        Bind<Q.QueryPoints, Q.QueryResponse>(PointsService, "Query", (s, r, c) => s.Query(r, c));
        Bind<Q.QueryBatchPoints, Q.QueryBatchResponse>(PointsService, "QueryBatch", (s, r, c) => s.QueryBatch(r, c));

        foreach (var service in new[] { QdrantService, CollectionsService, PointsService, SnapshotsService })
            foreach (var method in service.Methods)
                if (!bound.Contains($"{service.FullName}/{method.Name}") && !method.IsClientStreaming && !method.IsServerStreaming)
                    BindUnsupportedMethod.MakeGenericMethod(method.InputType.ClrType, method.OutputType.ClrType).Invoke(null, [context, service, method.Name]);
    }

    /// <summary>The method <paramref name="name"/> of <paramref name="service"/>, checked against the package's descriptor.</summary>
    private static Method<TRequest, TResponse> Method<TRequest, TResponse>(ServiceDescriptor service, string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        var descriptor = service.FindMethodByName(name)
            ?? throw new InvalidOperationException($"Qdrant.Client's descriptors have no method {service.FullName}/{name}.");
        if (descriptor.InputType.ClrType != typeof(TRequest) || descriptor.OutputType.ClrType != typeof(TResponse))
            throw new InvalidOperationException($"{service.FullName}/{name} takes {descriptor.InputType.ClrType.Name} and returns {descriptor.OutputType.ClrType.Name}, not {typeof(TRequest).Name} and {typeof(TResponse).Name}.");
        return new Method<TRequest, TResponse>(MethodType.Unary, service.FullName, name, Marshaller<TRequest>(), Marshaller<TResponse>());
    }

    private static Marshaller<T> Marshaller<T>()
        where T : class, IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        return Marshallers.Create<T>(
            (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
    }

    private static void BindUnsupported<TRequest, TResponse>(ServiceMethodProviderContext<QdrantGrpcService> context, ServiceDescriptor service, string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        string message = $"{service.FullName}/{name} is not supported by BitSieve (it serves a subset of Qdrant's API: {service.FullName}/" +
            string.Join(", ", Served.Where(m => m.StartsWith(service.FullName + "/", StringComparison.Ordinal)).Select(m => m[(service.FullName.Length + 1)..])) + ").";
        if (!Served.Any(m => m.StartsWith(service.FullName + "/", StringComparison.Ordinal)))
            message = $"{service.FullName}/{name} is not supported by BitSieve (it has no {service.Name.ToLowerInvariant()} service).";
        context.AddUnaryMethod(Method<TRequest, TResponse>(service, name), [],
            (_, _, _) => throw new RpcException(new Status(StatusCode.Unimplemented, message)));
    }
}
