import FSBCore
import XCTest

/// Checks im2col / col2im (single image and batched) against naive loops, the adjoint
/// identity <im2col(x), y> == <x, col2im(y)>, and thread-count independence.
final class Im2ColTests: XCTestCase {
    /// Convolution geometry of one test case.
    struct Geometry: CustomStringConvertible {
        var channels: Int, height: Int, width: Int
        var kernelH: Int, kernelW: Int, padH: Int, padW: Int, strideH: Int, strideW: Int
        var outH: Int { (height + 2 * padH - kernelH) / strideH + 1 }
        var outW: Int { (width + 2 * padW - kernelW) / strideW + 1 }
        var rows: Int { channels * kernelH * kernelW }
        var imageCount: Int { channels * height * width }
        var description: String {
            "C\(channels) \(height)x\(width) k\(kernelH)x\(kernelW) p\(padH),\(padW) s\(strideH),\(strideW)"
        }
    }

    static let geometries = [
        Geometry(channels: 3, height: 7, width: 5, kernelH: 3, kernelW: 3, padH: 1, padW: 1, strideH: 1, strideW: 1),
        Geometry(channels: 2, height: 9, width: 8, kernelH: 3, kernelW: 3, padH: 1, padW: 1, strideH: 2, strideW: 2),
        Geometry(channels: 2, height: 6, width: 7, kernelH: 1, kernelW: 1, padH: 0, padW: 0, strideH: 1, strideW: 1),
        Geometry(channels: 2, height: 11, width: 9, kernelH: 5, kernelW: 5, padH: 2, padW: 2, strideH: 1, strideW: 1),
        Geometry(channels: 1, height: 8, width: 7, kernelH: 5, kernelW: 5, padH: 0, padW: 0, strideH: 2, strideW: 2),
        Geometry(channels: 2, height: 5, width: 5, kernelH: 3, kernelW: 3, padH: 0, padW: 0, strideH: 3, strideW: 3),
        Geometry(channels: 3, height: 6, width: 5, kernelH: 3, kernelW: 1, padH: 1, padW: 0, strideH: 1, strideW: 2),
        Geometry(channels: 1, height: 4, width: 4, kernelH: 3, kernelW: 3, padH: 2, padW: 2, strideH: 1, strideW: 1),
    ]

    static func randomValues(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed, stream: "im2col")
        return (0..<count).map { _ in rng.nextGaussian() }
    }

    /// Naive batched im2col: columns [rows, batch * outH * outW].
    static func naiveIm2col(_ images: [Float], batch: Int, _ g: Geometry) -> [Float] {
        let positions = g.outH * g.outW
        var columns = [Float](repeating: .nan, count: g.rows * batch * positions)
        for c in 0..<g.channels { for ky in 0..<g.kernelH { for kx in 0..<g.kernelW {
            let row = (c * g.kernelH + ky) * g.kernelW + kx
            for b in 0..<batch { for oy in 0..<g.outH { for ox in 0..<g.outW {
                let iy = oy * g.strideH - g.padH + ky, ix = ox * g.strideW - g.padW + kx
                let inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width
                columns[row * batch * positions + b * positions + oy * g.outW + ox] =
                    inside ? images[((b * g.channels + c) * g.height + iy) * g.width + ix] : 0
            }}}
        }}}
        return columns
    }

    /// Naive batched col2im: adds columns into `images` tap by tap in (ky, kx) order.
    static func naiveCol2imAdd(_ columns: [Float], batch: Int, _ g: Geometry, into images: inout [Float]) {
        let positions = g.outH * g.outW
        for b in 0..<batch { for c in 0..<g.channels { for ky in 0..<g.kernelH { for kx in 0..<g.kernelW {
            let row = (c * g.kernelH + ky) * g.kernelW + kx
            for oy in 0..<g.outH { for ox in 0..<g.outW {
                let iy = oy * g.strideH - g.padH + ky, ix = ox * g.strideW - g.padW + kx
                guard iy >= 0 && iy < g.height && ix >= 0 && ix < g.width else { continue }
                images[((b * g.channels + c) * g.height + iy) * g.width + ix] +=
                    columns[row * batch * positions + b * positions + oy * g.outW + ox]
            }}
        }}}}
    }

    static func im2col(_ images: [Float], batch: Int, _ g: Geometry) -> [Float] {
        var columns = [Float](repeating: .nan, count: g.rows * batch * g.outH * g.outW)
        images.withUnsafeBufferPointer { x in
            columns.withUnsafeMutableBufferPointer { out in
                if batch == 1 {
                    Kernels.im2col(image: x.baseAddress!, channels: g.channels, height: g.height, width: g.width,
                                   kernelH: g.kernelH, kernelW: g.kernelW, padH: g.padH, padW: g.padW,
                                   strideH: g.strideH, strideW: g.strideW, columns: out.baseAddress!)
                } else {
                    Kernels.im2colBatched(images: x.baseAddress!, batch: batch, channels: g.channels,
                                          height: g.height, width: g.width, kernelH: g.kernelH, kernelW: g.kernelW,
                                          padH: g.padH, padW: g.padW, strideH: g.strideH, strideW: g.strideW,
                                          columns: out.baseAddress!)
                }
            }
        }
        return columns
    }

    static func col2imAdd(_ columns: [Float], batch: Int, _ g: Geometry, into images: inout [Float]) {
        columns.withUnsafeBufferPointer { cols in
            images.withUnsafeMutableBufferPointer { x in
                if batch == 1 {
                    Kernels.col2imAdd(columns: cols.baseAddress!, channels: g.channels, height: g.height,
                                      width: g.width, kernelH: g.kernelH, kernelW: g.kernelW, padH: g.padH,
                                      padW: g.padW, strideH: g.strideH, strideW: g.strideW, image: x.baseAddress!)
                } else {
                    Kernels.col2imAddBatched(columns: cols.baseAddress!, batch: batch, channels: g.channels,
                                             height: g.height, width: g.width, kernelH: g.kernelH,
                                             kernelW: g.kernelW, padH: g.padH, padW: g.padW, strideH: g.strideH,
                                             strideW: g.strideW, images: x.baseAddress!)
                }
            }
        }
    }

    func testIm2colMatchesNaiveLoops() {
        for (index, g) in Self.geometries.enumerated() {
            for batch in [1, 3] {
                let images = Self.randomValues(batch * g.imageCount, seed: UInt64(index))
                XCTAssertEqual(Self.im2col(images, batch: batch, g), Self.naiveIm2col(images, batch: batch, g),
                               "\(g) batch \(batch)")
            }
        }
    }

    func testCol2imAddMatchesNaiveLoopsAndAddsToExistingValues() {
        for (index, g) in Self.geometries.enumerated() {
            for batch in [1, 3] {
                let columns = Self.randomValues(g.rows * batch * g.outH * g.outW, seed: 50 + UInt64(index))
                let start = Self.randomValues(batch * g.imageCount, seed: 80 + UInt64(index))
                var actual = start, expected = start
                Self.col2imAdd(columns, batch: batch, g, into: &actual)
                Self.naiveCol2imAdd(columns, batch: batch, g, into: &expected)
                XCTAssertEqual(actual, expected, "\(g) batch \(batch)")
            }
        }
    }

    func testCol2imIsTheAdjointOfIm2col() {
        for (index, g) in Self.geometries.enumerated() {
            let batch = 2
            let x = Self.randomValues(batch * g.imageCount, seed: 200 + UInt64(index))
            let y = Self.randomValues(g.rows * batch * g.outH * g.outW, seed: 300 + UInt64(index))
            let unfolded = Self.im2col(x, batch: batch, g)
            var folded = [Float](repeating: 0, count: x.count)
            Self.col2imAdd(y, batch: batch, g, into: &folded)
            let left = zip(unfolded, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let right = zip(x, folded).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(left, right, accuracy: 1e-4 * max(1, abs(left)), "\(g)")
        }
    }

    func testBatchedKernelsAreThreadCountIndependentOnLargeInputs() {
        let savedThreads = Kernels.threadCount
        defer { Kernels.threadCount = savedThreads }
        let g = Geometry(channels: 5, height: 16, width: 16, kernelH: 3, kernelW: 3, padH: 1, padW: 1,
                         strideH: 1, strideW: 1)
        let batch = 8  // 5*9*8*256 = 92,160 column entries: above the parallel threshold
        let images = Self.randomValues(batch * g.imageCount, seed: 9)
        let columns = Self.randomValues(g.rows * batch * g.outH * g.outW, seed: 10)
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            Kernels.threadCount = threads
            var folded = [Float](repeating: 0, count: images.count)
            Self.col2imAdd(columns, batch: batch, g, into: &folded)
            results.append(Self.im2col(images, batch: batch, g) + folded)
        }
        XCTAssertEqual(results[0], Self.naiveIm2col(images, batch: batch, g) + {
            var expected = [Float](repeating: 0, count: images.count)
            Self.naiveCol2imAdd(columns, batch: batch, g, into: &expected)
            return expected
        }())
        XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern))
        XCTAssertEqual(results[0].map(\.bitPattern), results[2].map(\.bitPattern))
    }
}
