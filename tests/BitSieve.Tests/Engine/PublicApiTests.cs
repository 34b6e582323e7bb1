using BitSieve.Filters;
using BitSieve.Storage;
using BitSieve.Text;

namespace BitSieve.Tests.Engine;

/// <summary>
/// What the engine assembly exports: everything a user calls in the <c>BitSieve</c> namespace, none of the machinery
/// underneath. (PublicAPI.Shipped.txt lists each member; the analyzer fails the build on an unlisted one.)
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Every_public_type_is_in_the_BitSieve_namespace()
    {
        var elsewhere = typeof(Collection).Assembly.GetExportedTypes()
            .Where(t => t.Namespace != "BitSieve").Select(t => t.FullName).Order(StringComparer.Ordinal);
        Assert.Empty(elsewhere);
    }

    [Theory]
    [InlineData(typeof(Kernels))]
    [InlineData(typeof(VectorIndex))]
    [InlineData(typeof(SearchResult))]
    [InlineData(typeof(Hit))]
    [InlineData(typeof(FilterSql))]
    [InlineData(typeof(FilterSqlClause))]
    [InlineData(typeof(PayloadIndex))]
    [InlineData(typeof(PayloadSchemaType))]
    [InlineData(typeof(FtsLexer))]
    [InlineData(typeof(ScriptDetector))]
    [InlineData(typeof(PointStore))]
    [InlineData(typeof(WriteAheadLog))]
    public void Machinery_is_internal(Type type) => Assert.False(type.IsVisible, $"{type.FullName} is public");
}
