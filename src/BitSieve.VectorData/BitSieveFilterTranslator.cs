using System.Collections;
using System.Globalization;
using System.Linq.Expressions;
using System.Text.RegularExpressions;
using Microsoft.Extensions.VectorData.ProviderServices;
using Microsoft.Extensions.VectorData.ProviderServices.Filter;

namespace BitSieve.VectorData;

/// <summary>
/// Translates a LINQ filter (<c>r =&gt; …</c>) into a BitSieve payload <see cref="Filter"/> (Qdrant's filter language).
/// </summary>
/// <remarks>
/// <para>Supported, where <c>p</c> is a data property and <c>v</c> a value computed without the record:</para>
/// <list type="bullet">
/// <item><c>p == v</c>, <c>p != v</c> (strings, Guids, booleans, integers: exact match; floating-point and decimal numbers
/// and datetimes: a closed range of one value; <c>p == null</c>: the value is null or missing);</item>
/// <item><c>p &lt; v</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c> on numbers and datetimes (either side may hold the property);</item>
/// <item>a boolean property alone (<c>r =&gt; r.IsPublished</c>);</item>
/// <item><c>p.Contains(v)</c> on a collection property: the array holds <c>v</c>;</item>
/// <item><c>values.Contains(p)</c> on an array, list, set or other collection of values: <c>p</c> equals one of them (<c>match.any</c>);</item>
/// <item><c>p.Contains("text")</c> on a string property: ordinal substring (<c>match.text</c>);</item>
/// <item>the key: <c>r.Key == k</c>, <c>!=</c>, <c>keys.Contains(r.Key)</c> (<c>has_id</c>);</item>
/// <item><c>&amp;&amp;</c> (<c>must</c>), <c>||</c> (<c>should</c>), <c>!</c> (<c>must_not</c>), <c>true</c>, <c>false</c>.</item>
/// </list>
/// <para>Anything else throws <see cref="NotSupportedException"/> naming the expression. Datetimes compare at
/// millisecond precision; integers beyond ±2^53 lose precision in range comparisons (which use doubles).</para>
/// </remarks>
internal sealed partial class BitSieveFilterTranslator : FilterTranslatorBase
{
    private static readonly Filter MatchNothing = new(Should: []);
    private RecordMapper _mapper = null!;

    /// <summary>Translates <paramref name="filter"/>.</summary>
    /// <exception cref="NotSupportedException">The filter holds an expression the connector cannot translate.</exception>
    public Filter Translate(LambdaExpression filter, CollectionModel model, RecordMapper mapper)
    {
        ArgumentNullException.ThrowIfNull(filter);
        _mapper = mapper;
        var body = PreprocessFilter(filter, model, new FilterPreprocessingOptions { SupportsParameterization = false });
        return Translate(body) switch
        {
            Filter root => root,
            var condition => new Filter(Must: [condition]),
        };
    }

    /// <summary>The payload path of a storage name (quoted unless it is a plain identifier).</summary>
    public static PayloadPath PathOf(string storageName) =>
        PayloadPath.Parse(PlainKey().IsMatch(storageName) ? storageName : $"\"{storageName}\"");

    private Condition Translate(Expression node)
    {
        switch (node)
        {
            case BinaryExpression { NodeType: ExpressionType.AndAlso }:
                return new Filter(Must: Flatten(node, ExpressionType.AndAlso));
            case BinaryExpression { NodeType: ExpressionType.OrElse }:
                return new Filter(Should: Flatten(node, ExpressionType.OrElse));
            case UnaryExpression { NodeType: ExpressionType.Not, Operand: var operand } when operand.Type == typeof(bool):
                return Negate(Translate(operand));
            case BinaryExpression
            {
                NodeType: ExpressionType.Equal or ExpressionType.NotEqual or ExpressionType.GreaterThan
                    or ExpressionType.GreaterThanOrEqual or ExpressionType.LessThan or ExpressionType.LessThanOrEqual,
            } comparison:
                return Comparison(comparison);
            case MethodCallExpression call:
                return Method(call);
            case ConstantExpression { Value: bool value }:
                return value ? Filter.All : MatchNothing;
        }
        if (node.Type == typeof(bool) && TryBindProperty(node, out var property) && property is DataPropertyModel)
            return Field(property, new MatchBool(true));
        throw Unsupported(node, null);
    }

    private List<Condition> Flatten(Expression node, ExpressionType op)
    {
        var conditions = new List<Condition>();
        var pending = new Stack<Expression>();
        pending.Push(node);
        while (pending.TryPop(out var current))
        {
            if (current is BinaryExpression binary && binary.NodeType == op)
            {
                pending.Push(binary.Right);
                pending.Push(binary.Left);
            }
            else
            {
                conditions.Add(Translate(current));
            }
        }
        return conditions;
    }

    private static Condition Negate(Condition condition) => condition switch
    {
        Filter { Must: null, Should: null, MustNot: [var inner], MinShould: null } => inner,
        _ => new Filter(MustNot: [condition]),
    };

    private Condition Comparison(BinaryExpression node)
    {
        var op = node.NodeType;
        PropertyModel? property;
        object? value;
        if (TryBindProperty(node.Left, out property) && TryEvaluate(node.Right, out value))
        {
        }
        else if (TryBindProperty(node.Right, out property) && TryEvaluate(node.Left, out value))
        {
            op = op switch
            {
                ExpressionType.GreaterThan => ExpressionType.LessThan,
                ExpressionType.GreaterThanOrEqual => ExpressionType.LessThanOrEqual,
                ExpressionType.LessThan => ExpressionType.GreaterThan,
                ExpressionType.LessThanOrEqual => ExpressionType.GreaterThanOrEqual,
                _ => op,
            };
        }
        else
        {
            throw Unsupported(node, "a comparison needs a record property on one side and a value computed without the record on the other");
        }

        if (op is ExpressionType.Equal or ExpressionType.NotEqual)
        {
            var equal = Equality(node, property, value);
            return op == ExpressionType.Equal ? equal : Negate(equal);
        }
        if (property is not DataPropertyModel) throw Unsupported(node, $"'{property.ModelName}' is not a data property; only == and != apply to keys");
        // C#'s lifted comparison with null is false.
        if (value is null) return MatchNothing;
        if (PayloadValues.IsIntegral(property.Type) || PayloadValues.IsFractional(property.Type))
        {
            double bound = Convert.ToDouble(value, CultureInfo.InvariantCulture);
            return Field(property, op switch
            {
                ExpressionType.GreaterThan => new NumericRange(Gt: bound),
                ExpressionType.GreaterThanOrEqual => new NumericRange(Gte: bound),
                ExpressionType.LessThan => new NumericRange(Lt: bound),
                _ => new NumericRange(Lte: bound),
            });
        }
        if (PayloadValues.IsDateTime(property.Type))
        {
            var bound = Instant(value);
            return Field(property, op switch
            {
                ExpressionType.GreaterThan => new DatetimeRange(Gt: bound),
                ExpressionType.GreaterThanOrEqual => new DatetimeRange(Gte: bound),
                ExpressionType.LessThan => new DatetimeRange(Lt: bound),
                _ => new DatetimeRange(Lte: bound),
            });
        }
        throw Unsupported(node, $"ordering comparisons apply to numbers and datetimes, and '{property.ModelName}' is a {property.Type.Name}");
    }

    /// <summary><c>property == value</c>; for a collection property (from <c>Contains</c>), some element equals it.</summary>
    private Condition Equality(Expression node, PropertyModel property, object? value)
    {
        if (property is KeyPropertyModel)
            return value is null ? MatchNothing : new HasIdCondition([_mapper.ToPointId(value)]);
        if (property is not DataPropertyModel) throw Unsupported(node, $"'{property.ModelName}' is not a data property");
        if (value is null)
        {
            // A scalar stored as null (or not stored: a record written before the property existed).
            return PayloadValues.IsScalar(property.Type) ? new IsEmptyCondition(PathOf(property.StorageName)) : new IsNullCondition(PathOf(property.StorageName));
        }
        if (!PayloadValues.IsScalar(property.Type) && node is not MethodCallExpression)
            throw Unsupported(node, $"'{property.ModelName}' is a collection; test its elements with Contains");
        return Field(property, value switch
        {
            string s => new MatchKeyword(s),
            Guid g => new MatchKeyword(g.ToString("D", CultureInfo.InvariantCulture)),
            bool b => new MatchBool(b),
            int or long or short or byte or sbyte or ushort or uint => new MatchInteger(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
            ulong u when u <= long.MaxValue => new MatchInteger((long)u),
            float or double or decimal => ExactNumber(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            DateTime or DateTimeOffset => ExactInstant(Instant(value)),
            _ => throw Unsupported(node, $"values of type {value.GetType().Name} cannot be compared"),
        });
    }

    private Condition Method(MethodCallExpression call)
    {
        if (TryMatchContains(call, out var source, out var item))
        {
            // r.Tags.Contains(v): the array holds v.
            if (TryBindProperty(source, out var collection) && TryEvaluate(item, out object? element))
            {
                if (collection is not DataPropertyModel || PayloadValues.IsScalar(collection.Type))
                    throw Unsupported(call, $"'{collection.ModelName}' is not a collection property");
                if (element is null) throw Unsupported(call, "testing a collection for a null element");
                return Equality(call, collection, element);
            }
            // list.Contains(r.Field): the field equals one of the values.
            if (TryBindProperty(item, out var property) && TryEvaluate(source, out object? list) && list is IEnumerable values)
                return AnyOf(call, property, values.Cast<object?>().ToList());
            throw Unsupported(call, "Contains needs a collection property and a value, or a list of values and a property");
        }

        // set.Contains(r.Field) on any other collection of values (a HashSet, an ImmutableArray, …).
        if (call.Method.Name == "Contains" && call.Object is not null && call.Object.Type != typeof(string) && call.Arguments.Count == 1
            && TryBindProperty(call.Arguments[0], out var member) && TryEvaluate(call.Object, out object? set) && set is IEnumerable members)
        {
            return AnyOf(call, member, members.Cast<object?>().ToList());
        }

        // r.Text.Contains("word"): ordinal substring.
        if (call.Method.DeclaringType == typeof(string) && call.Method.Name == nameof(string.Contains)
            && call.Arguments.Count == 1 && call.Arguments[0].Type == typeof(string) && call.Object is not null
            && TryBindProperty(call.Object, out var text) && text is DataPropertyModel && TryEvaluate(call.Arguments[0], out object? fragment))
        {
            return fragment is string s ? Field(text, new MatchText(s)) : throw Unsupported(call, "the substring is null");
        }

        // r.Field.Equals(v)
        if (call.Method.Name == nameof(Equals) && call.Object is not null && call.Arguments.Count == 1
            && TryBindProperty(call.Object, out var equated) && TryEvaluate(call.Arguments[0], out object? other))
        {
            return Equality(call, equated, other);
        }

        throw Unsupported(call, null);
    }

    private Condition AnyOf(Expression node, PropertyModel property, List<object?> values)
    {
        if (property is KeyPropertyModel)
            return new HasIdCondition([.. values.OfType<object>().Select(_mapper.ToPointId)]);
        if (property is not DataPropertyModel || !PayloadValues.IsScalar(property.Type))
            throw Unsupported(node, $"'{property.ModelName}' is not a scalar data property");
        var present = values.OfType<object>().ToList();
        var options = new List<Condition>();
        if (present.Count > 0 && present.All(v => v is string or Guid))
            options.Add(Field(property, new MatchAnyKeyword([.. present.Select(v => v is Guid g ? g.ToString("D", CultureInfo.InvariantCulture) : (string)v)])));
        else if (present.Count > 0 && present.All(v => v is int or long or short or byte or sbyte or ushort or uint))
            options.Add(Field(property, new MatchAnyInteger([.. present.Select(v => Convert.ToInt64(v, CultureInfo.InvariantCulture))])));
        else
            options.AddRange(present.Select(v => Equality(node, property, v)));
        if (present.Count < values.Count) options.Add(Equality(node, property, null));
        return options.Count == 1 ? options[0] : new Filter(Should: options);
    }

    // No match.value for fractions or datetimes: a closed range of one value compares the same way ranges do.
    private static NumericRange ExactNumber(double value) => new(Gte: value, Lte: value);

    private static DatetimeRange ExactInstant(PayloadDateTime value) => new(Gte: value, Lte: value);

    private static FieldCondition Field(PropertyModel property, FieldPredicate predicate) => new(PathOf(property.StorageName), predicate);

    private static PayloadDateTime Instant(object value) => PayloadDateTime.FromDateTimeOffset(value switch
    {
        DateTimeOffset offset => offset,
        // Stored without a zone, a DateTime reads as UTC in filters; a local one carries its offset.
        DateTime { Kind: DateTimeKind.Local } local => new DateTimeOffset(local),
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        _ => throw new NotSupportedException($"A {value.GetType().Name} is not a datetime."),
    });

    /// <summary>Evaluates an expression that does not involve the record.</summary>
    private bool TryEvaluate(Expression expression, out object? value)
    {
        if (expression is ConstantExpression constant)
        {
            value = constant.Value;
            return true;
        }
        if (new ParameterFinder(RecordParameter).Finds(expression))
        {
            value = null;
            return false;
        }
        value = Expression.Lambda<Func<object?>>(Expression.Convert(expression, typeof(object))).Compile(preferInterpretation: true)();
        return true;
    }

    private static NotSupportedException Unsupported(Expression node, string? reason) =>
        new($"The filter expression '{node}' is not supported by the BitSieve connector" + (reason is null ? "." : $": {reason}.") +
            " Supported: ==, !=, <, <=, >, >= on properties, Contains on collection properties and on lists of values, string Contains, &&, || and !.");

    [GeneratedRegex("^[A-Za-z0-9_-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainKey();

    private sealed class ParameterFinder(ParameterExpression parameter) : ExpressionVisitor
    {
        private bool _found;

        public bool Finds(Expression expression)
        {
            Visit(expression);
            return _found;
        }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            _found |= node == parameter;
            return node;
        }
    }
}
