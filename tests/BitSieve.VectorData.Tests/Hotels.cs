using Microsoft.Extensions.VectorData;

namespace BitSieve.VectorData.Tests;

/// <summary>The shape every conformance record has, whichever way it is described.</summary>
public interface IHotel<TKey>
{
    TKey Key { get; set; }

    string Name { get; set; }

    string? City { get; set; }

    string Chain { get; set; }

    int Stars { get; set; }

    int? Rooms { get; set; }

    double Rating { get; set; }

    float Price { get; set; }

    bool Parking { get; set; }

    string[] Tags { get; set; }

    List<int> Floors { get; set; }

    DateTimeOffset Opened { get; set; }

    DateTime Updated { get; set; }

    Guid Code { get; set; }

    string Description { get; set; }

    ReadOnlyMemory<float> Embedding { get; set; }
}

/// <summary>A record described by attributes.</summary>
public sealed class Hotel<TKey> : IHotel<TKey>
{
    public const int Dimensions = 16;

    [VectorStoreKey]
    public TKey Key { get; set; } = default!;

    [VectorStoreData(IsIndexed = true)]
    public string Name { get; set; } = "";

    [VectorStoreData(IsIndexed = true, StorageName = "city name")]
    public string? City { get; set; }

    [VectorStoreData(IsIndexed = true, StorageName = "chain")]
    public string Chain { get; set; } = "";

    [VectorStoreData(IsIndexed = true)]
    public int Stars { get; set; }

    [VectorStoreData]
    public int? Rooms { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public double Rating { get; set; }

    [VectorStoreData]
    public float Price { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public bool Parking { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public string[] Tags { get; set; } = [];

    [VectorStoreData]
    public List<int> Floors { get; set; } = [];

    [VectorStoreData(IsIndexed = true)]
    public DateTimeOffset Opened { get; set; }

    [VectorStoreData]
    public DateTime Updated { get; set; }

    [VectorStoreData]
    public Guid Code { get; set; }

    [VectorStoreData(IsFullTextIndexed = true)]
    public string Description { get; set; } = "";

    [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.CosineSimilarity, IndexKind = IndexKind.Flat)]
    public ReadOnlyMemory<float> Embedding { get; set; }
}

/// <summary>The same record without attributes, described by a <see cref="VectorStoreCollectionDefinition"/>.</summary>
public sealed class PlainHotel<TKey> : IHotel<TKey>
{
    public TKey Key { get; set; } = default!;

    public string Name { get; set; } = "";

    public string? City { get; set; }

    public string Chain { get; set; } = "";

    public int Stars { get; set; }

    public int? Rooms { get; set; }

    public double Rating { get; set; }

    public float Price { get; set; }

    public bool Parking { get; set; }

    public string[] Tags { get; set; } = [];

    public List<int> Floors { get; set; } = [];

    public DateTimeOffset Opened { get; set; }

    public DateTime Updated { get; set; }

    public Guid Code { get; set; }

    public string Description { get; set; } = "";

    public ReadOnlyMemory<float> Embedding { get; set; }

    public static VectorStoreCollectionDefinition Definition(string distanceFunction) => new()
    {
        Properties =
        [
            new VectorStoreKeyProperty(nameof(Key), typeof(TKey)) { StorageName = "hotel_key" },
            new VectorStoreDataProperty(nameof(Name), typeof(string)) { IsIndexed = true, StorageName = "hotel.name" },
            new VectorStoreDataProperty(nameof(City), typeof(string)) { IsIndexed = true },
            new VectorStoreDataProperty(nameof(Chain), typeof(string)),
            new VectorStoreDataProperty(nameof(Stars), typeof(int)) { IsIndexed = true },
            new VectorStoreDataProperty(nameof(Rooms), typeof(int?)),
            new VectorStoreDataProperty(nameof(Rating), typeof(double)),
            new VectorStoreDataProperty(nameof(Price), typeof(float)) { IsIndexed = true },
            new VectorStoreDataProperty(nameof(Parking), typeof(bool)),
            new VectorStoreDataProperty(nameof(Tags), typeof(string[])) { IsIndexed = true },
            new VectorStoreDataProperty(nameof(Floors), typeof(List<int>)),
            new VectorStoreDataProperty(nameof(Opened), typeof(DateTimeOffset)),
            new VectorStoreDataProperty(nameof(Updated), typeof(DateTime)) { IsIndexed = true },
            new VectorStoreDataProperty(nameof(Code), typeof(Guid)) { IsIndexed = true },
            new VectorStoreDataProperty(nameof(Description), typeof(string)) { IsFullTextIndexed = true, StorageName = "text" },
            new VectorStoreVectorProperty(nameof(Embedding), typeof(ReadOnlyMemory<float>), Hotel<TKey>.Dimensions)
            {
                DistanceFunction = distanceFunction,
                IndexKind = IndexKind.Flat,
            },
        ],
    };
}

/// <summary>Seeded random hotels.</summary>
public static class HotelData
{
    public static readonly string[] Cities = ["Aldmoor", "Brightwater", "Cobalt Bay", "Dunmere"];
    public static readonly string[] Chains = ["Lantern", "Meridian", "Orchid"];
    public static readonly string[] TagWords = ["pool", "spa", "gym", "sauna", "bar", "garden"];
    private static readonly string[] Words =
        ["quiet", "harbour", "view", "breakfast", "rooftop", "lively", "historic", "modern", "family", "canal", "forest", "lake"];

    public static List<TRecord> Make<TKey, TRecord>(int count, Func<int, TKey> key, int seed = 42)
        where TRecord : IHotel<TKey>, new()
    {
        var random = new Random(seed);
        var start = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var hotels = new List<TRecord>(count);
        for (int i = 0; i < count; i++)
        {
            var vector = new float[Hotel<TKey>.Dimensions];
            for (int d = 0; d < vector.Length; d++) vector[d] = (float)(random.NextDouble() * 2 - 1);
            var offset = TimeSpan.FromHours(random.Next(-10, 11));
            hotels.Add(new TRecord
            {
                Key = key(i),
                Name = $"hotel-{i:D4}",
                City = random.Next(5) == 0 ? null : Cities[random.Next(Cities.Length)],
                Chain = Chains[random.Next(Chains.Length)],
                Stars = random.Next(1, 6),
                Rooms = random.Next(4) == 0 ? null : random.Next(5, 120),
                Rating = Math.Round(random.NextDouble() * 5, 1),
                Price = (float)(random.NextDouble() * 300),
                Parking = random.Next(2) == 0,
                Tags = [.. TagWords.Where(_ => random.Next(3) == 0)],
                Floors = [.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => random.Next(0, 10))],
                Opened = new DateTimeOffset(start.AddSeconds(random.Next(0, 5 * 365 * 86400)).UtcDateTime.Ticks, TimeSpan.Zero).ToOffset(offset),
                Updated = DateTime.SpecifyKind(start.UtcDateTime.AddMinutes(random.Next(0, 3 * 365 * 1440)), DateTimeKind.Utc),
                Code = new Guid([.. Enumerable.Range(0, 16).Select(_ => (byte)random.Next(256))]),
                Description = string.Join(' ', Enumerable.Range(0, 6).Select(_ => Words[random.Next(Words.Length)])),
                Embedding = vector,
            });
        }
        return hotels;
    }
}
