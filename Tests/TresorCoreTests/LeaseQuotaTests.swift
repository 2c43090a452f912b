import Foundation
import Testing
@_spi(Server) @testable import TresorCore

/// Lease-count quotas: the most specific quota governs, every covering quota counts, and a
/// place taken by a lease that was never made is given back (issue 22).
@Suite struct LeaseQuotaTests {
    @Test func theMostSpecificQuotaGovernsAndAllCount() async throws {
        let quotas = LeaseQuotas()
        quotas.replaceAll([
            LeaseCountQuota(name: "global", path: "", role: "", maxLeases: 100, inheritable: false),
            LeaseCountQuota(name: "db", path: "database/", role: "", maxLeases: 2, inheritable: false),
            LeaseCountQuota(name: "app", path: "database/creds/app", role: "", maxLeases: 3, inheritable: false),
        ])
        var counted: [String] = []
        let counter: (String) async throws -> Int64 = { prefix in
            counted.append(prefix)
            return 0
        }
        // "app" governs database/creds/app/…: three fit although "db" allows two.
        for n in 0..<3 { _ = try await quotas.reserve(leaseID: "database/creds/app/\(n)", role: nil, counter: counter) }
        #expect(Set(counted) == ["", "database/", "database/creds/app/"], "each quota counted once from storage")
        await #expect(throws: LeaseQuotas.exceeded) { _ = try await quotas.reserve(leaseID: "database/creds/app/x", role: nil, counter: counter) }
        #expect(quotas.count(of: "db") == 3 && quotas.count(of: "global") == 3)
        // "db" governs the other roles, and it is already over.
        await #expect(throws: LeaseQuotas.exceeded) { _ = try await quotas.reserve(leaseID: "database/creds/other/1", role: nil, counter: counter) }
        // Not "database/creds/app2": a path quota covers its folder, not names that extend it.
        #expect(LeaseCountQuota(name: "a", path: "database/creds/app", role: "", maxLeases: 1, inheritable: false)
            .covers(leaseID: "database/creds/app2/x", role: nil) == false)
        #expect(LeaseCountQuota(name: "a", path: "database/creds/app*", role: "", maxLeases: 1, inheritable: false)
            .covers(leaseID: "database/creds/app2/x", role: nil))
        quotas.released(leaseID: "database/creds/app/0", role: nil)
        #expect(quotas.count(of: "app") == 2 && quotas.count(of: "global") == 2)
        let release = try await quotas.reserve(leaseID: "database/creds/app/y", role: nil, counter: counter)
        #expect(quotas.count(of: "app") == 3)
        release?()
        #expect(quotas.count(of: "app") == 2, "a discarded request gives its place back")
    }

    @Test func roleQuotasCountOnlyLoginsWithThatRole() async throws {
        let quotas = LeaseQuotas()
        quotas.set(LeaseCountQuota(name: "web", path: "auth/approle/", role: "web", maxLeases: 1, inheritable: false))
        _ = try await quotas.reserve(leaseID: "auth/approle/login/h1", role: "web") { _ in 0 }
        await #expect(throws: LeaseQuotas.exceeded) { _ = try await quotas.reserve(leaseID: "auth/approle/login/h2", role: "web") { _ in 0 } }
        #expect(try await quotas.reserve(leaseID: "auth/approle/login/h3", role: "batch-jobs") { _ in 0 } == nil)
    }

    /// A request that fails after its lease was counted gives the place back.
    @Test func aFailedRequestReleasesItsPlace() async throws {
        let (core, root) = try await TestCore.make()
        _ = try await TestCore.request(core, .update, "sys/quotas/lease-count/t", token: root, data: ["path": "auth/token/create", "max_leases": 1])
        let tx = core.newTransaction()
        try await core.reserveLeaseQuota(leaseID: "auth/token/create/abc", role: nil, storage: tx)
        #expect(core.leaseQuotas.count(of: "t") == 1)
        tx.discard()
        #expect(core.leaseQuotas.count(of: "t") == 0)
        _ = try await TestCore.request(core, .update, "auth/token/create", token: root, data: ["policies": ["default"]])
        await #expect(throws: LeaseQuotas.exceeded) {
            _ = try await TestCore.request(core, .update, "auth/token/create", token: root, data: ["policies": ["default"]])
        }
    }
}
