import Benchmark
import Crypto
import Foundation
@_spi(Server) import TresorCore
@_spi(Server) import TresorHTTP

/// The pieces every request passes through, measured alone so a regression shows up before it
/// is lost in the noise of a whole-server load test.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .instructions], maxDuration: .seconds(2))

    let secret = JSONValue.object([
        "data": .object(["user": .string("app"), "password": .string(String(repeating: "x", count: 32))]),
        "metadata": .object(["version": .int(3), "created_time": .string("2026-11-23T18:02:08.694610596Z"),
                             "deletion_time": .string(""), "destroyed": .bool(false), "custom_metadata": .null]),
    ])
    let secretBytes = JSONWriter.encode(secret)

    Benchmark("barrier: encrypt and decrypt 1 KiB (no cache)") { benchmark in
        let barrier = Barrier(physical: InMemoryBackend(), cacheSize: 0)
        try await barrier.initialize(rootKey: SymmetricKey(size: .bits256))
        let value = [UInt8](repeating: 0x41, count: 1024)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try await barrier.put("logical/bench", value)
            blackHole(try await barrier.get("logical/bench"))
        }
    }

    Benchmark("barrier: cached document read") { benchmark in
        let barrier = Barrier(physical: InMemoryBackend())
        try await barrier.initialize(rootKey: SymmetricKey(size: .bits256))
        try await barrier.put("logical/bench", secretBytes)
        // The closure runs once per sample: read once first, so the sample measures a hit.
        _ = try await barrier.document("logical/bench", as: JSONValue.self)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await barrier.document("logical/bench", as: JSONValue.self))
        }
    }

    Benchmark("ACL: evaluate a read against five policies") { benchmark in
        let texts = [
            #"path "secret/data/app/*" { capabilities = ["read", "list"] }"#,
            #"path "secret/data/+/config" { capabilities = ["read"] }"#,
            #"path "auth/token/lookup-self" { capabilities = ["read"] }"#,
            #"path "sys/*" { capabilities = ["deny"] }"#,
            #"path "database/creds/app" { capabilities = ["read"] } path "secret/metadata/*" { capabilities = ["list"] }"#,
        ]
        let acl = ACL(policies: try texts.enumerated().map { try PolicyParser.parse(name: "p\($0.offset)", text: $0.element) })
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(acl.allows(.read, path: "secret/data/app/db/password", data: [:], needsSudo: false))
        }
    }

    Benchmark("router: match a path among twelve mounts") { benchmark in
        struct Stub: LogicalBackend { var paths: [PathSpec] { [] } }
        let mounts = ["sys/", "secret/", "kv/", "database/", "transit/", "pki/", "cubbyhole/", "identity/",
                      "auth/token/", "auth/kubernetes/", "auth/approle/", "auth/userpass/"]
        let table = RouteTable(mounts.map { RouteTable.Route(mount: MountEntry(path: $0, type: "kv", kind: .secret), backend: Stub()) })
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(table.match("secret/data/app/db/password"))
        }
    }

    Benchmark("HTTP: map a request to a logical request") { benchmark in
        let incoming = RequestMapper.Incoming(method: "GET", rawPath: "/v1/secret/data/app/db%20password", query: "version=2",
                                              headers: ["x-vault-token": "hvs.0123456789abcdefghijklmn"])
        for _ in benchmark.scaledIterations {
            blackHole(try RequestMapper.map(incoming))
        }
    }

    Benchmark("JSON: encode a KV v2 read response") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(JSONWriter.encode(secret))
        }
    }

    Benchmark("JSON: parse a KV v2 write body") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONValue.parse(secretBytes))
        }
    }

    // The hand mapping (`JSONDocument`) against Foundation's synthesized Codable for the record
    // read on every request that misses the token cache and written on every token creation.
    let tokenBytes = Array(#"""
    {"id":"2f1c9e4a0b7d43c6a8e5f0d1c2b3a4e5f60718293a4b5c6d7e8f90a1b2c3d4e5","accessor":"Xq8dS1Lw0mH3nT7vB2cR5yZk",\#
    "parent":"9a8b7c6d5e4f30211f2e3d4c5b6a79880f1e2d3c4b5a69788796a5b4c3d2e1f0","policies":["default","app-read"],\#
    "meta":{"role":"web"},"displayName":"token-web","path":"auth/token/create","numUses":0,"creationTime":786000000.5,\#
    "creationTTL":3600,"explicitMaxTTL":0,"period":0,"renewable":true,"expireTime":786003600.5,"issueTime":786000000.5,\#
    "cubbyholeID":"c0ffee00-1111-2222-3333-444455556666","type":"service"}
    """#.utf8)

    struct SynthesizedTokenEntry: Codable {
        var id: String, accessor: String, parent: String?, policies: [String], meta: [String: String]
        var displayName: String, path: String, numUses: Int64, creationTime: Date, creationTTL: Int64
        var explicitMaxTTL: Int64, period: Int64, renewable: Bool, expireTime: Date?, issueTime: Date
        var lastRenewalTime: Date?, cubbyholeID: String, type: String, authMountAccessor: String?
        var loginData: [String: String]?, boundCIDRs: [String]?
    }

    Benchmark("JSON: decode a stored token (hand mapping)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONValue.decodeStored(TokenEntry.self, from: tokenBytes))
        }
    }

    Benchmark("JSON: decode a stored token (Foundation JSONDecoder)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONDecoder().decode(SynthesizedTokenEntry.self, from: Data(tokenBytes)))
        }
    }

    Benchmark("JSON: encode a stored token (hand mapping)") { benchmark in
        let entry = try JSONValue.decodeStored(TokenEntry.self, from: tokenBytes)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try JSONValue.encodeStored(entry))
        }
    }

    Benchmark("JSON: encode a stored token (Foundation JSONEncoder)") { benchmark in
        let entry = try JSONDecoder().decode(SynthesizedTokenEntry.self, from: Data(tokenBytes))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            blackHole(try encoder.encode(entry))
        }
    }
}
