import FSBData
import Foundation

extension ExperimentConfig {
    /// SHA-256 (hex) of `resolvedJSON()`: the identity of a run's configuration, stored in
    /// its checkpoints and compared with the run folder's `config.json` on resume.
    public func resolvedSHA256() throws -> String {
        SHA256.hexDigest(Array(try resolvedJSON().utf8))
    }
}
