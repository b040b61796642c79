import ArgumentParser
import FSBCore
import FSBExperiments
import FSBHardware
import Foundation

/// `fsb simulate-hw`: runs a network's layer shapes on one or more accelerator configs and
/// writes per-layer and total cycles, memory traffic and energy. Argument handling only;
/// the work is `HardwareSimulation.run`.
struct SimulateHWCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-hw",
        abstract: "Simulate mac / bwn / fsb accelerators on a network: cycles, memory traffic, energy.",
        usage: """
        fsb simulate-hw (--config FILE | --topology FILE.csv) --hardware HW.json
          [--hardware HW.json ...] [--mode inference|train] [--batch-size N]
          [--verify N] [--calibration N] [--data-root DIR] [--output DIR]
        """,
        discussion: """
        The network is an experiment config or a checkpoint (--config; its Conv2D/Linear \
        shapes, with FSB sign codebooks) or a SCALE-Sim topology CSV (--topology, padding \
        folded into the IFMAP). Each --hardware config is simulated; with several, a line \
        compares each with the first. --verify N also runs N test images through the \
        whole network in integer arithmetic (fsb export --format c's), widths from the \
        first --hardware.

        Examples:
          fsb simulate-hw --config configs/cifar10-resnet20-fsb.json \\
            --hardware configs/hw/mac-int8-os.json \\
            --hardware configs/hw/fsb-int8-os.json
          fsb simulate-hw --topology configs/hw/topologies/resnet20.csv \\
            --hardware configs/hw/mac-int8-os.json \\
            --hardware configs/hw/fsb-int8-os.json
          fsb simulate-hw --topology configs/hw/topologies/lenet5.csv \\
            --hardware configs/hw/bwn-int8-os.json \\
            --hardware configs/hw/fsb-int8-os.json \\
            --mode train --batch-size 32 --output results/hw-lenet5
        """
    )

    @Option(name: .long, help: "Network as a SCALE-Sim topology CSV.", completion: .file(extensions: ["csv"]))
    var topology: String?

    @Option(name: .long, help: "Network from an experiment config (.json) or a checkpoint (.fsbckpt).", completion: .file(extensions: ["json", "fsbckpt"]))
    var config: String?

    @Option(name: .long, help: "Hardware config JSON (repeat for several accelerators side by side).", completion: .file(extensions: ["json"]))
    var hardware: [String] = []

    @Option(name: .long, help: "inference or train.")
    var mode: SimulationMode = .inference

    @Option(name: .long, help: "Inputs per inference run, or examples per training step.")
    var batchSize: Int = 1

    @Option(name: .long, help: "With a checkpoint as --config: run N test images through the bit-accurate FSB datapath of the first --hardware config, and through the whole network in integer arithmetic (the C module's).")
    var verify: Int?

    @Option(name: .long, help: "With --verify: training images that calibrate the end-to-end integer model's activation scales (default 256, as fsb export --format c; at most the run's trainLimit).")
    var calibration: Int?

    @OptionGroup var data: DataRootOption

    @Option(name: .long, help: "Folder for layers.csv, totals.csv and summary.txt (with --verify also verify.txt and predictions.csv: index,label,predicted of the end-to-end integer model, or of the fixed-point fsb layers where it cannot run); written atomically.",
            completion: .directory)
    var output: String?

    /// The files `--verify` adds to the `--output` folder: the report and the predictions.
    static let verifyFiles = ["verify.txt", "predictions.csv"]

    func validate() throws {
        if hardware.isEmpty { throw ValidationError("give at least one --hardware config") }
        if let verify, let problem = DatapathVerification.countRange.problem(verify) { throw ValidationError("--verify \(problem), got \(verify)") }
        if verify != nil && (config == nil || config?.hasSuffix(".json") == true) {
            throw ValidationError("--verify needs a trained checkpoint as --config")
        }
        if let calibration {
            if verify == nil { throw ValidationError("--calibration is for --verify") }
            if let problem = IntegerModel.calibrationRange.problem(calibration) { throw ValidationError("--calibration \(problem), got \(calibration)") }
        }
        if (topology == nil) == (config == nil) { throw ValidationError("give exactly one of --topology FILE or --config FILE") }
        if let problem = HardwareSimulation.batchSizeRange.problem(batchSize) { throw ValidationError("--batch-size \(problem), got \(batchSize)") }
    }

    func run() throws {
        let layers = try topology.map { try TopologyCSV.read(path: $0) }
            ?? NetworkShapes.layerShapes(ofConfigOrCheckpoint: config ?? "").layers
        let accelerators = try hardware.map { try Accelerator.load(configPath: $0) }
        // Rows and comparisons are named after each accelerator: two of one name would be ambiguous.
        for (index, accelerator) in accelerators.enumerated() {
            if let first = accelerators[..<index].firstIndex(where: { $0.config.name == accelerator.config.name }) {
                throw ConfigError(file: hardware[index], path: "name",
                                  message: "expected a name no other --hardware config has, found \"\(accelerator.config.name)\", the name of \(hardware[first])")
            }
        }
        let simulation = try HardwareSimulation.run(layers: layers, accelerators: accelerators,
                                                    mode: mode, batchSize: batchSize)
        print(simulation.summary, terminator: "")
        let folder = output.map { URL(fileURLWithPath: $0) }
        var files = folder.map(simulation.files(in:)) ?? []
        var check: DatapathVerification?
        if let verify, let config {
            let result = try DatapathVerification(checkpointPath: config, hardwareConfig: hardware[0], count: verify,
                                                  dataRoot: data.dataRoot,
                                                  calibration: calibration ?? IntegerModel.defaultCalibration)
            let report = result.render(predictionsFile: folder == nil ? nil : Self.verifyFiles[1])
            print("")
            print(report, terminator: "")
            if let folder {
                files += zip(Self.verifyFiles, [report, result.predictionsCSV()]).map { (folder.appendingPathComponent($0), Data($1.utf8)) }
            }
            check = result
        }
        // Every output file in one group, after the whole run: all of them or none; without
        // --verify, the folder's verify.txt and predictions.csv of an earlier run go with it.
        let stale = verify == nil ? folder.map { folder in Self.verifyFiles.map(folder.appendingPathComponent) } ?? [] : []
        if !files.isEmpty { try AtomicFile.writeGroup(files, removing: stale) }
        if let check, !check.bitExact {
            let differing = check.layers.filter { $0.mismatches > 0 }.map(\.layer)
            throw FSBError("--verify: the fixed-point fsb datapath differs from the plain integer convolution in \(differing.count) layer(s) (\(differing.prefix(5).joined(separator: ", "))): see the mismatches above")
        }
    }
}

extension SimulationMode: ExpressibleByArgument {}
