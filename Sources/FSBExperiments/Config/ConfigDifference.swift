import Foundation

/// The fields in which two resolved configs differ, as `path: <left> has X, <right> Y`:
/// how a refused resume and a compare cell of another config say what differs.
enum ConfigDifference {
    /// One entry per differing leaf of the encoded configs, in path order.
    static func fields(_ left: ExperimentConfig, _ right: ExperimentConfig, leftName: String, rightName: String) throws -> [String] {
        let a = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(left))
        let b = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(right))
        var out: [String] = []
        collect(a, b, path: "", leftName: leftName, rightName: rightName, into: &out)
        return out
    }

    /// The first five entries of `differences` joined by "; ", with a count of the rest.
    static func summary(_ differences: [String]) -> String {
        differences.prefix(5).joined(separator: "; ") + (differences.count > 5 ? "; and \(differences.count - 5) more" : "")
    }

    private static func collect(_ a: JSONValue, _ b: JSONValue, path: String, leftName: String, rightName: String,
                                into out: inout [String]) {
        if case .object(let x) = a, case .object(let y) = b {
            for key in Set(x.keys).union(y.keys).sorted() {
                collect(x[key] ?? .null, y[key] ?? .null, path: path.isEmpty ? key : path + "." + key,
                        leftName: leftName, rightName: rightName, into: &out)
            }
        } else if a != b {
            out.append("\(path): \(leftName) has \(a.compactText), \(rightName) \(b.compactText)")
        }
    }
}
