import FSBCore
import FSBData
import FSBNN
import Foundation

/// A checkpoint loaded into the network it was trained as, without reading any dataset:
/// the input shape and class count follow from the dataset name. For exporters, which
/// need the trained weights but no images.
public struct TrainedModel {
    /// The checkpoint file as given.
    public let path: String
    /// The checkpoint's bytes' SHA-256 (hex), identifying exactly what was exported.
    public let sha256: String
    public let checkpoint: Checkpoint
    public let network: Network

    public var config: ExperimentConfig { checkpoint.header.config }

    /// Reads `path` (any failure names the file) and restores its state into a fresh network.
    public init(path: String) throws {
        let data = try Checkpoint.bytes(atPath: path)
        let checkpoint = try Checkpoint.decode(data, file: path)
        var config = checkpoint.header.config
        // Signs set from a sign checkpoint are stored in this checkpoint ("<layer>.signs"),
        // so the sign checkpoint itself is not needed (and may not be on this machine).
        config.model.fsb.signCheckpoint = nil
        let network = try ModelBuilder.build(config)
        try CheckpointState.restore(checkpoint, into: network, optimizer: nil, file: path)
        self.path = path
        self.sha256 = SHA256.hexDigest([UInt8](data))
        self.checkpoint = checkpoint
        self.network = network
    }
}
