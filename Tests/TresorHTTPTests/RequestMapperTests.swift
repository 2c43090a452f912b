import Testing
import TresorCore
@testable import TresorHTTP

@Suite struct RequestMapperTests {
    func map(_ method: String, _ path: String, query: String? = nil, headers: [String: String] = [:], body: String = "") throws(TresorError) -> LogicalRequest {
        try RequestMapper.map(.init(method: method, rawPath: path, query: query, headers: headers, body: Array(body.utf8)))
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
