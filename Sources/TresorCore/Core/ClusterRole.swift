import Foundation

/// The server's part in a node's turns as the active one: while taking over it publishes how
/// standbys reach it (a cluster record in the barrier) and opens its cluster listener; when it
/// steps down or seals, it closes that listener. The core only says when.
public protocol ClusterRole: Sendable {
    /// Runs while this node takes over, before it answers as the active node. A failure makes
    /// the node step down again.
    func becomingActive() async throws
    /// Runs once this node no longer serves as the active node.
    func steppedDown() async
}

/// What an active node publishes for standbys, kept in the barrier at
/// `core/cluster/leader/<node identity>`: its addresses and the cluster certificate with its
/// key, which both ends of a forwarded request present (mutual TLS). Only nodes that can
/// unseal the barrier can read it, and a new one is made at every take-over.
public struct ClusterRecord: Codable, Sendable, Equatable {
    public var apiAddress: String
    public var clusterAddress: String
    /// The self-signed certificate, PEM.
    public var certificate: String
    /// Its private key, PKCS#8 PEM.
    public var privateKey: String

    public init(apiAddress: String, clusterAddress: String, certificate: String, privateKey: String) {
        self.apiAddress = apiAddress
        self.clusterAddress = clusterAddress
        self.certificate = certificate
        self.privateKey = privateKey
    }

    enum CodingKeys: String, CodingKey {
        case apiAddress = "api_addr", clusterAddress = "cluster_addr", certificate = "cluster_cert", privateKey = "cluster_key"
    }
}

@_spi(Server) extension Core {
    static let clusterRecordPrefix = "core/cluster/leader/"

    /// Installs the server's cluster role; set once, before the first unseal.
    public func setClusterRole(_ role: any ClusterRole) {
        clusterRoleSlot.withLock { $0 = role }
    }

    var clusterRole: (any ClusterRole)? { clusterRoleSlot.withLock { $0 } }

    /// Writes this node's cluster record (fenced like every write of the active) and removes
    /// those of earlier actives.
    public func publishClusterRecord(_ record: ClusterRecord) async throws {
        var operations: [StorageOperation] = [.put(key: Self.clusterRecordPrefix + haIdentity, value: try JSONValue.encodeStored(record))]
        for stale in try await barrier.list(prefix: Self.clusterRecordPrefix) where stale != haIdentity {
            operations.append(.delete(key: Self.clusterRecordPrefix + stale))
        }
        try await barrier.commit(operations)
    }

    /// The cluster record of the node `identity`, read from storage (never from a cache).
    public func clusterRecord(of identity: String) async throws -> ClusterRecord? {
        guard !identity.isEmpty, !identity.contains("/") else { return nil }
        guard let bytes = try await barrier.getFresh(Self.clusterRecordPrefix + identity) else { return nil }
        return try JSONValue.decodeStored(ClusterRecord.self, from: bytes)
    }

    /// The active node as the lock names it: its identity and API address; nil without HA or
    /// when no node holds the lock.
    public func activeHolder() async -> (identity: String, apiAddress: String)? {
        guard let haLock, let holder = try? await haLock.holder() else { return nil }
        return (holder.identity, holder.value)
    }

    /// The value a node echoes for `sys/ha-status`: its API address, then its cluster address.
    var echoValue: String { clusterAddress.isEmpty ? apiAddress : apiAddress + " " + clusterAddress }

    /// Splits an echoed value into its API and cluster addresses.
    public static func echoAddresses(_ value: String) -> (api: String, cluster: String) {
        let parts = value.split(separator: " ", maxSplits: 1).map(String.init)
        return (parts.first ?? "", parts.count > 1 ? parts[1] : (parts.first ?? ""))
    }
}
