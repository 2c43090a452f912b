/// sys/audit and sys/audit-hash: audit devices and searching their logs.
extension SystemBackend {
    static func auditPaths(_ core: Core) -> [PathSpec] {
        [
            PathSpec("audit", handlers: [
                .read: { _, _ in
                    var data: [String: JSONValue] = [:]
                    for config in core.audit.configs { data[config.path] = config.json }
                    return LogicalResponse(data: data, dataAtTopLevel: true)
                },
            ]),
            PathSpec("audit/{path+}", fields: [
                FieldSpec("type", .string), FieldSpec("description", .string), FieldSpec("options", .keyValuePairs),
                FieldSpec("local", .bool),
            ], handlers: [
                .update: { ctx, fields in
                    let type = try fields.string("type")
                    guard !type.isEmpty else { throw TresorError.badRequest("audit device type must be given") }
                    let config = AuditDeviceConfig(path: ctx.capture("path"), type: type, description: try fields.string("description"),
                                                   options: try fields.stringMap("options") ?? [:], local: try fields.bool("local"))
                    try await core.enableAudit(config, transaction: ctx.transaction)
                    return nil
                },
                .delete: { ctx, _ in
                    try await core.disableAudit(path: ctx.capture("path"), transaction: ctx.transaction)
                    return nil
                },
            ]),
            PathSpec("audit-hash/{path+}", fields: [FieldSpec("input", .string)], handlers: [
                .update: { ctx, fields in
                    let hash = try core.auditHash(path: ctx.capture("path"), input: try fields.string("input"))
                    return LogicalResponse(data: ["hash": .string(hash)], dataAtTopLevel: true)
                },
            ]),
        ]
    }
}
