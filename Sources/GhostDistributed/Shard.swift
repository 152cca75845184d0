/// A deterministic split of `count` work items (batches) into `parts` contiguous ranges: part r gets
/// [r·count/parts, (r+1)·count/parts), so the split depends only on count and parts, and concatenating the parts in
/// rank order gives 0..<count.
public enum Shard {
    /// The items of part `index` of `parts`.
    public static func range(count: Int, parts: Int, index: Int) -> Range<Int> {
        precondition(parts >= 1 && (0..<parts).contains(index) && count >= 0)
        return (index * count / parts)..<((index + 1) * count / parts)
    }

    /// The part that holds item `item`.
    public static func owner(of item: Int, count: Int, parts: Int) -> Int {
        (0..<parts).first { range(count: count, parts: parts, index: $0).contains(item) } ?? 0
    }
}
