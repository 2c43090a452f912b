import Dispatch
import Foundation
@_spi(Server) import TresorCore

/// SIGHUP reopens audit files, so logrotate can move them away.
final class AuditReopener {
    private let source: any DispatchSourceSignal

    init(core: Core) {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { Task { await core.audit.reopenAll() } }
        source.resume()
        self.source = source
    }

    func cancel() {
        source.cancel()
    }
}
