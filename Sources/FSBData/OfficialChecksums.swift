/// SHA-256 and size of the *uncompressed* original files of each dataset, used by
/// `fsb datasets --checksums` and `scripts/fetch-datasets.sh` (keep the two in sync).
///
/// MNIST and CIFAR-10: the `SHA256SUMS.uncompressed` of the project's reference copies,
/// which are byte-identical to the official releases. Fashion-MNIST: computed from the
/// Debian package `dataset-fashion-mnist` (0.0~git20200523), which ships the official
/// `.gz` files. CIFAR-100: no reference digests were available, so none are listed.
public enum OfficialChecksums {
    /// One original file: its uncompressed size in bytes and SHA-256 (lowercase hex).
    public struct Entry: Equatable, Sendable {
        public let bytes: Int
        public let sha256: String
    }

    /// Reference entry of an original file name (without `.gz`), or nil when unknown.
    public static func entry(_ name: DatasetName, file: String) -> Entry? {
        name.descriptor.checksums[file]
    }

    /// The entries of each dataset, read into its `DatasetDescriptor`.
    static let table: [DatasetName: [String: Entry]] = [
        .mnist: [
            "train-images-idx3-ubyte": Entry(bytes: 47_040_016, sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
            "train-labels-idx1-ubyte": Entry(bytes: 60_008, sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
            "t10k-images-idx3-ubyte": Entry(bytes: 7_840_016, sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
            "t10k-labels-idx1-ubyte": Entry(bytes: 10_008, sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
        ],
        .fashionMNIST: [
            "train-images-idx3-ubyte": Entry(bytes: 47_040_016, sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            "train-labels-idx1-ubyte": Entry(bytes: 60_008, sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            "t10k-images-idx3-ubyte": Entry(bytes: 7_840_016, sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            "t10k-labels-idx1-ubyte": Entry(bytes: 10_008, sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        ],
        .cifar10: [
            "data_batch_1.bin": Entry(bytes: 30_730_000, sha256: "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5"),
            "data_batch_2.bin": Entry(bytes: 30_730_000, sha256: "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed"),
            "data_batch_3.bin": Entry(bytes: 30_730_000, sha256: "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67"),
            "data_batch_4.bin": Entry(bytes: 30_730_000, sha256: "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48"),
            "data_batch_5.bin": Entry(bytes: 30_730_000, sha256: "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add"),
            "test_batch.bin": Entry(bytes: 30_730_000, sha256: "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b"),
        ],
    ]
}
