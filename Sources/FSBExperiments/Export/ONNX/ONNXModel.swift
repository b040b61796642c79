import Foundation

/// The part of the ONNX model format (`onnx/onnx.proto`, IR version 7) that `fsb export`
/// writes, as plain values, with their protobuf encoding (`ProtobufWriter`). Field numbers
/// are those of `onnx.proto`; only the fields listed here are ever written.
///
/// - `ModelProto`: 1 ir_version, 2 producer_name, 3 producer_version, 6 doc_string,
///   7 graph, 8 opset_import, 14 metadata_props.
/// - `GraphProto`: 1 node, 2 name, 5 initializer, 10 doc_string, 11 input, 12 output,
///   13 value_info.
/// - `NodeProto`: 1 input, 2 output, 3 name, 4 op_type, 5 attribute.
/// - `AttributeProto`: 1 name, 2 f, 3 i, 7 floats, 8 ints, 20 type (1 FLOAT, 2 INT, 6 FLOATS,
///   7 INTS).
/// - `TensorProto`: 1 dims, 2 data_type (1 FLOAT, 7 INT64), 8 name, 9 raw_data
///   (little-endian element bytes).
/// - `ValueInfoProto`: 1 name, 2 type; `TypeProto`: 1 tensor_type; `TypeProto.Tensor`:
///   1 elem_type, 2 shape; `TensorShapeProto`: 1 dim; `Dimension`: 1 dim_value, 2 dim_param.
/// - `OperatorSetIdProto`: 1 domain, 2 version; `StringStringEntryProto`: 1 key, 2 value.
public struct ONNXModel: Equatable {
    /// ONNX IR version 7 (ONNX 1.8), the one that goes with opset 13.
    public static let irVersion: Int64 = 7
    /// The default-domain operator set every node binds to.
    public static let opsetVersion: Int64 = 13

    /// An element type of `TensorProto.DataType`.
    public enum ElementType: Int64, Equatable {
        case float = 1
        case int64 = 7
    }

    /// A constant tensor (an initializer), data stored as `raw_data`.
    public struct Tensor: Equatable {
        public var name: String
        public var dims: [Int]
        public var elementType: ElementType
        /// Little-endian element bytes.
        public var rawData: [UInt8]

        public init(name: String, dims: [Int], floats: [Float]) {
            precondition(dims.reduce(1, *) == floats.count, "tensor \(name): \(floats.count) values for dims \(dims)")
            self.name = name
            self.dims = dims
            elementType = .float
            var raw: [UInt8] = []
            raw.reserveCapacity(floats.count * 4)
            for value in floats { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
            rawData = raw
        }

        public init(name: String, dims: [Int], int64s: [Int64]) {
            precondition(dims.reduce(1, *) == int64s.count, "tensor \(name): \(int64s.count) values for dims \(dims)")
            self.name = name
            self.dims = dims
            elementType = .int64
            var raw: [UInt8] = []
            raw.reserveCapacity(int64s.count * 8)
            for value in int64s { withUnsafeBytes(of: value.littleEndian) { raw.append(contentsOf: $0) } }
            rawData = raw
        }
    }

    /// A node attribute.
    public enum AttributeValue: Equatable {
        case float(Float)
        case int(Int64)
        case floats([Float])
        case ints([Int64])
    }

    /// One operator application.
    public struct Node: Equatable {
        public var name: String
        public var opType: String
        public var inputs: [String]
        public var outputs: [String]
        /// Attributes in the order they are written.
        public var attributes: [(name: String, value: AttributeValue)]

        public init(name: String, opType: String, inputs: [String], outputs: [String],
                    attributes: [(name: String, value: AttributeValue)] = []) {
            self.name = name
            self.opType = opType
            self.inputs = inputs
            self.outputs = outputs
            self.attributes = attributes
        }

        public static func == (a: Node, b: Node) -> Bool {
            a.name == b.name && a.opType == b.opType && a.inputs == b.inputs && a.outputs == b.outputs
                && a.attributes.map(\.name) == b.attributes.map(\.name) && a.attributes.map(\.value) == b.attributes.map(\.value)
        }
    }

    /// One dimension of a value's shape: a number, or a symbolic name (the batch).
    public enum Dimension: Equatable {
        case value(Int)
        case parameter(String)
    }

    /// A typed value of the graph (input, output or intermediate), always float here.
    public struct ValueInfo: Equatable {
        public var name: String
        public var shape: [Dimension]
        public init(name: String, shape: [Dimension]) {
            self.name = name
            self.shape = shape
        }
    }

    public var producerName: String
    public var producerVersion: String
    public var docString: String
    public var graphName: String
    public var nodes: [Node]
    public var initializers: [Tensor]
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    /// Shapes of intermediate values (optional in ONNX; runtimes check them).
    public var valueInfo: [ValueInfo]
    /// `metadata_props`, in order.
    public var metadata: [(key: String, value: String)]

    public init(producerName: String, producerVersion: String, docString: String, graphName: String,
                nodes: [Node], initializers: [Tensor], inputs: [ValueInfo], outputs: [ValueInfo],
                valueInfo: [ValueInfo], metadata: [(key: String, value: String)]) {
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.docString = docString
        self.graphName = graphName
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
        self.valueInfo = valueInfo
        self.metadata = metadata
    }

    public static func == (a: ONNXModel, b: ONNXModel) -> Bool {
        a.encoded() == b.encoded()
    }

    /// The serialized `ModelProto`.
    public func encoded() -> [UInt8] {
        var model = ProtobufWriter()
        model.int64(1, Self.irVersion)
        model.string(2, producerName)
        model.string(3, producerVersion)
        model.string(6, docString)
        model.message(7) { graph in encodeGraph(into: &graph) }
        model.message(8) { opset in
            opset.string(1, "")
            opset.int64(2, Self.opsetVersion)
        }
        for (key, value) in metadata {
            model.message(14) { entry in
                entry.string(1, key)
                entry.string(2, value)
            }
        }
        return model.bytes
    }

    private func encodeGraph(into graph: inout ProtobufWriter) {
        for node in nodes { graph.message(1) { Self.encode(node, into: &$0) } }
        graph.string(2, graphName)
        for tensor in initializers { graph.message(5) { Self.encode(tensor, into: &$0) } }
        for value in inputs { graph.message(11) { Self.encode(value, into: &$0) } }
        for value in outputs { graph.message(12) { Self.encode(value, into: &$0) } }
        for value in valueInfo { graph.message(13) { Self.encode(value, into: &$0) } }
    }

    private static func encode(_ node: Node, into writer: inout ProtobufWriter) {
        for input in node.inputs { writer.string(1, input) }
        for output in node.outputs { writer.string(2, output) }
        writer.string(3, node.name)
        writer.string(4, node.opType)
        for (name, value) in node.attributes {
            writer.message(5) { attribute in
                attribute.string(1, name)
                switch value {
                case .float(let f):
                    attribute.float(2, f)
                    attribute.int64(20, 1)
                case .int(let i):
                    attribute.int64(3, i)
                    attribute.int64(20, 2)
                case .floats(let fs):
                    attribute.packedFloat(7, fs)
                    attribute.int64(20, 6)
                case .ints(let values):
                    attribute.packedInt64(8, values)
                    attribute.int64(20, 7)
                }
            }
        }
    }

    private static func encode(_ tensor: Tensor, into writer: inout ProtobufWriter) {
        writer.packedInt64(1, tensor.dims.map(Int64.init))
        writer.int64(2, tensor.elementType.rawValue)
        writer.string(8, tensor.name)
        writer.bytes(9, tensor.rawData)
    }

    private static func encode(_ value: ValueInfo, into writer: inout ProtobufWriter) {
        writer.string(1, value.name)
        writer.message(2) { type in
            type.message(1) { tensorType in
                tensorType.int64(1, ElementType.float.rawValue)
                tensorType.message(2) { shape in
                    for dimension in value.shape {
                        shape.message(1) { dim in
                            switch dimension {
                            case .value(let size): dim.int64(1, Int64(size))
                            case .parameter(let name): dim.string(2, name)
                            }
                        }
                    }
                }
            }
        }
    }
}
