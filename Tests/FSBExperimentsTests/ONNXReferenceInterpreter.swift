import Foundation

/// A naive interpreter for the ONNX operators `fsb export` writes (opset-13 semantics of
/// Sub, Div, Conv, Gemm, BatchNormalization, Relu, MaxPool, AveragePool, GlobalAveragePool,
/// Flatten, Add, Slice, Pad), written from the operator specification and independent of
/// the engine's kernels, so a test can run an exported model without Python.
/// Values are row-major float arrays with their shapes; int64 initialisers are read for
/// Slice and Pad only.
struct ONNXReferenceInterpreter {
    struct Value {
        var shape: [Int]
        var data: [Float]
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    let model: DecodedONNX

    /// Runs the graph on `images` and returns `logits`.
    func run(images: Value) throws -> Value {
        var values: [String: Value] = ["images": images]
        for (name, tensor) in model.initializers where tensor.dataType == 1 {
            values[name] = Value(shape: tensor.dims.map(Int.init), data: tensor.floats)
        }
        func input(_ node: DecodedONNX.Node, _ index: Int) throws -> Value {
            guard index < node.inputs.count, let value = values[node.inputs[index]] else {
                throw Failure(description: "node \(node.name): input \(index) missing")
            }
            return value
        }
        func ints(_ name: String) throws -> [Int] {
            guard let tensor = model.initializers[name], tensor.dataType == 7 else { throw Failure(description: "no int64 initialiser \(name)") }
            return tensor.int64s.map { $0 == Int64.max ? Int.max : Int($0) }
        }
        for node in model.nodes {
            let output: Value
            switch node.opType {
            case "Sub": output = try Self.broadcast(try input(node, 0), try input(node, 1), -)
            case "Div": output = try Self.broadcast(try input(node, 0), try input(node, 1), /)
            case "Add": output = try Self.broadcast(try input(node, 0), try input(node, 1), +)
            case "Relu":
                let x = try input(node, 0)
                output = Value(shape: x.shape, data: x.data.map { max($0, 0) })
            case "Conv":
                output = try Self.conv(try input(node, 0), weight: try input(node, 1),
                                       bias: node.inputs.count > 2 ? try input(node, 2) : nil,
                                       strides: (node.ints["strides"] ?? [1, 1]).map(Int.init),
                                       pads: (node.ints["pads"] ?? [0, 0, 0, 0]).map(Int.init))
            case "Gemm":
                guard node.int["transB"] == 1 else { throw Failure(description: "Gemm without transB") }
                let x = try input(node, 0), w = try input(node, 1)
                let bias = node.inputs.count > 2 ? try input(node, 2).data : [Float](repeating: 0, count: w.shape[0])
                let (n, k, m) = (x.shape[0], x.shape[1], w.shape[0])
                guard w.shape[1] == k else { throw Failure(description: "Gemm \(node.name): \(x.shape) x \(w.shape)ᵀ") }
                var y = [Float](repeating: 0, count: n * m)
                for b in 0..<n {
                    for o in 0..<m {
                        var sum: Double = 0
                        for j in 0..<k { sum += Double(x.data[b * k + j]) * Double(w.data[o * k + j]) }
                        y[b * m + o] = Float(sum) + bias[o]
                    }
                }
                output = Value(shape: [n, m], data: y)
            case "BatchNormalization":
                let x = try input(node, 0)
                let (gamma, beta, mean, variance) = (try input(node, 1).data, try input(node, 2).data,
                                                     try input(node, 3).data, try input(node, 4).data)
                let epsilon = node.floats["epsilon"] ?? 1e-5
                let channels = x.shape[1], plane = x.shape.dropFirst(2).reduce(1, *)
                var y = x.data
                for i in y.indices {
                    let c = (i / plane) % channels
                    y[i] = (x.data[i] - mean[c]) / (variance[c] + epsilon).squareRoot() * gamma[c] + beta[c]
                }
                output = Value(shape: x.shape, data: y)
            case "MaxPool", "AveragePool":
                output = Self.pool(try input(node, 0), kernel: Int(node.ints["kernel_shape"]?[0] ?? 1),
                                   stride: Int(node.ints["strides"]?[0] ?? 1), max: node.opType == "MaxPool")
            case "GlobalAveragePool":
                let x = try input(node, 0)
                let planes = x.shape[0] * x.shape[1], plane = x.shape[2] * x.shape[3]
                output = Value(shape: [x.shape[0], x.shape[1], 1, 1], data: (0..<planes).map { p in
                    x.data[(p * plane)..<((p + 1) * plane)].reduce(0, +) / Float(plane)
                })
            case "Flatten":
                let x = try input(node, 0)
                output = Value(shape: [x.shape[0], x.data.count / x.shape[0]], data: x.data)
            case "Slice":
                let x = try input(node, 0)
                let (starts, ends, axes, steps) = (try ints(node.inputs[1]), try ints(node.inputs[2]),
                                                   try ints(node.inputs[3]), try ints(node.inputs[4]))
                guard axes == [2, 3], starts == [0, 0], ends.allSatisfy({ $0 >= x.shape[2] }) else {
                    throw Failure(description: "Slice \(node.name): only [::s, ::s] over H and W is interpreted")
                }
                let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
                let outH = (h + steps[0] - 1) / steps[0], outW = (w + steps[1] - 1) / steps[1]
                var y: [Float] = []
                for p in 0..<(n * c) {
                    for r in 0..<outH { for q in 0..<outW { y.append(x.data[p * h * w + r * steps[0] * w + q * steps[1]]) } }
                }
                output = Value(shape: [n, c, outH, outW], data: y)
            case "Pad":
                let x = try input(node, 0)
                let pads = try ints(node.inputs[1])
                guard pads.count == 8, pads[0] == 0, pads[4] == 0, pads[2] == 0, pads[3] == 0, pads[6] == 0, pads[7] == 0 else {
                    throw Failure(description: "Pad \(node.name): only channel padding is interpreted, got \(pads)")
                }
                let (n, c, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
                let channels = c + pads[1] + pads[5]
                var y = [Float](repeating: 0, count: n * channels * plane)
                for b in 0..<n {
                    for ch in 0..<c {
                        for i in 0..<plane { y[(b * channels + ch + pads[1]) * plane + i] = x.data[(b * c + ch) * plane + i] }
                    }
                }
                output = Value(shape: [n, channels, x.shape[2], x.shape[3]], data: y)
            default:
                throw Failure(description: "operator \(node.opType) is not interpreted")
            }
            values[node.outputs[0]] = output
        }
        guard let logits = values["logits"] else { throw Failure(description: "no logits") }
        return logits
    }

    /// Element-wise `op` with numpy broadcasting of `b` (same rank, size-1 dimensions).
    static func broadcast(_ a: Value, _ b: Value, _ op: (Float, Float) -> Float) throws -> Value {
        guard a.shape.count == b.shape.count, zip(a.shape, b.shape).allSatisfy({ $0 == $1 || $1 == 1 }) else {
            throw Failure(description: "cannot broadcast \(b.shape) to \(a.shape)")
        }
        var strides = [Int](repeating: 0, count: b.shape.count)
        var running = 1
        for d in (0..<b.shape.count).reversed() {
            strides[d] = b.shape[d] == 1 ? 0 : running
            running *= b.shape[d]
        }
        var result = a.data
        for i in result.indices {
            var rest = i, offset = 0
            for d in (0..<a.shape.count).reversed() {
                offset += (rest % a.shape[d]) * strides[d]
                rest /= a.shape[d]
            }
            result[i] = op(a.data[i], b.data[offset])
        }
        return Value(shape: a.shape, data: result)
    }

    static func conv(_ x: Value, weight: Value, bias: Value?, strides: [Int], pads: [Int]) throws -> Value {
        let (n, ci, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (co, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        guard weight.shape[1] == ci else { throw Failure(description: "Conv: input \(x.shape), weight \(weight.shape)") }
        let outH = (h + pads[0] + pads[2] - kh) / strides[0] + 1, outW = (w + pads[1] + pads[3] - kw) / strides[1] + 1
        var y = [Float](repeating: 0, count: n * co * outH * outW)
        for b in 0..<n {
            for o in 0..<co {
                for r in 0..<outH {
                    for c in 0..<outW {
                        var sum: Double = Double(bias?.data[o] ?? 0)
                        for i in 0..<ci {
                            for u in 0..<kh {
                                let row = r * strides[0] - pads[0] + u
                                if row < 0 || row >= h { continue }
                                for v in 0..<kw {
                                    let col = c * strides[1] - pads[1] + v
                                    if col < 0 || col >= w { continue }
                                    sum += Double(x.data[((b * ci + i) * h + row) * w + col])
                                        * Double(weight.data[((o * ci + i) * kh + u) * kw + v])
                                }
                            }
                        }
                        y[((b * co + o) * outH + r) * outW + c] = Float(sum)
                    }
                }
            }
        }
        return Value(shape: [n, co, outH, outW], data: y)
    }

    static func pool(_ x: Value, kernel: Int, stride: Int, max isMax: Bool) -> Value {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let outH = (h - kernel) / stride + 1, outW = (w - kernel) / stride + 1
        var y: [Float] = []
        for p in 0..<(n * c) {
            for r in 0..<outH {
                for q in 0..<outW {
                    var window: [Float] = []
                    for u in 0..<kernel { for v in 0..<kernel { window.append(x.data[p * h * w + (r * stride + u) * w + q * stride + v]) } }
                    y.append(isMax ? window.max()! : window.reduce(0, +) / Float(window.count))
                }
            }
        }
        return Value(shape: [n, c, outH, outW], data: y)
    }
}
