import FSBExperiments
import FSBHardware

/// The JSON and CSV readers, through the calls `fsb` makes on a file given on the command
/// line.
enum ConfigTargets {
    /// `fsb train --config`: reads and validates an experiment config.
    static func experiment(_ path: String) {
        expectClean(naming: path) {
            _ = try ExperimentConfig.load(path: path)
        }
    }

    /// `fsb compare`: reads a spec and expands and validates every cell of its grid.
    static func compare(_ path: String) {
        expectClean(naming: path) {
            let spec = try CompareSpec.load(path: path)
            _ = try spec.cells(specFile: path)
        }
    }

    /// `fsb simulate-hw --hardware`: reads a hardware config and its energy table.
    static func hardware(_ path: String) {
        expectClean(naming: path) {
            _ = try Accelerator.load(configPath: path)
        }
    }

    /// `fsb simulate-hw --topology`: reads a SCALE-Sim topology CSV.
    static func topology(_ path: String) {
        expectClean(naming: path) {
            _ = try TopologyCSV.read(path: path)
        }
    }
}
