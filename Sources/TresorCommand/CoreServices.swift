import Logging
import ServiceLifecycle
@_spi(Server) import TresorCore

/// The core's clockwork (expiry, rollback sweep, periodic work) as a service of the server's
/// group: it starts with the server and stops with it, after the listeners have drained.
struct MaintenanceService: Service {
    let core: Core

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await core.runMaintenance()
        }
    }
}

/// The cluster loop on shared storage: take the lock when free, renew it while active, step
/// down when it is lost. At shutdown (after the listeners drained) an active node gives the lock
/// up at once, so a standby takes over without waiting for it to expire.
struct HighAvailabilityService: Service {
    let core: Core

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await core.runHighAvailability()
        }
        await core.leaveCluster()
    }
}

/// Unseals through the auto seal once the server is initialised and the seal service answers;
/// until then the server stays sealed and the log says why. Owned by the service group too.
struct AutoUnsealService: Service {
    let core: Core
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var delay: Duration = .seconds(1)
            var lastReason = ""
            while !Task.isCancelled {
                do {
                    if try await core.sealConfig() != nil, core.isSealed, !core.isSealedByOperator {
                        try await core.autoUnseal()
                        logger.info("unsealed with the auto seal")
                    }
                    delay = .seconds(1)
                } catch {
                    let reason = "\(error)"
                    if reason != lastReason {
                        logger.error("auto-unseal failed; staying sealed", metadata: ["reason": "\(reason)"])
                        lastReason = reason
                    }
                    delay = min(delay * 2, .seconds(30))
                }
                try? await Task.sleep(for: core.isSealed ? delay : .seconds(5))
            }
        }
    }
}
