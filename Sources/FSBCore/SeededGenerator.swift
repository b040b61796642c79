/// The project's only source of randomness: xoshiro256** seeded through SplitMix64.
///
/// Every random choice (weight init, FSB signs, data order, augmentation, dropout)
/// draws from a generator derived from the config's seed and a stream name, so the
/// same seed gives the same results, and FSB signs can be regenerated bit for bit
/// from `(seed, stream)` alone. Reference: Blackman & Vigna, "Scrambled linear
/// pseudorandom number generators" (2018).
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// Algorithm name stored in checkpoints next to the seed.
    public static let algorithmName = "xoshiro256**"
    /// Bump when the derivation of streams or the bit stream changes.
    public static let algorithmVersion = 1

    /// The four 64-bit words of xoshiro256** state (saved in checkpoints to resume).
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator for `seed`, optionally on an independent named stream
    /// (for example `"conv1.signs"`, `"data.shuffle"`).
    public init(seed: UInt64, stream: String = "") {
        var mix = seed ^ SeededGenerator.fnv1a(stream)
        func splitMix() -> UInt64 {
            mix &+= 0x9E37_79B9_7F4A_7C15
            var z = mix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// Restores a generator from saved state words.
    public init(state words: [UInt64]) {
        precondition(words.count == 4, "xoshiro256** state has 4 words")
        state = (words[0], words[1], words[2], words[3])
    }

    /// The state as four words, for checkpoints.
    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    public static func == (lhs: SeededGenerator, rhs: SeededGenerator) -> Bool {
        lhs.stateWords == rhs.stateWords
    }

    /// FNV-1a hash of a stream name (stable across runs and platforms).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = SeededGenerator.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = SeededGenerator.rotl(state.3, 45)
        return result
    }

    /// Uniform float in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform double in [0, 1) with 53 random bits.
    public mutating func nextUniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Standard normal sample (Box–Muller, one value per call, deterministic).
    public mutating func nextGaussian() -> Float {
        var u1 = nextUniformDouble()
        while u1 <= Double.leastNormalMagnitude { u1 = nextUniformDouble() }
        let u2 = nextUniformDouble()
        return Float((-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2))
    }

    /// +1 or -1, each with probability 1/2.
    public mutating func nextSign() -> Float {
        (next() >> 63) == 0 ? 1 : -1
    }

    /// Uniform integer in `0..<upperBound` (unbiased, Lemire's method).
    public mutating func nextInt(below upperBound: Int) -> Int {
        precondition(upperBound > 0)
        let bound = UInt64(upperBound)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return Int(product.high)
    }

    /// A uniformly random permutation of `0..<count` (Fisher–Yates).
    public mutating func permutation(of count: Int) -> [Int] {
        var order = Array(0..<count)
        if count < 2 { return order }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            order.swapAt(i, j)
        }
        return order
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
