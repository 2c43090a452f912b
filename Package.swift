// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

/// The static archives of Foundation, in dependency order.
let staticFoundation = ["-lFoundation", "-lFoundationInternationalization", "-lFoundationEssentials", "-l_FoundationCollections",
                        "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims", "-lstdc++", "-lm"]

let package = Package(
    name: "Tresor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tresor", targets: ["tresor"]),
        // For the micro-benchmarks in Benchmarks/Micro, a package of their own.
        .library(name: "TresorCore", targets: ["TresorCore"]),
        .library(name: "TresorHTTP", targets: ["TresorHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.3.0"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(name: "HCL", swiftSettings: strict),
        .target(name: "CTresorRuntime"),
        .target(name: "GoTemplate", swiftSettings: strict),
        .target(name: "TresorJSON", swiftSettings: strict),
        .target(
            name: "TresorMetrics",
            dependencies: [
                "TresorJSON",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TresorCore",
            dependencies: [
                "HCL", "TresorJSON", "TresorMetrics",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                // Identity tokens (OIDC): RSA keys and JWT signing.
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TresorKeyWrap",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TresorAudit",
            dependencies: [
                "TresorCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TresorPostgres",
            dependencies: [.product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: strict
        ),
        .target(
            name: "TresorStorage",
            dependencies: [
                "TresorCore", "TresorPostgres", "TresorJSON",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TresorSecrets",
            dependencies: [
                "TresorCore", "GoTemplate", "TresorPostgres", "TresorKeyWrap",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TresorAuth",
            dependencies: [
                "TresorCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "VaultHTTP",
            dependencies: [
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TresorHTTP",
            dependencies: [
                "TresorCore", "VaultHTTP",
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TresorAPI",
            dependencies: [
                "TresorJSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TresorCLI",
            dependencies: [
                "TresorAPI", "TresorJSON", "HCL", "TresorKeyWrap",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TresorAgent",
            dependencies: [
                "TresorAPI", "TresorJSON", "HCL", "GoTemplate", "VaultHTTP",
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TresorInjector",
            dependencies: [
                "TresorJSON",
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TresorCommand",
            dependencies: [
                "TresorCore", "TresorAudit", "TresorSecrets", "TresorAuth", "TresorHTTP", "TresorStorage", "TresorAPI", "TresorCLI", "HCL",
                "TresorAgent", "TresorInjector", "TresorMetrics",
                "CTresorRuntime",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "tresor", dependencies: ["TresorCommand"], swiftSettings: strict),
        // Linked fully static: the chroot test runs it alone, and the container image is built the same way.
        // The modules are compiled against the shared Foundation, whose autolink names only
        // Foundation itself: the static archives it needs are named here, twice, for their cycles.
        // lld, because it does not repeat glibc's notes about static getaddrinfo and mktemp as
        // warnings (host names resolve: glibc 2.34+ has its files and dns services built in).
        .executableTarget(name: "tresor-static", dependencies: ["TresorCommand"], swiftSettings: strict,
                          linkerSettings: [.unsafeFlags(["-static-executable", "-use-ld=lld"] + staticFoundation + staticFoundation)]),
        .testTarget(name: "HCLTests", dependencies: ["HCL"], swiftSettings: strict),
        .testTarget(name: "GoTemplateTests", dependencies: ["GoTemplate"], swiftSettings: strict),
        .testTarget(name: "TresorAgentTests", dependencies: ["TresorAgent", "GoTemplate"], swiftSettings: strict),
        .testTarget(name: "TresorInjectorTests", dependencies: ["TresorInjector", "TresorAgent", "TresorJSON"], swiftSettings: strict),
        .testTarget(name: "TresorCoreTests", dependencies: ["TresorCore"], swiftSettings: strict),
        .testTarget(name: "TresorMetricsTests", dependencies: ["TresorMetrics", "TresorJSON", .product(name: "CoreMetrics", package: "swift-metrics")],
                    swiftSettings: strict),
        .testTarget(
            name: "TresorAuditTests",
            dependencies: ["TresorAudit", "TresorCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TresorSecretsTests",
            dependencies: ["TresorSecrets", "TresorCore", "GoTemplate", "TresorKeyWrap", .product(name: "X509", package: "swift-certificates"),
                           .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: strict
        ),
        .testTarget(name: "TresorStorageTests", dependencies: ["TresorStorage", "TresorCore", .product(name: "SQLiteNIO", package: "sqlite-nio")], swiftSettings: strict),
        .testTarget(
            name: "TresorAuthTests",
            dependencies: ["TresorAuth", "TresorCore", .product(name: "JWTKit", package: "jwt-kit")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TresorServerTests",
            dependencies: ["TresorCommand", "TresorCore", .product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TresorHTTPTests",
            dependencies: [
                "TresorHTTP", "VaultHTTP", "TresorCore", "TresorSecrets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
    ]
)
