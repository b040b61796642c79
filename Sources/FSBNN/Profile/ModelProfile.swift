import FSBCore

/// A larq-style model summary: per leaf layer its output shape, parameters (trainable and
/// fixed), stored bits per weight, memory, model-update size and arithmetic, then totals.
///
/// Conventions (per image; each weight method's file under `WeightMethods/` gives its formulas):
/// - `params = trainable_params + fixed_params`; FSB signs are fixed params, BatchNorm's
///   running statistics are not counted as params.
/// - Memory: weights at their method's stored precision, biases 32 bits each, BatchNorm
///   stored folded as one scale and one shift per channel (2 x 32 bits).
/// - FP32 equivalent: every weight, bias and folded BN value at 32 bits.
/// - Update: what a device must receive to update the model: fp everything; binaryconnect /
///   bwn the signs (+ bwn scales); fsb only the factors; BN and biases always (32 bits).
/// - `macs` = dense `Co*Ci*K*P`; `mults` and `addsubs` per method (docs/fsb-method.md).
///   BatchNorm, pooling and activations are not counted.
public struct ModelProfile: Sendable {
    /// One leaf layer.
    public struct Row: Sendable, Equatable {
        public let name: String
        public let kind: String
        public let method: String
        public let outputShape: [Int]
        public let params: Int
        public let trainableParams: Int
        public let fixedParams: Int
        /// Stored bits per weight of a Conv2D/Linear weight; nil for other layers.
        public let bitsPerWeight: Double?
        public let memoryBits: Int
        public let updateBits: Int
        public let fp32Bits: Int
        public let macs: Int
        public let mults: Int
        public let addsubs: Int

        public var memoryKiB: Double { Double(memoryBits) / 8192 }
    }

    public let rows: [Row]

    public var totalParams: Int { rows.reduce(0) { $0 + $1.params } }
    public var trainableParams: Int { rows.reduce(0) { $0 + $1.trainableParams } }
    public var fixedParams: Int { rows.reduce(0) { $0 + $1.fixedParams } }
    public var modelSizeBits: Int { rows.reduce(0) { $0 + $1.memoryBits } }
    public var modelSizeKiB: Double { Double(modelSizeBits) / 8192 }
    public var fp32SizeBits: Int { rows.reduce(0) { $0 + $1.fp32Bits } }
    public var fp32SizeKiB: Double { Double(fp32SizeBits) / 8192 }
    /// FP32 size / model size.
    public var compressionRatio: Double { modelSizeBits == 0 ? 1 : Double(fp32SizeBits) / Double(modelSizeBits) }
    public var updateSizeBits: Int { rows.reduce(0) { $0 + $1.updateBits } }
    public var updateSizeKiB: Double { Double(updateSizeBits) / 8192 }
    public var macs: Int { rows.reduce(0) { $0 + $1.macs } }
    public var mults: Int { rows.reduce(0) { $0 + $1.mults } }
    public var addsubs: Int { rows.reduce(0) { $0 + $1.addsubs } }

    public init(rows: [Row]) { self.rows = rows }

    init(network: Network) {
        rows = network.shapeRecords.map(ModelProfile.row)
    }

    private static func row(_ record: LayerShapeRecord) -> Row {
        let layer = record.layer
        let kind = String(describing: type(of: layer))
        if let compute = layer as? any ComputeLayer {
            let shape = compute.layerShape(inputShape: record.inputShape)
            let weight = compute.weight, biasCount = compute.bias?.count ?? 0
            let operations = weight.operationCounts(outputPixels: shape.outputPixels)
            return Row(
                name: layer.name, kind: kind, method: weight.method.name, outputShape: record.outputShape,
                params: weight.trainableCount + weight.fixedCount + biasCount,
                trainableParams: weight.trainableCount + biasCount, fixedParams: weight.fixedCount,
                bitsPerWeight: weight.bitsPerWeight, memoryBits: weight.storedBits + 32 * biasCount,
                updateBits: weight.updateBits + 32 * biasCount, fp32Bits: 32 * (weight.weightCount + biasCount),
                macs: shape.macs, mults: operations.mults, addsubs: operations.addsubs)
        }
        let trainable = layer.parameters.reduce(0) { $0 + $1.count }
        return Row(name: layer.name, kind: kind, method: "-", outputShape: record.outputShape,
                   params: trainable, trainableParams: trainable, fixedParams: 0, bitsPerWeight: nil,
                   memoryBits: 32 * trainable, updateBits: 32 * trainable, fp32Bits: 32 * trainable,
                   macs: 0, mults: 0, addsubs: 0)
    }

    private static func shapeText(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "x") }
    private static func fixed(_ value: Double, _ digits: Int = 2) -> String {
        let scale = pow10(digits)
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        } else {
            text += "." + String(repeating: "0", count: digits)
        }
        return text
    }
    private static func pow10(_ digits: Int) -> Double { (0..<digits).reduce(1.0) { acc, _ in acc * 10 } }

    /// An aligned text table followed by the totals.
    public func render() -> String {
        let header = ["layer", "kind", "method", "output", "params", "trainable", "fixed", "bits/weight",
                      "memory KiB", "MACs", "mults", "add/subs"]
        let cells = rows.map { row in
            [row.name, row.kind, row.method, ModelProfile.shapeText(row.outputShape), String(row.params),
             String(row.trainableParams), String(row.fixedParams),
             row.bitsPerWeight.map { ModelProfile.fixed($0, 3) } ?? "-", ModelProfile.fixed(row.memoryKiB),
             String(row.macs), String(row.mults), String(row.addsubs)]
        }
        var text = TextTable.render(header: header, rows: cells)
        text += "Total params: \(totalParams) (trainable \(trainableParams), fixed \(fixedParams))\n"
        text += "Model size: \(modelSizeBits) bits = \(ModelProfile.fixed(modelSizeKiB)) KiB\n"
        text += "FP32-equivalent size: \(ModelProfile.fixed(fp32SizeKiB)) KiB; compression ratio \(ModelProfile.fixed(compressionRatio))x\n"
        text += "Model-update size: \(updateSizeBits) bits = \(ModelProfile.fixed(updateSizeKiB)) KiB\n"
        text += "Per image: MACs \(macs), mults \(mults), add/subs \(addsubs)\n"
        return text
    }

    /// One CSV line per layer, then a `total` line (snake_case columns with units).
    public func csv() -> String {
        typealias Column = CSVTable<Row>.Column
        let table = CSVTable<Row>(columns: [
            Column("layer") { $0.name },
            Column("kind") { $0.kind },
            Column("method") { $0.method },
            Column("output_shape") { ModelProfile.shapeText($0.outputShape) },
            Column("params") { String($0.params) },
            Column("trainable_params") { String($0.trainableParams) },
            Column("fixed_params") { String($0.fixedParams) },
            Column("bits_per_weight") { $0.bitsPerWeight.map { String($0) } ?? "" },
            Column("memory_bits") { String($0.memoryBits) },
            Column("memory_kib") { String($0.memoryKiB) },
            Column("update_bits") { String($0.updateBits) },
            Column("fp32_bits") { String($0.fp32Bits) },
            Column("macs") { String($0.macs) },
            Column("mults") { String($0.mults) },
            Column("addsubs") { String($0.addsubs) },
        ])
        let total = Row(name: "total", kind: "", method: "", outputShape: [], params: totalParams,
                        trainableParams: trainableParams, fixedParams: fixedParams, bitsPerWeight: nil,
                        memoryBits: modelSizeBits, updateBits: updateSizeBits, fp32Bits: fp32SizeBits,
                        macs: macs, mults: mults, addsubs: addsubs)
        return table.render(rows + [total])
    }
}
