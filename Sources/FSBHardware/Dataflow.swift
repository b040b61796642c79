/// How a layer's GEMM is mapped onto the systolic array (SCALE-Sim's three dataflows;
/// Samajdar et al., "SCALE-Sim: Systolic CNN Accelerator Simulator", 2018).
///
/// The layer is the GEMM `ofmap[P, Co] = ifmap[P, Ci*K] x filter[Ci*K, Co]`.
/// - `os` (output stationary): array rows hold output pixels, columns hold filters,
///   the `Ci*K` window streams through.
/// - `ws` (weight stationary): rows hold window elements, columns hold filters,
///   the `P` pixels stream through.
/// - `is` (input stationary): rows hold window elements, columns hold output pixels,
///   the `Co` filters stream through.
public enum Dataflow: String, Codable, CaseIterable, Sendable {
    case outputStationary = "os"
    case weightStationary = "ws"
    case inputStationary = "is"
}
