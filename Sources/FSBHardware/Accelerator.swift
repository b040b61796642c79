import FSBCore
import Foundation

/// A hardware config together with its loaded energy table: what the simulator runs on.
public struct Accelerator: Equatable, Sendable {
    public var config: HardwareConfig
    public var energy: EnergyTable

    public init(config: HardwareConfig, energy: EnergyTable) {
        self.config = config
        self.energy = energy
    }

    /// Reads a hardware config file and the energy table it names (a relative table path is
    /// tried against the config's folder, then the working directory), and checks that
    /// every buffer has an SRAM energy entry. Every error names the config (and the table,
    /// when the table is at fault).
    public static func load(configPath: String) throws -> Accelerator {
        let data = try RegularFile.data(atPath: configPath, what: "hardware config")
        let config = try HardwareConfig.decode(data, file: configPath)
        let tablePath = resolve(config.energyTable, relativeTo: configPath)
        // Errors name the hardware config too: its energyTable field chose the table.
        guard RegularFile.contents(atPath: tablePath) != nil else {
            throw ConfigError(file: configPath, path: "energyTable",
                              message: "cannot read the energy table \"\(config.energyTable)\" (\(tablePath): \(RegularFile.whyUnreadable(tablePath)); a relative path is looked for beside the config, then in the working directory)")
        }
        let energy: EnergyTable
        do {
            energy = try EnergyTable.load(path: tablePath)
        } catch let problem as UserFacingError {
            throw ConfigError(file: configPath, path: "energyTable", message: problem.description)
        }
        let accelerator = Accelerator(config: config, energy: energy)
        if let problem = accelerator.bufferProblem {
            throw ConfigError(file: configPath, path: "buffersKiB", message: problem)
        }
        return accelerator
    }

    /// Why a buffer has no SRAM energy entry, or nil.
    public var bufferProblem: String? {
        let largest = energy.sram.last?.sizeKiB ?? 0
        let buffers = [("input", config.buffersKiB.input), ("weight", config.buffersKiB.weight),
                       ("output", config.buffersKiB.output)]
        for (name, size) in buffers where energy.sramAccess(sizeKiB: size) == nil {
            return "\(name) buffer of \(size) KiB is larger than the largest SRAM in the energy table (\(largest) KiB)"
        }
        return nil
    }

    static func resolve(_ path: String, relativeTo configPath: String) -> String {
        if path.hasPrefix("/") { return path }
        let folder = URL(fileURLWithPath: configPath).deletingLastPathComponent()
        let besideConfig = folder.appendingPathComponent(path).path
        if FileManager.default.fileExists(atPath: besideConfig) { return besideConfig }
        return path
    }
}
