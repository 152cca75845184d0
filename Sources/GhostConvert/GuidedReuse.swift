import Foundation
import GhostIO
import GhostTensor

extension GuidedRatios {
    /// The plan of an earlier guided convert report (`--damage-from`): its per-conv options (MACs, residuals,
    /// damages) are solved again at another budget instead of being measured again.
    public struct Reused {
        /// The report it came from.
        public let path: String
        public let plan: Plan

        /// Reads a guided conversion's report.json; refuses one of another checkpoint (by SHA-256) or without a plan.
        public static func load(_ path: String, checkpoint: String) throws -> Reused {
            struct Header: Decodable {
                let sourceSHA256: String
                let guided: Plan?
                enum CodingKeys: String, CodingKey { case guided, sourceSHA256 = "source_sha256" }
            }
            let header: Header
            do {
                header = try JSONDecoder().decode(Header.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw GhostError.file(path, "is not a convert report.json (\(error.localizedDescription))")
            }
            guard let plan = header.guided else {
                throw GhostError.file(path, "is the report of a uniform conversion (no guided plan to reuse)")
            }
            guard header.sourceSHA256 == (try SHA256.hex(file: checkpoint)) else {
                throw GhostError.file(path, "was made from another checkpoint than \(checkpoint)")
            }
            return Reused(path: path, plan: plan)
        }

        /// Throws unless the plan covers exactly these convs with the options and damage model of `search`.
        func check(sites: [ResNetToGhost.Site], search: GuidedSearch, originalMACs: Int) throws {
            guard plan.convs.map(\.name) == sites.map(\.name), plan.originalMACs == originalMACs else {
                throw GhostError.file(path, "plans other convs or another input size than this conversion")
            }
            let grid = search.grid
            let same = plan.convs.allSatisfy { c in
                c.options.count == grid.count + 1 && zip(c.options.dropFirst(), grid).allSatisfy {
                    $0.s == $1.s && $0.d == $1.d
                }
            }
            guard same, plan.damageModel ?? .noise == search.damage, plan.probeImages == nil
                || search.damage == .noise || plan.probeImages == search.probeImages else {
                throw GhostError.file(path, "was measured with other options (--guided-ratios/--guided-kernels/"
                    + "--guided-damage/--probe-images) than asked for")
            }
        }
    }
}
