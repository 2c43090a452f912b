import Benchmark
import Crypto
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
}
