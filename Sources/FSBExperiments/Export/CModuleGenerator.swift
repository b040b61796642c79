import FSBCore
import FSBHardware
import Foundation

/// Writes the C text of a `CModule`: allocates the activation arena, emits one function
/// per step of the `IntegerNetwork` (its kernel chosen by the layer's method), then
/// assembles `fsb_model.h` and `fsb_model.c`. The step kernels are in
/// `CModuleGenerator+Steps.swift` and `+Kernels.swift`, the shared C snippets in
/// `+Snippets.swift`, the two files' text in `+Files.swift`.
struct CModuleGenerator {
    let model: IntegerModel
    let network: IntegerNetwork
    let layout: CModuleLayout
    let signs: CModule.SignStorage
    let origin: String
    var header = ""
    var source = ""
    var arenaElements = 0
    var scratchBytes = 0
    var signDataBytes = 0
    var activationBytes: Int { network.widths.activationBits <= 8 ? 1 : 2 }
    /// Arena offset of every tensor (the image and the scores live elsewhere).
    var offsets: [Int?] = []
    var accScratch = 1
    var assignScratch = 0
    var usesGenerator = false
    var usesBelow = false
    var functions: [String] = []
    var calls: [String] = []
    var constants: [String] = []

    init(model: IntegerModel, layout: CModuleLayout, signs: CModule.SignStorage, origin: String) {
        self.model = model
        network = model.network
        self.layout = layout
        self.signs = signs
        self.origin = origin
    }

    var classes: Int { network.classCount }

    mutating func generate() throws {
        allocate()
        for (index, step) in network.steps.enumerated() { try emit(step, index: index) }
        scratchBytes = scratchBytesEstimate
        header = makeHeader()
        source = makeSource()
    }

    // MARK: buffers

    /// First-fit allocation of the activation tensors in one arena, freeing each tensor
    /// after its last reader (a step's output never overlaps its inputs).
    mutating func allocate() {
        offsets = [Int?](repeating: nil, count: network.tensors.count)
        var lastUse = [Int](repeating: -1, count: network.tensors.count)
        for (index, step) in network.steps.enumerated() { for t in step.inputs { lastUse[t] = index } }
        var live: [(offset: Int, size: Int, tensor: Int)] = []
        for (index, step) in network.steps.enumerated() {
            let output = step.output
            if network.tensors[output].kind == .activation {
                let size = network.tensors[output].count
                var candidate = 0
                for block in live.sorted(by: { $0.offset < $1.offset }) {
                    if candidate + size <= block.offset { break }
                    candidate = max(candidate, block.offset + block.size)
                }
                offsets[output] = candidate
                arenaElements = max(arenaElements, candidate + size)
                live.append((candidate, size, output))
            }
            // Free what this step read last, and an output nobody reads.
            live.removeAll { lastUse[$0.tensor] <= index && !($0.tensor == output && lastUse[output] > index) }
        }
        arenaElements = max(arenaElements, 1)
    }

    func pointer(_ tensor: Int) -> String {
        switch network.tensors[tensor].kind {
        case .pixels: return "pixels"
        case .scores: return "w->scores"
        case .activation: return "w->arena + \(offsets[tensor] ?? 0)"
        }
    }

    func inputType(_ tensor: Int) -> String { network.tensors[tensor].kind == .pixels ? "uint8_t" : "fsb_act_t" }

    static func identifier(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
