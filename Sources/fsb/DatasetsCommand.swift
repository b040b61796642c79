import ArgumentParser
import FSBCore
import FSBData

/// `fsb datasets`: lists the datasets found under the data root with counts, image shape
/// and per-class histograms, and optionally verifies the files' SHA-256.
struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "List the datasets fsb can find, with image counts and class histograms.",
        usage: """
        fsb datasets [--data-root DIR] [--checksums]
          [--cifar100-labels fine|coarse] [<dataset> ...]
        """,
        discussion: """
        Each dataset is looked up in <data root>/<name>/ (names: \(DatasetName.allCases.map(\.rawValue).joined(separator: ", "))), \
        holding the original files (plain or .gz), the official extracted folder, or the official tarball. \
        The data root is --data-root, else $\(DataLocation.environmentVariable), else ./\(DataLocation.defaultRoot). \
        The exit status is non-zero when no dataset is found or a requested one has problems.

        Examples:
          fsb datasets --data-root datasets/samples
          fsb datasets mnist cifar-10 --data-root /data --checksums
          FSB_DATA_ROOT=/data fsb datasets fashion-mnist
        """
    )

    @Option(name: .customLong("data-root"), help: ArgumentHelp("Folder holding one sub-folder per dataset.", valueName: "DIR"), completion: .directory)
    var dataRoot: String?

    @Flag(help: "Verify the SHA-256 of each file's uncompressed content against the official files.")
    var checksums = false

    @Option(help: "CIFAR-100 labels to count: fine or coarse.", completion: .list(CIFAR100LabelKind.allCases.map(\.rawValue)))
    var cifar100Labels: String = CIFAR100LabelKind.fine.rawValue

    @Argument(help: ArgumentHelp("Datasets to list (default: all).", valueName: "dataset"),
              completion: .list(DatasetName.allCases.map(\.rawValue)))
    var names: [String] = []

    func validate() throws {
        for name in names where DatasetName(rawValue: name) == nil {
            throw ValidationError("unknown dataset '\(name)'; expected one of \(DatasetName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if CIFAR100LabelKind(rawValue: cifar100Labels) == nil {
            throw ValidationError("--cifar100-labels must be fine or coarse, found '\(cifar100Labels)'")
        }
    }

    func run() throws {
        let requested = names.isEmpty ? DatasetName.allCases : names.compactMap(DatasetName.init(rawValue:))
        let location = DataLocation(dataRoot: dataRoot)
        let root = location.root
        print("data root: \(root.path) (\(root.origin))\n")
        var inventories: [DatasetInventory] = []
        for name in requested {
            let inventory = DatasetInventory.inspect(name, location: location, checksums: checksums,
                                                     labels: CIFAR100LabelKind(rawValue: cifar100Labels) ?? .fine)
            print(inventory.render())
            inventories.append(inventory)
        }
        if let error = DatasetInventory.verdict(inventories, askedByName: !names.isEmpty, root: root) { throw error }
    }
}
