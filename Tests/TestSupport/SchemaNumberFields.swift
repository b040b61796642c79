import Foundation

/// The numeric fields of a JSON Schema file with their bounds (`minimum`, `maximum`,
/// `exclusiveMinimum`, `exclusiveMaximum`), so that a test can check the schema's ranges
/// against the decoder's: the value at an included bound is accepted, the first value past
/// each bound refused.
public struct SchemaNumberField: CustomStringConvertible {
    /// Property names from the root; `[]` stands for the items of an array.
    public var path: [String]
    public var isInteger: Bool
    public var lower: Double?
    public var lowerIncluded: Bool
    public var upper: Double?
    public var upperIncluded: Bool

    /// The dotted path as decoders name it in errors (`model.hidden` for its items).
    public var dotted: String { path.filter { $0 != "[]" }.joined(separator: ".") }
    public var description: String { path.joined(separator: ".") }

    /// Values inside the range next to each bound (the bound itself when included).
    public var insideValues: [Double] {
        var values: [Double] = []
        if let lower { values.append(lowerIncluded ? lower : lower + step(lower)) }
        if let upper { values.append(upperIncluded ? upper : upper - step(upper)) }
        return values
    }

    /// The first values past each bound (the bound itself when excluded).
    public var outsideValues: [Double] {
        var values: [Double] = []
        if let lower { values.append(lowerIncluded ? lower - step(lower) : lower) }
        if let upper { values.append(upperIncluded ? upper + step(upper) : upper) }
        return values
    }

    private func step(_ bound: Double) -> Double { isInteger ? 1 : max(abs(bound) * 1e-9, 1e-9) }

    /// Every numeric field of the schema at `url`, in document order.
    public static func all(inSchemaAt url: URL) throws -> [SchemaNumberField] {
        let data = try Data(contentsOf: url)
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        var fields: [SchemaNumberField] = []
        func visit(_ node: [String: Any], _ path: [String]) {
            let types = (node["type"] as? [String]) ?? [(node["type"] as? String) ?? ""]
            if types.contains("integer") || types.contains("number") {
                let number = { (key: String) in (node[key] as? NSNumber)?.doubleValue }
                fields.append(SchemaNumberField(
                    path: path, isInteger: types.contains("integer"),
                    lower: number("minimum") ?? number("exclusiveMinimum"), lowerIncluded: node["minimum"] != nil,
                    upper: number("maximum") ?? number("exclusiveMaximum"), upperIncluded: node["maximum"] != nil))
            }
            for (key, child) in ((node["properties"] as? [String: Any]) ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let child = child as? [String: Any] { visit(child, path + [key]) }
            }
            if let items = node["items"] as? [String: Any] { visit(items, path + ["[]"]) }
        }
        visit(root, [])
        return fields
    }
}
