import ArgumentParser

/// A flag value of comma-separated items ("0.485,0.456,0.406", "1,2"). An item that does not parse makes the
/// whole value invalid, and argument-parser's one-line error names the flag.
struct CommaSeparated<Item: LosslessStringConvertible>: ExpressibleByArgument {
    let items: [Item]

    init(_ items: [Item]) { self.items = items }

    init?(argument: String) {
        var items: [Item] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let item = Item(part.trimmingCharacters(in: .whitespaces)) else { return nil }
            items.append(item)
        }
        self.items = items
    }

    var defaultValueDescription: String { items.map(\.description).joined(separator: ",") }
}
