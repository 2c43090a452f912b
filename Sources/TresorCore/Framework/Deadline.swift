/// Runs an operation with a deadline: a stuck peer (audit socket, database, key service) must
/// fail the request, not hang it.
public func withDeadline<T: Sendable>(_ timeout: Duration, failure: @escaping @Sendable () -> Error,
                                      _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw failure()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
