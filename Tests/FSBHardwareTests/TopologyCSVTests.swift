import FSBCore
@testable import FSBHardware
import Foundation
import XCTest

final class TopologyCSVTests: XCTestCase {
    func parseError(_ text: String) -> TopologyError? {
        do {
            _ = try TopologyCSV.parse(text, file: "net.csv")
            return nil
        } catch {
            return error as? TopologyError
        }
    }

    func testRoundTripWithPaddingFolded() throws {
        let layers = [
            LayerShape(name: "conv1", inputChannels: 3, inputHeight: 32, inputWidth: 32, outputChannels: 16,
                       kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
            LayerShape(name: "down", inputChannels: 16, inputHeight: 32, inputWidth: 32, outputChannels: 32,
                       kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
            LayerShape.linear(name: "fc", inputFeatures: 64, outputFeatures: 10),
        ]
        let text = TopologyCSV.render(layers)
        XCTAssertTrue(text.contains("conv1, 34, 34, 3, 3, 3, 16, 1,\n"))
        XCTAssertTrue(text.contains("down, 33, 33, 3, 3, 16, 32, 2,\n"))  // 34 trimmed to the 33 rows used
        let back = try TopologyCSV.parse(text, file: "t.csv")
        for (a, b) in zip(layers, back) {
            XCTAssertEqual(a.outputHeight, b.outputHeight)
            XCTAssertEqual(a.outputWidth, b.outputWidth)
            XCTAssertEqual(a.macs, b.macs)
            XCTAssertEqual(a.kind, b.kind)
            XCTAssertEqual(b.padding, 0)
        }
    }

    func testSCALESimOutputSizeConvention() throws {
        // ceil((10 - 3 + 2) / 2) = 5 outputs: the IFMAP is extended to 3 + 2*4 = 11.
        let layer = try TopologyCSV.parse("\(TopologyCSV.header)\nx, 10, 10, 3, 3, 2, 4, 2,\n", file: "t")[0]
        XCTAssertEqual(layer.outputHeight, 5)
        XCTAssertEqual(layer.inputHeight, 11)
    }

    func testErrorsNameLineAndColumn() {
        let header = TopologyCSV.header + "\n"
        let bad = parseError(header + "conv, 8, x8, 3, 3, 1, 4, 1,\n")
        XCTAssertEqual(bad?.line, 2)
        XCTAssertEqual(bad?.column, 10)
        XCTAssertEqual(bad?.message, "IFMAP Width: expected an integer in 1...65536, found \"x8\"")
        XCTAssertEqual(parseError(header + "conv, 8, 8, 3, 3, 1, 4, 1\n")?.message,
                       "expected a trailing comma after the last field, found end of line")
        XCTAssertEqual(parseError(header + "conv, 8, 8, 3, 3, 1, 4,\n")?.message,
                       "expected 8 fields (name, 6 sizes, stride), found 7")
        XCTAssertEqual(parseError(header + "conv, 2, 8, 3, 3, 1, 4, 1,\n")?.column, 13)
        XCTAssertEqual(parseError("name,a,b\n")?.line, 1)
        XCTAssertEqual(parseError(header)?.message, "expected at least one layer row after the header, found none")
        XCTAssertNotNil(parseError(header + "DPconv, 8, 8, 3, 3, 1, 4, 1,\n"))
        XCTAssertEqual(parseError(header + "conv, 8, 8, 3, 3, 1, 0, 1,\n")?.description,
                       "net.csv:2:22: Num Filter: expected an integer in 1...65536, found \"0\"")
        // Sizes in range whose product the simulator cannot count are named by line too.
        XCTAssertEqual(parseError(TopologyCSV.gemmHeader + "\ng0, 2, 2, 2,\ng1, 65536, 65536, 65536,\n")?.description,
                       "net.csv:3:1: g1: multiply-accumulates must be at most \(LayerShape.elementLimit) per input, got 281474976710656")
    }

    func testAtMostMaximumLayersRows() throws {
        let row = "g, 2, 2, 2,\n"
        let full = TopologyCSV.gemmHeader + "\n" + String(repeating: row, count: TopologyCSV.maximumLayers)
        XCTAssertEqual(try TopologyCSV.parse(full, file: "net.csv").count, TopologyCSV.maximumLayers)
        XCTAssertEqual(parseError(full + row)?.description,
                       "net.csv:\(TopologyCSV.maximumLayers + 2):1: expected at most \(TopologyCSV.maximumLayers) layer rows, found more")
    }

    func testShippedTopologies() throws {
        let resnet = try TopologyCSV.read(path: HardwareFixtures.path("configs/hw/topologies/resnet20.csv"))
        XCTAssertEqual(resnet.count, 20)
        XCTAssertEqual(resnet.filter { $0.stride == 2 }.map(\.outputHeight), [16, 8])
        XCTAssertEqual(resnet.map(\.macs).reduce(0, +), 40_551_040)
        let lenet = try TopologyCSV.read(path: HardwareFixtures.path("configs/hw/topologies/lenet5.csv"))
        XCTAssertEqual(lenet.map(\.outputHeight), [28, 10, 1, 1, 1])
        XCTAssertEqual(lenet.map(\.macs).reduce(0, +), 416_520)
    }

    func testCRLFLineEndings() throws {
        let path = HardwareFixtures.path("configs/hw/topologies/lenet5.csv")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertTrue(crlf.contains("\r\n"))
        XCTAssertEqual(try TopologyCSV.parse(crlf, file: "crlf.csv"), try TopologyCSV.parse(text, file: "lf.csv"))
        XCTAssertEqual(parseError(TopologyCSV.header + "\r\nconv, 8, x8, 3, 3, 1, 4, 1,\r\n")?.description,
                       "net.csv:2:10: IFMAP Width: expected an integer in 1...65536, found \"x8\"")
    }

    func testGEMMTopologyIsReadAsSCALESimMapsIt() throws {
        // SCALE-Sim turns "name, M, N, K" into the conv row [name, M, K, 1, K, 1, N, 1].
        let gemm = try TopologyCSV.parse("Layer, M, N, K,\r\nQKT, 1024, 512, 64,\r\nfc,8,10,84,\r\n", file: "g.csv")
        let conv = try TopologyCSV.parse("\(TopologyCSV.header)\nQKT, 1024, 64, 1, 64, 1, 512, 1,\nfc, 8, 84, 1, 84, 1, 10, 1,\n", file: "c.csv")
        XCTAssertEqual(gemm, conv)
        XCTAssertEqual(gemm[0].macs, 1024 * 512 * 64)
        XCTAssertEqual(gemm[0].outputHeight, 1024)
        XCTAssertEqual(gemm[0].outputWidth, 1)
        XCTAssertEqual(parseError("Layer, M, N, K,\nQKT, 1024, 512,\n")?.message, "expected 4 fields (name, M, N, K), found 3")
        XCTAssertEqual(parseError("Layer, M, N, K,\nQKT, 1024, 0, 64,\n")?.message, "N: expected an integer in 1...65536, found \"0\"")
        XCTAssertEqual(parseError("Layers, M\n")?.message,
                       "expected the header \"\(TopologyCSV.header)\" or \"Layer, M, N, K,\", found \"Layers, M\"")
    }
}

