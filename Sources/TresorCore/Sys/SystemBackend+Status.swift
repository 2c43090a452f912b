import Foundation

/// health, seal-status, leader, init, unseal, seal: what load balancers and operators poll.
extension SystemBackend {
    static let iso = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func sealStatus(_ core: Core) async throws -> JSONValue {
        let config = try await core.sealConfig()
        var status: [String: JSONValue] = [
            "type": .string(config?.type ?? "shamir"),
            "initialized": .bool(config != nil),
            "sealed": .bool(core.isSealed),
            "t": .int(Int64(config?.secretThreshold ?? 0)),
            "n": .int(Int64(config?.secretShares ?? 0)),
            "progress": .int(Int64(core.unsealProgressCount)),
            "nonce": "",
            "version": .string(TresorVersion.current),
            "commit_date": "2026-11-01T00:00:00Z",
            "migration": false,
            "recovery_seal": .bool(core.autoSeal != nil),
            "storage_type": .string(core.storageType),
        ]
        if !core.isSealed {
            status["cluster_name"] = .string(core.clusterName)
            status["cluster_id"] = .string(core.clusterID)
        }
        return .object(status)
    }

    static func statusPaths(_ core: Core) -> [PathSpec] {
        let healthFields = ["standbyok", "perfstandbyok", "activecode", "standbycode", "drsecondarycode",
                            "haunhealthycode", "performancestandbycode", "sealedcode", "uninitcode", "removedcode"]
            .map { FieldSpec($0, .string) }
        let rotateKeyring: PathHandler = { _, _ in
            _ = try await core.barrier.rotate()
            return nil
        }
        return [
            PathSpec("health", fields: healthFields, handlers: [
                .read: { _, fields in
                    let initialized = try await core.sealConfig() != nil
                    func code(_ name: String, _ fallback: Int) throws -> Int {
                        let raw = try fields.string(name)
                        if raw.isEmpty { return fallback }
                        guard let value = Int(raw), (100...599).contains(value) else {
                            throw TresorError.badRequest("unable to parse \(name) value \(raw)")
                        }
                        return value
                    }
                    let status: Int
                    let standby = core.isStandby
                    if !initialized {
                        status = try code("uninitcode", 501)
                    } else if core.isSealed {
                        status = try code("sealedcode", 503)
                    } else if standby {
                        let truthy: Set<String> = ["1", "t", "true", "True", "TRUE"]
                        let standbyOK = try fields.string("standbyok"), perfStandbyOK = try fields.string("perfstandbyok")
                        let ok = truthy.contains(standbyOK) || truthy.contains(perfStandbyOK)
                        status = ok ? try code("activecode", 200) : try code("standbycode", 429)
                    } else {
                        status = try code("activecode", 200)
                    }
                    let open = initialized && !core.isSealed && !standby
                    var body: [String: JSONValue] = [
                        "initialized": .bool(initialized),
                        "sealed": .bool(core.isSealed),
                        // A sealed node cannot serve, which Vault reports as standby.
                        "standby": .bool(!open),
                        "replication_performance_mode": open ? "disabled" : "unknown",
                        "replication_dr_mode": open ? "disabled" : "unknown",
                        "server_time_utc": .int(Int64(Date().timeIntervalSince1970)),
                        "version": .string(TresorVersion.current),
                    ]
                    if core.haEnabled { body["performance_standby"] = false }
                    if initialized && !core.isSealed {
                        body["cluster_name"] = .string(core.clusterName)
                        body["cluster_id"] = .string(core.clusterID)
                    }
                    return .raw(status: status, body: .object(body))
                },
            ]),
            PathSpec("seal-status", handlers: [
                .read: { _, _ in .raw(status: 200, body: try await sealStatus(core)) },
            ]),
            PathSpec("leader", handlers: [
                .read: { _, _ in
                    // A single node without HA says only that.
                    guard core.haEnabled else { return .raw(status: 200, body: ["ha_enabled": false]) }
                    let leader = await core.leaderAddress()
                    var clusterAddress = ""
                    if let holder = await core.activeHolder(), !(leader?.address ?? "").isEmpty,
                       let record = try? await core.clusterRecord(of: holder.identity) {
                        clusterAddress = record.clusterAddress
                    }
                    var activeTime = "0001-01-01T00:00:00Z"
                    if case .active(let since) = core.haStatus { activeTime = GoFormat.time(since) }
                    return .raw(status: 200, body: [
                        "ha_enabled": true, "is_self": .bool(leader?.isSelf ?? false),
                        "active_time": .string(activeTime), "leader_address": .string(leader?.address ?? ""),
                        "leader_cluster_address": .string(clusterAddress), "performance_standby": false,
                        "performance_standby_last_remote_wal": 0,
                    ])
                },
            ]),
            PathSpec("ha-status", handlers: [
                .read: { _, _ in
                    guard let lock = core.haLockForStatus else { throw TresorError.badRequest("HA is not enabled on this node") }
                    let leader = try await lock.holder()
                    let nodes: [JSONValue] = try await lock.members().map { member in
                        let addresses = Core.echoAddresses(member.value)
                        return [
                            "hostname": .string(member.identity), "api_address": .string(addresses.api), "cluster_address": .string(addresses.cluster),
                            "active_node": .bool(member.identity == leader?.identity), "last_echo": .string(GoFormat.time(member.lastEcho)),
                            "version": .string(TresorVersion.current), "upgrade_version": .string(TresorVersion.current),
                        ]
                    }
                    return LogicalResponse(data: ["nodes": .array(nodes)])
                },
            ]),
            PathSpec("init", fields: [
                FieldSpec("secret_shares", .int), FieldSpec("secret_threshold", .int),
                FieldSpec("pgp_keys", .commaStringSlice), FieldSpec("root_token_pgp_key", .string),
                FieldSpec("recovery_shares", .int, default: 5), FieldSpec("recovery_threshold", .int, default: 3),
                FieldSpec("recovery_pgp_keys", .commaStringSlice), FieldSpec("stored_shares", .int),
            ], handlers: [
                .read: { _, _ in .raw(status: 200, body: ["initialized": .bool(try await core.sealConfig() != nil)]) },
                .update: { _, fields in
                    let pgpKeys = try fields.strings("pgp_keys")
                    let rootTokenPGPKey = try fields.string("root_token_pgp_key")
                    if !pgpKeys.isEmpty || !rootTokenPGPKey.isEmpty {
                        throw TresorError.badRequest("PGP-encrypted key shares are not supported")
                    }
                    let result = try await core.initialize(
                        shares: Int(try fields.int("secret_shares")), threshold: Int(try fields.int("secret_threshold")),
                        recoveryShares: Int(try fields.int("recovery_shares")), recoveryThreshold: Int(try fields.int("recovery_threshold")))
                    let hex: ([[UInt8]]) -> JSONValue = { .array($0.map { .string($0.hexString) }) }
                    let base64: ([[UInt8]]) -> JSONValue = { .array($0.map { .string(Data($0).base64EncodedString()) }) }
                    var body: [String: JSONValue] = [
                        "keys": hex(result.keys),
                        "keys_base64": base64(result.keys),
                        "root_token": .string(result.rootToken),
                    ]
                    if !result.recoveryKeys.isEmpty {
                        body["recovery_keys"] = hex(result.recoveryKeys)
                        body["recovery_keys_base64"] = base64(result.recoveryKeys)
                    }
                    return .raw(status: 200, body: .object(body))
                },
            ]),
            PathSpec("unseal", fields: [FieldSpec("key", .string), FieldSpec("reset", .bool), FieldSpec("migrate", .bool)], handlers: [
                .update: { _, fields in
                    if try fields.bool("reset") {
                        core.resetUnsealProgress()
                    } else {
                        let key = try fields.string("key")
                        guard !key.isEmpty else { throw TresorError.badRequest("'key' must be specified in request body as JSON, or 'reset' set to true") }
                        guard let bytes = KeyText.decode(key) else {
                            throw TresorError.badRequest("'key' must be a valid hex or base64 string")
                        }
                        try await core.submitUnsealKey(bytes)
                    }
                    return .raw(status: 200, body: try await sealStatus(core))
                },
            ]),
            PathSpec("seal", handlers: [
                .update: { _, _ in
                    core.sealByOperator()
                    return nil
                },
            ]),
            // Without HA one node is always the active one and there is nothing to hand over to.
            PathSpec("step-down", handlers: [
                .update: { _, _ in
                    await core.stepDownByOperator()
                    return nil
                },
            ]),
            // OpenBao's CLI says sys/rotate/keyring, Vault's sys/rotate: both add a keyring term.
            PathSpec("rotate", handlers: [.update: rotateKeyring]),
            PathSpec("rotate/keyring", handlers: [.update: rotateKeyring]),
            PathSpec("key-status", handlers: [
                .read: { _, _ in
                    guard let ring = core.barrier.currentKeyring else { throw TresorError.sealed }
                    return LogicalResponse(data: [
                        "term": .int(Int64(ring.activeTerm)),
                        "install_time": .string(GoFormat.time(ring.active.installTime)),
                        "encryptions": .int(core.barrier.encryptionCount),
                    ], dataAtTopLevel: true)
                },
            ]),
        ]
    }
}
