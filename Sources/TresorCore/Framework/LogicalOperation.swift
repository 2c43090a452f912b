/// What a request does, independent of HTTP verbs; ACL capabilities are named after these.
public enum LogicalOperation: String, Sendable, Hashable, CaseIterable {
    case read, create, update, patch, delete, list, help
}
