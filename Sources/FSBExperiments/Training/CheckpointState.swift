import FSBCore
import FSBNN
import Foundation

/// Moves training state between a live network/optimizer and a `Checkpoint`.
public enum CheckpointState {
    /// Captures everything needed to resume: parameters, buffers, optimizer state,
    /// generator states, progress, and stored signs where they cannot be regenerated.
    public static func capture(config: ExperimentConfig, network: Network, optimizer: Optimizer?,
                               progress: TrainingProgress) -> Checkpoint {
        var tensors: [String: Tensor] = [:]
        var kinds: [String: CheckpointHeader.TensorKind] = [:]
        let parameterNames = Set(network.parameters.map(\.name))
        for (name, tensor) in network.stateTensors() {
            tensors[name] = tensor
            // Signs that cannot be regenerated from the seed (signInit: checkpoint) are buffers
            // named "<layer>.signs"; they are stored bit-packed.
            kinds[name] = parameterNames.contains(name) ? .parameter : (name.hasSuffix(".signs") ? .signs : .buffer)
        }
        if let optimizer {
            for (name, tensor) in optimizer.stateTensors() {
                tensors["optimizer/" + name] = tensor
                kinds["optimizer/" + name] = .optimizer
            }
        }
        let header = CheckpointHeader(config: config, progress: progress, randomState: network.randomState, tensorKinds: kinds)
        return Checkpoint(header: header, tensors: tensors)
    }

    /// Loads a checkpoint into a network built from its config (and optionally an optimizer);
    /// a tensor that is missing, extra or of another shape is reported with both shapes (by
    /// `Network.loadState`, the one check of a state against a model), prefixed with `file`.
    public static func restore(_ checkpoint: Checkpoint, into network: Network, optimizer: Optimizer?, file: String) throws {
        guard checkpoint.header.signGenerator.name == SeededGenerator.algorithmName,
              checkpoint.header.signGenerator.version == SeededGenerator.algorithmVersion else {
            let info = checkpoint.header.signGenerator
            throw FSBError("\(file): signs were drawn with \(info.name) v\(info.version), this fsb has \(SeededGenerator.algorithmName) v\(SeededGenerator.algorithmVersion); they cannot be regenerated")
        }
        var state: [String: Tensor] = [:]
        var optimizerState: [String: Tensor] = [:]
        for (name, tensor) in checkpoint.tensors {
            switch checkpoint.header.tensorEntries.first(where: { $0.name == name })?.kind ?? .parameter {
            case .parameter, .buffer, .signs: state[name] = tensor
            case .optimizer: optimizerState[String(name.dropFirst("optimizer/".count))] = tensor
            }
        }
        do {
            try network.loadState(state)
        } catch let error as FSBError {
            throw FSBError("\(file): \(error.message)")
        }
        network.randomState = checkpoint.header.randomState
        if let optimizer {
            do {
                try optimizer.loadState(optimizerState, parameters: network.parameters)
            } catch let error as FSBError {
                throw FSBError("\(file): \(error.message)")
            }
        }
    }
}
