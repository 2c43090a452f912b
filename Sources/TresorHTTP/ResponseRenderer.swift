@_spi(Server) import TresorCore

/// What goes back on the wire: status and JSON body in Vault's envelope.
public struct RenderedResponse: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]?
    /// Nil means JSON.
    public var contentType: String?

    public init(status: Int, body: [UInt8]?, contentType: String? = nil) {
        self.status = status
        self.body = body
        self.contentType = contentType
    }
}

public enum ResponseRenderer {
    public static func error(_ error: TresorError) -> RenderedResponse {
        var body: [UInt8] = []
        JSONWriter.write(["errors": JSONValue(error.messages)], into: &body)
        body.append(0x0a)
        return RenderedResponse(status: error.status, body: body)
    }

    @_spi(Server) public static func render(_ result: CoreResponse) -> RenderedResponse {
        guard let response = result.response else {
            // Nothing to say: a missing thing for reads and lists, plain success for the rest.
            if result.operation == .read || result.operation == .list {
                return error(TresorError.notFound)
            }
            return RenderedResponse(status: 204, body: nil)
        }
        if let raw = response.raw {
            if let bytes = raw.bytes, raw.status != 204 {
                return RenderedResponse(status: raw.status, body: bytes, contentType: raw.contentType)
            }
            guard let body = raw.body, raw.status != 204 else { return RenderedResponse(status: raw.status, body: nil) }
            var bytes = JSONWriter.encode(body)
            bytes.append(0x0a)
            return RenderedResponse(status: raw.status, body: bytes)
        }
        return RenderedResponse(status: response.statusCode ?? 200, body: envelope(response, requestID: result.requestID))
    }

    /// The envelope in Vault's field order; extra top-level copies of `data` first for the
    /// legacy sys endpoints that have them.
    static func envelope(_ response: LogicalResponse, requestID: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        func field(_ name: String, _ value: JSONValue) {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(name, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.write(value, into: &out)
        }
        if response.dataAtTopLevel, let data = response.data {
            for key in data.keys.sorted() { field(key, data[key]!) }
        }
        field("request_id", .string(requestID))
        field("lease_id", .string(response.lease?.leaseID ?? ""))
        field("renewable", .bool(response.lease?.renewable ?? false))
        field("lease_duration", .int(response.lease?.duration ?? 0))
        field("data", response.data.map { .object($0) } ?? .null)
        field("wrap_info", response.wrapInfo?.json ?? .null)
        field("warnings", response.warnings.isEmpty ? .null : JSONValue(response.warnings))
        field("auth", response.auth?.json ?? .null)
        out.append(UInt8(ascii: "}"))
        out.append(0x0a)
        return out
    }
}
