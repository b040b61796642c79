import FSBCore
@testable import FSBData
import XCTest

final class EpochBatchesTests: XCTestCase {
    /// `count` single-channel `size x size` images; pixel value = 1000 * image + 10 * row + column.
    func tinyDataset(count: Int, size: Int = 4) -> ImageDataset {
        var images = Tensor(shape: [count, 1, size, size])
        for i in 0..<count { for y in 0..<size { for x in 0..<size { images[(i * size + y) * size + x] = Float(1000 * i + 10 * y + x) } } }
        return ImageDataset(images: images, labels: (0..<count).map { Int32($0 % 3) }, classCount: 3, mean: [0.5], std: [0.25])
    }

    func testBatchCountsAndLastBatch() throws {
        let dataset = tinyDataset(count: 10)
        let keep = try BatchSchedule(batchSize: 4, seed: 1, shuffle: false).epoch(0, of: dataset)
        XCTAssertEqual(keep.count, 3)
        XCTAssertEqual(keep.batch(2).images.shape, [2, 1, 4, 4])
        XCTAssertEqual(keep.batch(2).labels, [2, 0])
        let drop = try BatchSchedule(batchSize: 4, seed: 1, shuffle: false, dropLast: true).epoch(0, of: dataset)
        XCTAssertEqual(drop.count, 2)
        XCTAssertEqual(Array(drop).count, 2)
        XCTAssertEqual(keep.batch(0).images.storage, Array(dataset.images.storage[0..<64]))
        assertThrowsMessage(["batch size must be at least 1, found 0"]) { try BatchSchedule(batchSize: 0, seed: 1) }
    }

    func testSameSeedEpochBatchGivesIdenticalTensorsAndEpochsDiffer() throws {
        let dataset = tinyDataset(count: 40)
        let schedule = try BatchSchedule(batchSize: 8, seed: 42, shuffle: true, augmentation: Augmentation(randomCropPadding: 1, horizontalFlip: true))
        let first = schedule.epoch(3, of: dataset), again = schedule.epoch(3, of: dataset)
        XCTAssertEqual(first.order, again.order)
        XCTAssertEqual(Set(first.order), Set(0..<40))
        for b in 0..<first.count {
            XCTAssertEqual(first.batch(b).images, again.batch(b).images)
            XCTAssertEqual(first.batch(b).labels, again.batch(b).labels)
        }
        XCTAssertNotEqual(schedule.epoch(4, of: dataset).order, first.order)
        XCTAssertNotEqual(try BatchSchedule(batchSize: 8, seed: 43).epoch(3, of: dataset).order, first.order)
        // Iterating (with a reused buffer), resuming mid-epoch, and building single batches agree.
        let iterated = Array(first)
        XCTAssertEqual(iterated.count, 5)
        for (b, batch) in iterated.enumerated() { XCTAssertEqual(batch.images, first.batch(b).images, "batch \(b)") }
        var resumed = first.batches(from: 3)
        XCTAssertEqual(resumed.next()?.images, first.batch(3).images)
        XCTAssertEqual(resumed.next()?.labels, first.batch(4).labels)
        XCTAssertNil(resumed.next())
        // Filling a reused tensor gives the same values as a fresh one.
        var images = Tensor(shape: [8, 1, 4, 4], repeating: -7)
        var labels: [Int32] = [9, 9]
        first.fill(batch: 2, images: &images, labels: &labels)
        XCTAssertEqual(images, first.batch(2).images)
        XCTAssertEqual(labels, first.batch(2).labels)
    }

    func testFlipAndCropByHand() {
        let dataset = tinyDataset(count: 1)
        let source = Array(dataset.images.storage)
        var output = [Float](repeating: 0, count: 16)
        let pad = dataset.paddingValues[0]
        XCTAssertEqual(pad, -2)
        func run(shiftY: Int, shiftX: Int, flip: Bool) -> [Float] {
            source.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    EpochBatches.transform(source: input.baseAddress!, destination: out.baseAddress!, channels: 1,
                                                     height: 4, width: 4, shiftY: shiftY, shiftX: shiftX, flip: flip, padding: [pad])
                }
            }
            return output
        }
        // Pure flip: row 0 = 3 2 1 0.
        XCTAssertEqual(Array(run(shiftY: 0, shiftX: 0, flip: false)), source)
        XCTAssertEqual(Array(run(shiftY: 0, shiftX: 0, flip: true)[0..<8]), [3, 2, 1, 0, 13, 12, 11, 10])
        // Crop window moved down 1 and right 2 (top-left (1+1, 1+2) in the 1-padded image):
        // out[y][x] = in[y+1][x+2], padding where outside.
        XCTAssertEqual(run(shiftY: 1, shiftX: 2, flip: false),
                       [12, 13, pad, pad, 22, 23, pad, pad, 32, 33, pad, pad, pad, pad, pad, pad])
        // Crop up-left by 1 then flip: crop[y][x] = in[y-1][x-1]; out[y][x] = crop[y][3-x].
        XCTAssertEqual(run(shiftY: -1, shiftX: -1, flip: true),
                       [pad, pad, pad, pad, 2, 1, 0, pad, 12, 11, 10, pad, 22, 21, 20, pad])
    }

    func testAugmentedBatchesAreCropsOrFlipsOfTheSourceImages() throws {
        let dataset = tinyDataset(count: 16)
        let epoch = try BatchSchedule(batchSize: 16, seed: 5, shuffle: true, augmentation: Augmentation(randomCropPadding: 1, horizontalFlip: true)).epoch(0, of: dataset)
        let batch = epoch.batch(0)
        var flips = 0, shifted = 0
        for row in 0..<16 {
            let index = epoch.order[row]
            let image = Array(batch.images.storage[row * 16..<(row + 1) * 16])
            XCTAssertEqual(batch.labels[row], dataset.labels[index])
            // Find the (shiftY, shiftX, flip) that explains this output.
            var matches: [(Int, Int, Bool)] = []
            for dy in -1...1 { for dx in -1...1 { for flip in [false, true] {
                var expected = [Float](repeating: -2, count: 16)
                for y in 0..<4 { for x in 0..<4 {
                    let sy = y + dy, sx = (flip ? 3 - x : x) + dx
                    if (0..<4).contains(sy) && (0..<4).contains(sx) { expected[y * 4 + x] = Float(1000 * index + 10 * sy + sx) }
                } }
                if expected == image { matches.append((dy, dx, flip)) }
            } } }
            XCTAssertEqual(matches.count, 1, "row \(row)")
            if let match = matches.first { flips += match.2 ? 1 : 0; shifted += (match.0, match.1) == (0, 0) ? 0 : 1 }
        }
        XCTAssertGreaterThan(flips, 0)
        XCTAssertLessThan(flips, 16)
        XCTAssertGreaterThan(shifted, 0)
    }
}

final class EpochBatchesInitTests: XCTestCase {
    func testFieldByFieldInitMatchesSchedule() throws {
        var images = Tensor(shape: [6, 1, 2, 2])
        for i in 0..<images.count { images[i] = Float(i) }
        let dataset = ImageDataset(images: images, labels: [0, 1, 0, 1, 0, 1], classCount: 2, mean: [0], std: [1])
        let direct = try EpochBatches(dataset: dataset, batchSize: 4, seed: 9, epoch: 2, shuffle: true,
                                      augmentation: Augmentation(randomCropPadding: 1, horizontalFlip: true), dropLast: false)
        let scheduled = try BatchSchedule(batchSize: 4, seed: 9, shuffle: true, augmentation: .init(randomCropPadding: 1, horizontalFlip: true))
            .epoch(2, of: dataset)
        XCTAssertEqual(direct.order, scheduled.order)
        XCTAssertEqual(direct.batch(1).images, scheduled.batch(1).images)
        assertThrowsMessage(["crop padding must be at least 0, found -1"]) {
            try EpochBatches(dataset: dataset, batchSize: 4, seed: 9, epoch: 0, shuffle: false,
                             augmentation: Augmentation(randomCropPadding: -1), dropLast: false)
        }
    }
}
