import Foundation
import Synchronization
import Testing
import TresorAudit
@_spi(Server) @testable import TresorCore

/// The broker's group commit and the devices it writes to.
@Suite struct AuditDeliveryTests {
    @Test func unsafeFileOptionsAreRefused() {
        #expect(throws: AuditError.self) { try FileAuditDevice(options: ["file_path": "/tmp/x.log", "mode": "0750"], allowPrefix: false) }
        #expect(throws: AuditError.self) { try FileAuditDevice(options: ["file_path": "rel.log"], allowPrefix: false) }
        #expect(throws: AuditError.self) { try FileAuditDevice(options: ["file_path": "/tmp/a/../b.log"], allowPrefix: false) }
        #expect(throws: AuditError.self) { try FileAuditDevice(options: ["file_path": "/tmp/y.log", "prefix": "x"], allowPrefix: false) }
    }

    /// Records events from many tasks at once into a file device.
    func recordConcurrently(_ count: Int, into device: AuditDevice) async -> [Bool] {
        let broker = AuditBroker()
        broker.install(AuditBroker.Active(config: AuditDeviceConfig(path: "file/", type: "file"), device: device, salt: [1, 2, 3]))
        return await withTaskGroup(of: Bool.self) { group in
            for index in 0..<count {
                group.addTask {
                    let request = LogicalRequest(operation: .read, path: "secret/data/\(index)", data: [:], clientToken: "")
                    return await broker.log(AuditEvent(kind: .request, request: request, operation: .read, mount: nil, token: nil))
                }
            }
            var results: [Bool] = []
            for await ok in group { results.append(ok) }
            return results
        }
    }

    @Test func concurrentEntriesAreAllWrittenAsOneUnbrokenChain() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(RandomUUID.string()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let results = await recordConcurrently(300, into: try FileAuditDevice(options: ["file_path": path], allowPrefix: false))
        #expect(results.count == 300 && results.allSatisfy { $0 })
        let contents = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let report = AuditChain.verify(contents)
        #expect(report.lines == 300)
        #expect(report.brokenAt == nil, "\(report.reason ?? "")")
        #expect(report.startsAfter == "")
        let paths = Set(String(decoding: contents, as: UTF8.self).split(separator: "\n").compactMap { line in
            try? JSONReader.parseObject(Array(line.utf8))["request"]?.objectValue?["path"]?.stringValue
        })
        #expect(paths.count == 300)
    }

    @Test func everyRequestInAFailedBatchFailsClosed() async {
        let results = await recordConcurrently(50, into: BrokenAuditDevice(reason: "disk gone"))
        #expect(results.count == 50 && results.allSatisfy { !$0 })
    }

    /// A device that may suspend (as a socket does), so the broker batches lines for it.
    final class SlowCollectingDevice: AuditDevice {
        let lines = Mutex<[[UInt8]]>([])
        let batches = Mutex(0)
        func write(_ lines: [[UInt8]]) async throws {
            try await Task.sleep(for: .milliseconds(2))
            self.lines.withLock { $0 += lines }
            batches.withLock { $0 += 1 }
        }
    }

    @Test func batchedDevicesGetEveryLineInOneChain() async throws {
        let device = SlowCollectingDevice()
        let results = await recordConcurrently(300, into: device)
        #expect(results.count == 300 && results.allSatisfy { $0 })
        let lines = device.lines.withLock { $0 }
        let report = AuditChain.verify(Array(lines.map { $0 + [0x0a] }.joined()))
        #expect(report.lines == 300 && report.brokenAt == nil)
        // Concurrent requests share writes rather than taking turns one line at a time.
        #expect(device.batches.withLock { $0 } < 300)
    }

    /// Fails the writes it is told to, then recovers.
    final class FlakyDevice: AuditDevice {
        let failures = Mutex(0)
        let lines = Mutex<[[UInt8]]>([])
        func write(_ lines: [[UInt8]]) async throws {
            let fail = failures.withLock { count -> Bool in
                defer { count = max(0, count - 1) }
                return count > 0
            }
            if fail { throw AuditError("disk full") }
            self.lines.withLock { $0 += lines }
        }
    }

    /// The request entry is queued without waiting; its response entry must not count as
    /// recorded when the request entry was lost, even if the device recovered in between.
    @Test func aResponseWithoutItsRequestEntryFailsClosed() async throws {
        let device = FlakyDevice()
        let broker = AuditBroker()
        broker.install(AuditBroker.Active(config: AuditDeviceConfig(path: "flaky/", type: "file"), device: device, salt: [1]))
        let request = LogicalRequest(operation: .read, path: "secret/data/x", data: [:], clientToken: "")
        device.failures.withLock { $0 = 1 }
        let lost = broker.enqueue(AuditEvent(kind: .request, request: request, operation: .read, mount: nil, token: nil))
        #expect(await broker.log(AuditEvent(kind: .response, request: request, operation: .read, mount: nil, token: nil), after: lost) == false)
        let kept = broker.enqueue(AuditEvent(kind: .request, request: request, operation: .read, mount: nil, token: nil))
        #expect(await broker.log(AuditEvent(kind: .response, request: request, operation: .read, mount: nil, token: nil), after: kept))
        // The chain holds across the lost line: the device got the second pair, linked.
        let report = AuditChain.verify(Array(device.lines.withLock { $0 }.map { $0 + [0x0a] }.joined()))
        #expect(report.lines >= 2 && report.brokenAt == nil)
    }
}
