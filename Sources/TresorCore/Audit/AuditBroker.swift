import Crypto
import Foundation
import Synchronization

/// Fans each audit event out to every enabled device. An event counts as recorded when at least
/// one device wrote it; the core refuses any request whose events were not recorded.
///
/// Every line a device writes carries `prev_hash`, the SHA-256 of the line before it, so an
/// edit, removal or insertion breaks the chain where it happened (`tresor audit verify`).
/// Where a queued entry stands in each device's order.
@_spi(Server) public struct AuditTicket: Sendable {
    let sequences: [String: UInt64]
}

@_spi(Server) public final class AuditBroker: Sendable {
    final class Active: Sendable {
        let config: AuditDeviceConfig
        let device: AuditDevice
        let format: AuditFormat
        let hasher: AuditHasher
        /// Lines formatted but not yet written, the requests waiting on them, and the outcome
        /// of recent writes. Formatting (HMACs, JSON) happens in parallel in each request; only
        /// the hash chain and the write itself are serial.
        private let queue = Mutex(Queue())
        /// Keeps a reopen from interleaving with a write.
        private let deviceLock = KeyLockTable(shardCount: 1)

        private struct Queue {
            /// JSON objects without `prev_hash`; the writer chains them in order.
            var pending: [[UInt8]] = []
            /// Sequence number of the last line queued, and of the last one with an outcome.
            var queued: UInt64 = 0
            var settled: UInt64 = 0
            /// Recent batches that failed to write; their requests fail closed.
            var failed: [ClosedRange<UInt64>] = []
            var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
            /// Whether some request is writing a batch right now.
            var writing = false
            var lastHash = ""

            func outcome(of sequence: UInt64) -> Bool? {
                guard settled >= sequence else { return nil }
                return !failed.contains { $0.contains(sequence) }
            }
        }

        init(config: AuditDeviceConfig, device: AuditDevice, salt: [UInt8]) {
            self.config = config
            self.device = device
            self.format = AuditFormat(options: config.options, salt: salt)
            self.hasher = AuditHasher(salt: salt)
        }

        /// Group commit: a request queues its line; if no write is under way it writes
        /// everything queued so far itself, otherwise it waits for the write that takes its line.
        /// Either way it returns that write's outcome, so a lost line fails its request. Devices
        /// do their blocking work off the event loops, so a slow disk or peer parks requests
        /// rather than a loop.
        func record(_ event: AuditEvent, after earlier: UInt64? = nil) async -> Bool {
            let (sequence, leads) = queueLine(event)
            var written: Bool
            if leads {
                await writePending()
                written = queue.withLock { $0.outcome(of: sequence) } ?? false
            } else {
                written = await withCheckedContinuation { continuation in
                    let known = queue.withLock { queue -> Bool? in
                        if let outcome = queue.outcome(of: sequence) { return outcome }
                        queue.waiters[sequence] = continuation
                        return nil
                    }
                    if let known { continuation.resume(returning: known) }
                }
            }
            // Lines settle in order, so the earlier entry's outcome is known by now.
            if written, let earlier { written = queue.withLock { $0.outcome(of: earlier) } ?? false }
            return written
        }

        /// Queues the entry without waiting for it; a writer takes it with the next batch. The
        /// request's own entry goes this way: the response entry, written after it, is awaited
        /// and fails unless this one was written too, and nothing commits before that.
        func enqueue(_ event: AuditEvent) -> UInt64 {
            let (sequence, leads) = queueLine(event)
            if leads { Task { await self.writePending() } }
            return sequence
        }

        private func queueLine(_ event: AuditEvent) -> (UInt64, Bool) {
            let body = JSONWriter.encode(.object(format.entry(event)))
            return queue.withLock { queue -> (UInt64, Bool) in
                queue.pending.append(body)
                queue.queued += 1
                defer { queue.writing = true }
                return (queue.queued, !queue.writing)
            }
        }

        /// Writes every queued line in one go, wakes the requests that waited on them, and
        /// passes the writer's role to a new task if more lines arrived meanwhile.
        private func writePending() async {
            let (batch, first, last, previous) = queue.withLock { queue in
                defer { queue.pending = [] }
                return (queue.pending, queue.settled + 1, queue.queued, queue.lastHash)
            }
            var hash = previous
            let lines = batch.map { body -> [UInt8] in
                let line = Self.chain(body, after: hash)
                hash = AuditChain.hash(line)
                return line
            }
            // No deadline wrapper here: a task group cannot abandon a write stuck in a system
            // call, so each device bounds its own writes (socket send timeouts; files are local).
            var written = true
            await deviceLock.acquire("device")
            do {
                try await device.write(lines)
            } catch {
                written = false
            }
            deviceLock.release("device")
            let (woken, more) = queue.withLock { queue -> ([CheckedContinuation<Bool, Never>], Bool) in
                queue.settled = last
                if written {
                    queue.lastHash = hash
                } else {
                    // The chain continues from the last line that reached the device.
                    queue.failed.append(first...last)
                    if queue.failed.count > 1024 { queue.failed.removeFirst(queue.failed.count - 1024) }
                }
                var woken: [CheckedContinuation<Bool, Never>] = []
                for sequence in first...last {
                    if let waiter = queue.waiters.removeValue(forKey: sequence) { woken.append(waiter) }
                }
                if queue.pending.isEmpty { queue.writing = false }
                return (woken, !queue.pending.isEmpty)
            }
            for waiter in woken { waiter.resume(returning: written) }
            if more { Task { await self.writePending() } }
        }

        /// The line as written: the entry with `prev_hash`, the hash of the line before it.
        static func chain(_ body: [UInt8], after previous: String) -> [UInt8] {
            var line = Array(body.dropLast())
            if line.count > 1 { line.append(UInt8(ascii: ",")) }
            line += Array(#""prev_hash":""#.utf8)
            line += Array(previous.utf8)
            line += Array(#""}"#.utf8)
            return line
        }

        /// Lines chained onto this device by this run.
        var chainedLines: UInt64 { queue.withLock { $0.settled } }

        /// Starts a new file after rotation; its first line names the last hash of the old one.
        func reopen() async {
            await deviceLock.acquire("device")
            defer { deviceLock.release("device") }
            _ = try? await device.reopen()
        }
    }

    private let active = Mutex<[String: Active]>([:])

    public init() {}

    public var isEmpty: Bool { active.withLock { $0.isEmpty } }

    public var configs: [AuditDeviceConfig] { active.withLock { $0.values.map(\.config) }.sorted { $0.path < $1.path } }

    func install(_ device: Active) {
        active.withLock { $0[device.config.path] = device }
    }

    func remove(_ path: String) -> Active? {
        active.withLock { $0.removeValue(forKey: path) }
    }

    func removeAll() -> [Active] {
        active.withLock { devices in
            defer { devices = [:] }
            return Array(devices.values)
        }
    }

    func device(at path: String) -> Active? { active.withLock { $0[path] } }

    /// Queues the event on every device without waiting: for a request's own entry, which
    /// `log(_:after:)` then holds its response entry to.
    public func enqueue(_ event: AuditEvent) -> AuditTicket {
        let started = Telemetry.start()
        defer { Telemetry.record(Telemetry.auditRequest, since: started) }
        let devices = active.withLock { Array($0.values) }
        return AuditTicket(sequences: Dictionary(uniqueKeysWithValues: devices.map { ($0.config.path, $0.enqueue(event)) }))
    }

    /// Writes the event to every device concurrently. True when at least one recorded it (and,
    /// with a ticket, recorded the ticket's entry too), or when auditing is off.
    public func log(_ event: AuditEvent, after ticket: AuditTicket? = nil) async -> Bool {
        let devices = active.withLock { Array($0.values) }
        if devices.isEmpty { return true }
        let started = Telemetry.start()
        let written = await write(event, after: ticket, to: devices)
        Telemetry.record(event.kind == .request ? Telemetry.auditRequest : Telemetry.auditResponse, since: started)
        if !written { (event.kind == .request ? Telemetry.auditRequestFailure : Telemetry.auditResponseFailure).increment() }
        return written
    }

    private func write(_ event: AuditEvent, after ticket: AuditTicket?, to devices: [Active]) async -> Bool {
        @Sendable func record(_ device: Active) async -> Bool {
            guard let ticket else { return await device.record(event) }
            // A device enabled after the request entry was queued never got it.
            guard let earlier = ticket.sequences[device.config.path] else { return false }
            return await device.record(event, after: earlier)
        }
        // One device, the common case, needs no child task.
        if devices.count == 1 { return await record(devices[0]) }
        return await withTaskGroup(of: Bool.self) { group in
            for device in devices { group.addTask { await record(device) } }
            var any = false
            for await ok in group where ok { any = true }
            return any
        }
    }

    /// Lines each device chained in this run (`tresor.audit.chain_length`).
    public var chainLengths: [(path: String, lines: UInt64)] {
        active.withLock { $0.map { ($0.key, $0.value.chainedLines) } }
    }

    /// SIGHUP: reopen every file device.
    public func reopenAll() async {
        for device in active.withLock({ Array($0.values) }) { await device.reopen() }
    }
}
