/// The readers that can be fuzzed, by the name `scripts/fuzz.sh` and `FSB_FUZZ_TARGET` use.
/// Each input is written to a scratch file that the reader opens by path, as `fsb` does,
/// and everything the reader offers is read; bad input may only end in a clean error
/// (`expectCleanError`).
enum FuzzTarget: String, CaseIterable {
    case gzip, tar, idx, cifar, checkpoint
    /// The checkpoint reader on inputs whose header CRC-32 is rewritten to match, so that
    /// mutations get past the checksum into the header's JSON and the tensor table.
    case checkpointFixedCRC = "checkpoint-crc"
    case config, compare, hardware, topology

    /// The scratch file's name (the extension only makes reports readable).
    var fileName: String {
        switch self {
        case .gzip, .tar, .idx, .cifar: return "input-\(rawValue).gz"
        case .checkpoint, .checkpointFixedCRC: return "input.fsbckpt"
        case .config, .compare, .hardware: return "input-\(rawValue).json"
        case .topology: return "input-topology.csv"
        }
    }

    /// The bytes to write for `input`: the input itself, except for `checkpoint-crc`.
    func fileBytes(for input: UnsafeRawBufferPointer) -> [UInt8] {
        self == .checkpointFixedCRC ? CheckpointTargets.fixingHeaderCRC(input) : [UInt8](input)
    }

    /// Reads the file at `path` with this target's reader(s).
    func run(path: String) {
        switch self {
        case .gzip: DataReaderTargets.gzip(path)
        case .tar: DataReaderTargets.tar(path)
        case .idx: DataReaderTargets.idx(path)
        case .cifar: DataReaderTargets.cifar(path)
        case .checkpoint, .checkpointFixedCRC: CheckpointTargets.read(path)
        case .config: ConfigTargets.experiment(path)
        case .compare: ConfigTargets.compare(path)
        case .hardware: ConfigTargets.hardware(path)
        case .topology: ConfigTargets.topology(path)
        }
    }
}
