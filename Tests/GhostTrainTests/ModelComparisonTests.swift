import Foundation
import GhostModels
import GhostTrain
import XCTest

final class ModelComparisonTests: XCTestCase {
    let table = ModelComparison(models: [
        ModelSummary(name: "ResNet-18", checkpoint: "a.safetensors", params: 11_172_810, macs: 455_800_832, inputShape: [1, 1, 28, 28],
                     testImages: 10_000, accuracy: 0.9314, loss: 0.27, imagesPerSecond: 91.1, batch: 64, threads: 2),
        ModelSummary(name: "Ghost, s=2", checkpoint: "dir/b \"x\".safetensors", params: 5_586_405, macs: 227_900_416,
                     inputShape: [1, 1, 28, 28], testImages: 10_000, accuracy: 0.9268, loss: 0.28, imagesPerSecond: 134.4,
                     batch: 64, threads: 2),
    ])

    func testMarkdownGivesSizesAgainstTheFirstRow() {
        let lines = table.markdown.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4)
        XCTAssertTrue(lines[0].contains("MACs (28×28)") && lines[0].contains("batch 64, 2 threads"), lines[0])
        XCTAssertTrue(lines[0].contains("| test accuracy (10000 test images) |"), lines[0])
        XCTAssertEqual(lines[2], "| ResNet-18 | 11.17 M | 100.0 % | 455.8 M | 100.0 % | 93.14 % | 91.1 |")
        XCTAssertEqual(lines[3], "| Ghost, s=2 | 5.59 M | 50.0 % | 227.9 M | 50.0 % | 92.68 % | 134.4 |")
    }

    func testResultTableReadsCellsWithAParenthetical() {
        XCTAssertEqual(ResultTable.number("230.1 M (50.5 %)")!, 230.1e6, accuracy: 1)
        XCTAssertEqual(ResultTable.number("92.69 % (of 2000)")!, 0.9269, accuracy: 1e-9)
        XCTAssertEqual(ResultTable.number("1.2 G")!, 1.2e9, accuracy: 1)
        XCTAssertNil(ResultTable.number("(50.5 %)"))
    }

    func testCSVQuotesCellsWithCommasAndQuotes() {
        let lines = table.csv.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "model,checkpoint,params,macs,input_shape,test_images,accuracy,loss,images_per_second,batch,threads")
        XCTAssertEqual(lines[2], "\"Ghost, s=2\",\"dir/b \"\"x\"\".safetensors\",5586405,227900416,1x1x28x28,10000,0.926800,0.280000,134.40,64,2")
    }

    func testJSONRoundTrips() throws {
        let back = try JSONDecoder().decode(ModelComparison.self, from: try table.json())
        XCTAssertEqual(back, table)
        XCTAssertTrue(String(decoding: try table.json(), as: UTF8.self).contains("\"images_per_second\""))
    }
}
