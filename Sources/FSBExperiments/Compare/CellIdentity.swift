import FSBCore
import Foundation

/// Whether a cell folder of a compare output holds a run of the spec's cell: cells are found
/// by folder name, so the folder of another grid, or of this grid run with other `--set`
/// values, would otherwise be taken as this cell's, skipped as done, resumed under its own
/// config or tabled. The folder's config is its `config.json` (what `fsb train` started
/// with), else the config in its `cell.json`; a folder holding neither has nothing to check.
/// Some fields may differ, as they say what the run is called, where its files are or how
/// fast it goes, not what it computes: `name`, `training.threads` (results are identical for
/// any thread count), `output.directory`, and the file-naming fields of `ConfigPaths`
/// (absolute once resolved, so they change when a repository or a grid's folder moves;
/// the checkpoint a run takes its signs from is copied into its own checkpoints).
enum CellIdentity {
    /// Throws when `folder` holds a run of another config than `cell`'s; `context` begins
    /// the message (the folder, and `--collect:` when collecting), `remedy` ends it.
    static func verify(_ cell: CompareCell, folder: URL, grid: String, context: String,
                       remedy: String = "choose another --output (or move that folder away to train the cell anew)") throws {
        guard let recorded = try recordedConfig(in: folder) else { return }
        let differences = try ConfigDifference.fields(comparable(cell.config), comparable(recorded.config),
                                                      leftName: "the grid's cell", rightName: "the folder's \(recorded.file)")
        guard !differences.isEmpty else { return }
        throw FSBError("\(context): holds a run of another config than cell \(cell.folderName) of compare grid \"\(grid)\": \(ConfigDifference.summary(differences)); \(remedy)")
    }

    /// The folder's config and the name of the file it came from, or nil when it has none.
    private static func recordedConfig(in folder: URL) throws -> (config: ExperimentConfig, file: String)? {
        let configFile = folder.appendingPathComponent("config.json")
        if FileManager.default.fileExists(atPath: configFile.path) {
            return (try ExperimentConfig.load(path: configFile.path), "config.json")
        }
        let cellFile = folder.appendingPathComponent("cell.json")
        guard let data = RegularFile.contents(atPath: cellFile.path) else { return nil }
        guard let record = try? JSONDecoder().decode(CellRecord.self, from: data) else {
            throw FSBError("\(cellFile.path): not a readable compare cell record (expected its axes, settings and config)")
        }
        return (record.config, "cell.json")
    }

    /// `config` without the fields a cell's run may set differently.
    private static func comparable(_ config: ExperimentConfig) -> ExperimentConfig {
        var copy = config
        copy.name = "cell"
        copy.training.threads = nil
        copy.output.directory = nil
        for field in ConfigPaths.fields { copy[keyPath: field.keyPath] = nil }
        return copy
    }
}
