import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization
@_spi(Server) import TresorCore
import TresorJSON

/// Storage and the cluster lock on etcd v3, through etcd's own JSON gateway (`/v3/kv/*`,
/// `/v3/lease/*`) over AsyncHTTPClient. etcd is the replicated Raft store: a batch is one etcd
/// transaction (atomic on every member), the lock is a key bound to a lease, and fencing is a
/// comparison on that key inside the same transaction. Why the gateway rather than gRPC is in
/// docs/ha.md.
///
/// Keys live under `path` (default `/vault/`, as Vault's); the lock and the nodes' echoes under `<path>.ha/`,
/// a prefix no data key can share.
public final class EtcdBackend: PhysicalBackend, HALock {
    private let endpoints: [String]
    private let prefix: [UInt8]
    private let haPrefix: String
    private let client: HTTPClient
    private let logger: Logger
    private let credentials: (user: String, password: String)?
    private let authToken = Mutex<String?>(nil)
    /// The member that answered last; tried first next time.
    private let preferred = Atomic<Int>(0)
    let haEnabled: Bool
    /// While active: the lock's value this node wrote, which every commit compares.
    private let fenceValue = Mutex<String?>(nil)
    /// Commits queue here and reach etcd as one txn per group, within etcd's default limits
    /// (128 operations per txn, 1.5 MiB per request).
    private let group = GroupCommit(maxOperations: 128, maxBytes: 768 << 10)
    private let fenceLost = Mutex<(@Sendable () -> Void)?>(nil)
    /// The lease behind this node's lock, while it holds one.
    private let heldLease = Mutex<(id: String, value: String)?>(nil)

    struct EtcdError: Error, CustomStringConvertible {
        let description: String
    }

    public static func open(addresses: String, path: String = "/vault/", haEnabled: Bool, caFile: String? = nil, certFile: String? = nil,
                            keyFile: String? = nil, username: String? = nil, password: String? = nil, logger: Logger) async throws -> EtcdBackend {
        let endpoints = addresses.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        guard !endpoints.isEmpty, endpoints.allSatisfy({ $0.hasPrefix("http://") || $0.hasPrefix("https://") }) else {
            throw StorageError("address must list etcd client URLs (http:// or https://), separated by commas")
        }
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(2), read: .seconds(10)))
        if caFile != nil || certFile != nil {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile { tls.trustRoots = .file(caFile) }
            if let certFile, let keyFile {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certFile).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            }
            configuration.tlsConfiguration = tls
        }
        let backend = EtcdBackend(endpoints: endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
                                  path: path.hasSuffix("/") ? path : path + "/", haEnabled: haEnabled,
                                  client: HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration),
                                  credentials: username.map { ($0, password ?? "") }, logger: logger)
        do {
            _ = try await backend.call("/v3/kv/range", ["key": backend.encoded("core/keyring")])
        } catch {
            throw StorageError("cannot use etcd at \(addresses): \(error)")
        }
        return backend
    }

    private init(endpoints: [String], path: String, haEnabled: Bool, client: HTTPClient, credentials: (user: String, password: String)?,
                 logger: Logger) {
        self.endpoints = endpoints
        self.prefix = Array(path.utf8)
        self.haPrefix = String(path.dropLast()) + ".ha/"
        self.haEnabled = haEnabled
        self.client = client
        self.credentials = credentials
        self.logger = logger
    }

    deinit {
        try? client.syncShutdown()
    }

    public func onFenceLost(_ handler: @escaping @Sendable () -> Void) {
        fenceLost.withLock { $0 = handler }
    }

    // MARK: transport

    /// One gateway call, on the preferred member first and then the others: a member that is
    /// down costs a connect timeout, not the request.
    func call(_ path: String, _ body: JSONValue) async throws -> [String: JSONValue] {
        var lastError: Error = EtcdError(description: "no etcd member answered")
        let start = preferred.load(ordering: .relaxed)
        for offset in 0..<endpoints.count {
            let index = (start + offset) % endpoints.count
            do {
                let answer = try await send(endpoints[index] + path, body, retryAuth: true)
                preferred.store(index, ordering: .relaxed)
                return answer
            } catch {
                // A member that is down, or has no leader, may be one of several: try the next.
                lastError = error
            }
        }
        throw lastError
    }

    private func send(_ url: String, _ body: JSONValue, retryAuth: Bool) async throws -> [String: JSONValue] {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if credentials != nil {
            if authToken.withLock({ $0 }) == nil { try await authenticate(url) }
            if let token = authToken.withLock({ $0 }) { request.headers.add(name: "Authorization", value: token) }
        }
        request.body = .bytes(ByteBuffer(bytes: JSONWriter.encode(body)))
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 256 * 1024 * 1024)
        guard let object = try? JSONReader.parse(bytes.readableBytesView, limits: .stored).objectValue else {
            throw EtcdError(description: "etcd answered \(response.status.code) without JSON")
        }
        if let message = object["message"]?.stringValue ?? object["error"]?.stringValue {
            if retryAuth, credentials != nil, message.contains("token") || message.contains("auth") {
                authToken.withLock { $0 = nil }
                return try await send(url, body, retryAuth: false)
            }
            throw EtcdError(description: "etcd: \(message)")
        }
        return object
    }

    private func authenticate(_ url: String) async throws {
        guard let credentials, let base = endpoints.first(where: { url.hasPrefix($0) }) else { return }
        var request = HTTPClientRequest(url: base + "/v3/auth/authenticate")
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: JSONWriter.encode(["name": .string(credentials.user), "password": .string(credentials.password)])))
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1024 * 1024)
        guard let token = try? JSONReader.parse(bytes.readableBytesView, limits: .stored).objectValue?["token"]?.stringValue else {
            throw EtcdError(description: "etcd refused the username and password")
        }
        authToken.withLock { $0 = token }
    }

    private func encoded(_ key: String) -> JSONValue { .string(Data(prefix + Array(key.utf8)).base64EncodedString()) }

    private static func base64(_ text: String) -> JSONValue { .string(Data(text.utf8).base64EncodedString()) }

    private static func decode(_ value: JSONValue?) -> [UInt8]? {
        guard let text = value?.stringValue, let data = Data(base64Encoded: text) else { return nil }
        return [UInt8](data)
    }

    /// The end of the key range that starts with `bytes`: the same bytes with the last one
    /// incremented (carrying over 0xff).
    private static func rangeEnd(_ bytes: [UInt8]) -> [UInt8] {
        var end = bytes
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }

    // MARK: storage

    public func get(_ key: String) async throws -> [UInt8]? {
        let answer = try await call("/v3/kv/range", ["key": encoded(key)])
        return answer["kvs"]?.arrayValue?.first.flatMap { Self.decode($0.objectValue?["value"]) ?? [] }
    }

    public func list(prefix listPrefix: String) async throws -> [String] {
        try await list(prefix: listPrefix, after: nil, limit: nil)
    }

    /// Ranges come back sorted by key, so a folder's children come from pages of one range,
    /// each subfolder skipped in one seek (ChildScan.swift).
    public func list(prefix listPrefix: String, after: String?, limit: Int?) async throws -> [String] {
        let end = Data(Self.rangeEnd(prefix + Array(listPrefix.utf8))).base64EncodedString()
        let storePrefix = prefix
        return try await ChildScan.children(of: listPrefix, after: after, limit: limit) { lower, inclusive, _, count in
            // The first key after `lower` is `lower` followed by a zero byte.
            let start = storePrefix + Array(lower.utf8) + (inclusive ? [] : [0])
            let answer = try await self.call("/v3/kv/range", [
                "key": .string(Data(start).base64EncodedString()), "range_end": .string(end),
                "keys_only": true, "limit": .int(Int64(count)),
            ])
            return (answer["kvs"]?.arrayValue ?? []).compactMap { item in
                guard let raw = Self.decode(item.objectValue?["key"]), raw.count >= storePrefix.count else { return nil }
                return String(decoding: raw[storePrefix.count...], as: UTF8.self)
            }
        }
    }

    /// One etcd transaction: every put and delete of the batch, applied together or not at all;
    /// on the active node, only while the lock still holds the value it wrote.
    public func commit(_ operations: [StorageOperation]) async throws {
        guard !operations.isEmpty else { return }
        try await group.commit(operations) { batches in
            await GroupCommit.wholeThenEach(batches) { try await self.writeTxn(FoldedBatches($0)) }
        }
    }

    /// One txn for a whole group (GroupCommit.swift), guarded by the HA fence when there is one.
    private func writeTxn(_ folded: FoldedBatches) async throws {
        let requests: [JSONValue] = folded.puts.map { put in
            ["requestPut": ["key": encoded(put.key), "value": .string(Data(put.value).base64EncodedString())]]
        } + folded.deletes.map { key in
            ["requestDeleteRange": ["key": encoded(key)]]
        }
        var body: [String: JSONValue] = ["success": .array(requests)]
        let fence = fenceValue.withLock { $0 }
        if let fence {
            body["compare"] = [["key": Self.base64(haPrefix + "lock"), "target": "VALUE", "result": "EQUAL", "value": Self.base64(fence)]]
        }
        let answer = try await call("/v3/kv/txn", .object(body))
        if fence != nil && answer["succeeded"]?.boolValue != true {
            fenceLost.withLock { $0 }?()
            throw TresorError.fencedOut
        }
    }

    // MARK: HA lock

    private var lockKey: JSONValue { Self.base64(haPrefix + "lock") }

    public func acquire(identity: String, value: String, ttl: Duration) async throws -> Bool {
        guard haEnabled else { return true }
        let lockValue = identity + "\n" + value
        if let held = heldLease.withLock({ $0 }), held.value == lockValue {
            let kept = try await call("/v3/lease/keepalive", ["ID": .string(held.id)])
            let remaining = kept["result"]?.objectValue?["TTL"]?.stringValue.flatMap { Int64($0) } ?? 0
            if remaining > 0, try await holderValue() == lockValue { return true }
            heldLease.withLock { $0 = nil }
        }
        let granted = try await call("/v3/lease/grant", ["TTL": .int(max(1, ttl.components.seconds))])
        guard let leaseID = granted["ID"]?.stringValue else { throw EtcdError(description: "etcd granted no lease") }
        let taken = try await call("/v3/kv/txn", [
            "compare": [["key": lockKey, "target": "CREATE", "result": "EQUAL", "createRevision": "0"]],
            "success": [["requestPut": ["key": lockKey, "value": Self.base64(lockValue), "lease": .string(leaseID)]]],
        ])
        if taken["succeeded"]?.boolValue == true {
            heldLease.withLock { $0 = (leaseID, lockValue) }
            return true
        }
        _ = try? await call("/v3/lease/revoke", ["ID": .string(leaseID)])
        return false
    }

    private func holderValue() async throws -> String? {
        let answer = try await call("/v3/kv/range", ["key": lockKey])
        return answer["kvs"]?.arrayValue?.first.flatMap { Self.decode($0.objectValue?["value"]) }.map { String(decoding: $0, as: UTF8.self) }
    }

    public func release(identity: String) async throws {
        guard let held = heldLease.withLock({ $0 }), held.value.hasPrefix(identity + "\n") else { return }
        heldLease.withLock { $0 = nil }
        _ = try await call("/v3/kv/txn", [
            "compare": [["key": lockKey, "target": "VALUE", "result": "EQUAL", "value": Self.base64(held.value)]],
            "success": [["requestDeleteRange": ["key": lockKey]]],
        ])
        _ = try? await call("/v3/lease/revoke", ["ID": .string(held.id)])
    }

    public func holder() async throws -> (identity: String, value: String)? {
        guard let text = try await holderValue() else { return nil }
        let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
    }

    public func fence(_ identity: String?) {
        guard let identity else { return fenceValue.withLock { $0 = nil } }
        // Without a lock of this identity's, compare against a value no lock ever holds: every
        // commit fails.
        let held = heldLease.withLock { $0?.value }.flatMap { $0.hasPrefix(identity + "\n") ? $0 : nil }
        fenceValue.withLock { $0 = held ?? "\u{0}not-active" }
    }

    public func echo(identity: String, value: String) async throws {
        guard haEnabled else { return }
        let text = value + "\n" + String(Int64(Date().timeIntervalSince1970))
        _ = try await call("/v3/kv/put", ["key": Self.base64(haPrefix + "nodes/" + identity), "value": Self.base64(text)])
    }

    public func members() async throws -> [(identity: String, value: String, lastEcho: Date)] {
        let start = Array((haPrefix + "nodes/").utf8)
        let answer = try await call("/v3/kv/range", [
            "key": .string(Data(start).base64EncodedString()), "range_end": .string(Data(Self.rangeEnd(start)).base64EncodedString()),
        ])
        let now = Date().timeIntervalSince1970
        var out: [(identity: String, value: String, lastEcho: Date)] = []
        for item in answer["kvs"]?.arrayValue ?? [] {
            guard let key = Self.decode(item.objectValue?["key"]), let value = Self.decode(item.objectValue?["value"]) else { continue }
            let identity = String(decoding: key[start.count...], as: UTF8.self)
            let parts = String(decoding: value, as: UTF8.self).split(separator: "\n")
            guard parts.count == 2, let seconds = Double(parts[1]), now - seconds < 15 else { continue }
            out.append((identity, String(parts[0]), Date(timeIntervalSince1970: seconds)))
        }
        return out.sorted { $0.identity < $1.identity }
    }
}
