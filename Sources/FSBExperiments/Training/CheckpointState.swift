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
    /// a tensor that is missing, extra or of another shape is reported with both shapes.
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
        let expected = network.stateTensors()
        let expectedNames = Set(expected.map(\.name))
        for (name, tensor) in expected {
            guard let stored = state[name] else {
                throw FSBError("\(file): checkpoint does not match the model: tensor \"\(name)\" (shape \(tensor.shape)) is missing")
            }
            guard stored.shape == tensor.shape else {
                throw FSBError("\(file): checkpoint does not match the model: tensor \"\(name)\" has shape \(stored.shape), the model expects \(tensor.shape)")
            }
        }
        if let extra = state.keys.sorted().first(where: { !expectedNames.contains($0) }) {
            throw FSBError("\(file): checkpoint does not match the model: it holds tensor \"\(extra)\" that the model does not have")
        }
        try network.loadState(state)
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
