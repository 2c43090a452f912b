import Crypto
import Foundation

/// `sys/leases/count` and `sys/leases`: counted by the store (keys are not encrypted), never by
/// reading every lease, so they answer quickly at millions of leases and show a revoke-prefix
/// going down. Irrevocable leases have an index of their own.
extension Core {
    static let irrevocablePrefix = "sys/expire/irrevocable/"

    static func irrevocableKey(_ leaseID: String) -> String {
        irrevocablePrefix + SHA256.hash(data: Array(leaseID.utf8)).hexString
    }

    /// Vault's `type=irrevocable`, and Tresor's `type=all` (every lease and service token).
    func leaseCounts(type: String) async throws -> [String: JSONValue] {
        var data: [String: JSONValue]
        switch type {
        case "irrevocable":
            var counts: [String: Int64] = [:]
            var total: Int64 = 0
            for lease in try await irrevocableEntries(limit: nil) {
                counts[mountPath(of: lease), default: 0] += 1
                total += 1
            }
            data = ["lease_count": .int(total), "counts": .object(counts.mapValues { JSONValue.int($0) })]
        case "all":
            var counts: [String: JSONValue] = [:]
            for route in routes.routes {
                let n = try await barrier.count(prefix: Self.leasePrefix + route.mount.routePath)
                if n > 0 { counts[route.mount.routePath] = .int(Int64(n)) }
            }
            data = ["lease_count": .int(Int64(try await barrier.count(prefix: Self.leasePrefix))), "counts": .object(counts)]
        default:
            throw TresorError.badRequest("unsupported lease type \"\(type)\": use \"irrevocable\" (or \"all\" to count every lease)")
        }
        let running = revocationProgress.snapshot.map { job -> JSONValue in
            .object(["prefix": .string(job.prefix), "revoked": .int(Int64(job.revoked))])
        }
        if !running.isEmpty { data["revocations_in_progress"] = .array(running) }
        return data
    }

    /// Vault's `GET sys/leases?type=irrevocable`: each lease with the error that keeps it.
    func irrevocableLeases(type: String, limit: String) async throws -> [String: JSONValue] {
        guard type == "irrevocable" else {
            throw TresorError.badRequest("unsupported lease type \"\(type)\": only \"irrevocable\" leases can be listed")
        }
        let cap: Int?
        switch limit {
        case "": cap = 10_000
        case "none": cap = nil
        default:
            guard let n = Int(limit), n > 0 else { throw TresorError.badRequest("invalid limit \"\(limit)\": a positive number or \"none\"") }
            cap = n
        }
        let leases = try await irrevocableEntries(limit: cap)
        let items = leases.map { lease -> JSONValue in
            .object(["lease_id": .string(lease.leaseID), "mount_id": .string(lease.mountAccessor), "error": .string(lease.lastRevokeError ?? "")])
        }
        return ["lease_count": .int(Int64(items.count)), "leases": .array(items)]
    }

    private func irrevocableEntries(limit: Int?) async throws -> [LeaseEntry] {
        var result: [LeaseEntry] = []
        var after: String?
        while limit.map({ result.count < $0 }) ?? true {
            let page = try await direct.list(Self.irrevocablePrefix, after: after, limit: 1000)
            for name in page {
                guard let bytes = try await direct.get(Self.irrevocablePrefix + name),
                      let lease = try await lease(String(decoding: bytes, as: UTF8.self)) else { continue }
                result.append(lease)
                if let limit, result.count >= limit { return result }
            }
            guard page.count == 1000, let last = page.last else { break }
            after = last
        }
        return result
    }

    private func mountPath(of lease: LeaseEntry) -> String {
        routes.routes.first { $0.mount.accessor == lease.mountAccessor }?.mount.routePath ?? lease.mountAccessor
    }
}
