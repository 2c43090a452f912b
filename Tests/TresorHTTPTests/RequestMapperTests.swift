import NIOCore
import Testing
@_spi(Server) import TresorCore
@testable import TresorHTTP

@Suite struct RequestMapperTests {
    /// The request as a handler sees it: mapped, then its body parsed as the core does.
    func map(_ method: String, _ path: String, query: String? = nil, headers: [String: String] = [:], body: String = "") throws(TresorError) -> LogicalRequest {
        var request = try RequestMapper.map(.init(method: method, rawPath: path, query: query, headers: headers, body: Array(body.utf8)))
        try request.loadBody()
        return request
    }

    @Test func methodsBecomeOperations() throws {
        #expect(try map("GET", "/v1/secret/data/a").operation == .read)
        #expect(try map("GET", "/v1/secret/metadata", query: "list=true").operation == .list)
        #expect(try map("LIST", "/v1/secret/metadata/").operation == .list)
        #expect(try map("LINK", "/v1/secret/metadata/").operation == .list)
        #expect(try map("PUT", "/v1/secret/data/a", body: #"{"data":{}}"#).isWrite)
        #expect(try map("DELETE", "/v1/secret/data/a").operation == .delete)
        #expect(try map("PATCH", "/v1/secret/data/a", headers: ["content-type": "application/merge-patch+json"], body: "{}").operation == .patch)
        #expect(throws: TresorError.self) { try map("PATCH", "/v1/secret/data/a", headers: ["content-type": "application/json"], body: "{}") }
        #expect(throws: TresorError.self) { try map("BREW", "/v1/sys/health") }
    }

    @Test func tokensFromEitherHeader() throws {
        #expect(try map("GET", "/v1/x", headers: ["x-vault-token": "a"]).clientToken == "a")
        #expect(try map("GET", "/v1/x", headers: ["authorization": "Bearer b"]).clientToken == "b")
        #expect(try map("GET", "/v1/x", headers: ["x-vault-token": "a", "authorization": "Bearer b"]).clientToken == "a")
    }

    @Test func queryParametersFeedReads() throws {
        let request = try map("GET", "/v1/secret/data/a", query: "version=2&list=false")
        #expect(request.data["version"] == "2")
        #expect(request.data["list"] == nil)
    }

    @Test(arguments: ["/v1/secret/data/../x", "/v1/secret/./x", "/v1/secret//x", "/v1/secret/%2e%2e/x", "/v1/a%00b", "/v2/x", "/x"])
    func pathTricksAreRefused(_ path: String) {
        #expect(throws: TresorError.self) { try map("GET", path) }
    }

    @Test func encodedSlashesDecode() throws {
        #expect(try map("GET", "/v1/secret/data/a%2Fb").path == "secret/data/a/b")
    }

    @Test func badBodies() {
        #expect(throws: TresorError.self) { try map("PUT", "/v1/x", body: "{") }
        #expect(throws: TresorError.self) { try map("PUT", "/v1/x", body: "[1]") }
        #expect(throws: TresorError.self) { try map("PUT", "/v1/x", body: "\"s\"") }
        #expect((try? map("PUT", "/v1/x", body: "null"))?.data.isEmpty == true)
        #expect((try? map("PUT", "/v1/x", body: "  "))?.data.isEmpty == true)
    }
}

@Suite struct RequestMapperRegressionTests {
    @Test func bodiesAreNotParsedWhileMapping() throws {
        // Mapping happens before the core knows whether the caller may proceed: a body that
        // is not even JSON must cost nothing until then.
        let request = try RequestMapper.map(.init(method: "PUT", rawPath: "/v1/secret/data/x", body: Array("{not json".utf8)))
        #expect(request.pendingBody != nil && request.data.isEmpty)
        var loaded = request
        #expect(throws: TresorError.self) { try loaded.loadBody() }
    }

    @Test func bodyMembersWinOverQueryParameters() throws {
        var request = try RequestMapper.map(.init(method: "DELETE", rawPath: "/v1/x", query: "a=query&b=query", body: Array(#"{"a":"body"}"#.utf8)))
        try request.loadBody()
        #expect(request.data == ["a": "body", "b": "query"])
    }

    @Test func twoTokenHeadersAreRefused() {
        for name in ["x-vault-token", "authorization"] {
            #expect(throws: TresorError.badRequest("multiple \(name == "authorization" ? "Authorization" : "X-Vault-Token") headers in one request")) {
                try RequestMapper.map(.init(method: "GET", rawPath: "/v1/secret/data/x", headers: [name: "b"], repeatedHeaders: [name]))
            }
        }
    }

    @Test func complexBodiesAreRefusedWithVaultsLimits() {
        let none = JSONLimits(maxDepth: 0, maxStringLength: 0, maxObjectEntries: 0, maxArrayElements: 0, maxMemory: 0, maxStrings: 0)
        func with(_ change: (inout JSONLimits) -> Void) -> JSONLimits {
            var limits = none
            change(&limits)
            return limits
        }
        let many = "[" + Array(repeating: "1", count: 100).joined(separator: ",") + "]"
        let cases: [(String, JSONLimits, String)] = [
            (#"{"a":[[[[[1]]]]]}"#, with { $0.maxDepth = 5 }, "nesting depth"),
            (#"{"a":"123456789"}"#, with { $0.maxStringLength = 8 }, "string value length"),
            (#"{"a\u0041234567890":1}"#, with { $0.maxStringLength = 8 }, "string value length"),
            (#"{"a":1,"b":2,"c":3,"d":4}"#, with { $0.maxObjectEntries = 3 }, "object entry count"),
            (#"{"a":[1,2,3,4,5]}"#, with { $0.maxArrayElements = 4 }, "array element count"),
            ("{\"a\":\(many)}", with { $0.maxMemory = 2000 }, "estimated memory limits"),
            (#"{"a":["s","t"],"b":"u"}"#, with { $0.maxStrings = 4 }, "number of strings"),
        ]
        for (body, limits, limit) in cases {
            var request = try? RequestMapper.map(.init(method: "PUT", rawPath: "/v1/x", body: ByteBuffer(bytes: Array(body.utf8)), jsonLimits: limits))
            #expect(throws: TresorError.badRequest("refused JSON input due to high complexity: exceeded maximum \(limit)")) {
                try request?.loadBody()
            }
            var unlimited = try? RequestMapper.map(.init(method: "PUT", rawPath: "/v1/x", body: ByteBuffer(bytes: Array(body.utf8)), jsonLimits: none))
            #expect(throws: Never.self) { try unlimited?.loadBody() }
        }
        let limits = JSONLimits(maxDepth: 5, maxStringLength: 8, maxObjectEntries: 3, maxArrayElements: 4, maxMemory: 4096, maxStrings: 20)
        var fine = try? RequestMapper.map(.init(method: "PUT", rawPath: "/v1/x", body: ByteBuffer(bytes: Array(#"{"a":[1,2,3,4],"b":"12345678"}"#.utf8)), jsonLimits: limits))
        #expect(throws: Never.self) { try fine?.loadBody() }
        #expect(fine?.data["b"] == "12345678")
    }

    @Test func combiningMarksCannotHideASlash() {
        #expect(throws: TresorError.self) {
            try RequestMapper.map(.init(method: "GET", rawPath: "/v1/secret/data/admin/%CC%81x"))
        }
    }

    @Test func helpNeverWrites() throws {
        let request = try RequestMapper.map(.init(method: "POST", rawPath: "/v1/secret/data/x", query: "help=1", body: Array(#"{"data":{}}"#.utf8)))
        #expect(request.operation == .help && !request.isWrite)
    }
}

@Suite struct PercentDecodingTests {
    @Test func decodesEscapesAndKeepsPlainText() {
        #expect(PercentDecoding.decode("secret/data/a%20b") == "secret/data/a b")
        #expect(PercentDecoding.decode("caf%C3%A9%2Fx") == "café/x")
        #expect(PercentDecoding.decode("plain/path") == "plain/path")
        #expect(PercentDecoding.decode("a+b") == "a+b")
        #expect(PercentDecoding.decode("a+b%2B", plusAsSpace: true) == "a b+")
    }

    @Test func refusesMalformedEscapesAndInvalidUTF8() {
        #expect(PercentDecoding.decode("%") == nil)
        #expect(PercentDecoding.decode("%4") == nil)
        #expect(PercentDecoding.decode("%zz") == nil)
        #expect(PercentDecoding.decode("%FF%FE") == nil)
        #expect(PercentDecoding.decode("%C3") == nil)
    }
}
