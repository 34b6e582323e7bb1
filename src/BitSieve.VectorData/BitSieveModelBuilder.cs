using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace BitSieve.VectorData;

/// <summary>Builds and validates the record model: one key (ulong, Guid or string), data properties, one vector.</summary>
internal sealed class BitSieveModelBuilder() : CollectionModelBuilder(BuildingOptions)
{
    public const string SupportedVectorTypes = "ReadOnlyMemory<float>, float[], Embedding<float>";
    public const string SupportedKeyTypes = "ulong, Guid, string";

    private static readonly CollectionModelBuildingOptions BuildingOptions = new()
    {
        // A BitSieve point holds exactly one vector.
        SupportsMultipleVectors = false,
        RequiresAtLeastOneVector = true,
    };

    public static bool IsNativeVectorType(Type type) =>
        type == typeof(ReadOnlyMemory<float>) || type == typeof(ReadOnlyMemory<float>?) || type == typeof(float[]) || type == typeof(Embedding<float>);

    public static bool IsKeyType(Type type) => type == typeof(ulong) || type == typeof(Guid) || type == typeof(string);

    protected override bool IsDataPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = PayloadValues.SupportedDataTypes;
        return PayloadValues.IsSupported(type);
    }

    protected override bool IsVectorPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = SupportedVectorTypes;
        return IsNativeVectorType(type);
    }

    protected override void ValidateKeyProperty(KeyPropertyModel keyProperty)
    {
        base.ValidateKeyProperty(keyProperty);
        if (!IsKeyType(keyProperty.Type))
            throw new NotSupportedException($"Key property '{keyProperty.ModelName}' has type {keyProperty.Type.Name}; BitSieve keys are {SupportedKeyTypes}.");
    }

    protected override void ValidateProperty(PropertyModel propertyModel, VectorStoreCollectionDefinition? definition)
    {
        base.ValidateProperty(propertyModel, definition);
        string name = propertyModel.StorageName;
        // Payload filter keys may be quoted but may not hold '"', '\' or control characters.
        if (name.Length == 0 || name.Any(c => c is '"' or '\\' || char.IsControl(c)))
            throw new NotSupportedException($"Property '{propertyModel.ModelName}' has storage name \"{name}\"; BitSieve payload keys cannot be empty or hold '\"', '\\' or control characters.");
        if (propertyModel is VectorPropertyModel vector)
        {
            _ = VectorSettings.MetricOf(vector);
            _ = VectorSettings.IsExactIndex(vector);
        }
    }
}
