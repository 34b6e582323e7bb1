namespace BitSieve.Search.Graph;

/// <summary>
/// What one graph search did. <see cref="Hops"/> counts nodes expanded (their adjacency read), <see cref="Visited"/>
/// the distinct nodes reached, <see cref="Estimates"/> the T1 estimates computed: one per reached node, under a filter
/// too (a disallowed neighbour is estimated to decide whether to cross it).
/// T2 counts the steering refinements and the final settling together; T3 counts float32 originals read.
/// </summary>
internal readonly record struct GraphTrace(int Hops, int Visited, int Estimates, long T1, long T2, long T3);

/// <summary>The answer to one graph search: hits with exact scores and the ladder trace, plus the graph's counts.</summary>
internal sealed record GraphSearchResult(SearchResult Result, GraphTrace Graph);
