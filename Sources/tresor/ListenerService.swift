import ServiceLifecycle

/// One HTTP listener as ServiceLifecycle sees it. The service group puts "\(service)" into its
/// log metadata; a bare Hummingbird application has no description, so that line would walk
/// the whole generic application (router, responders) by reflection at every start.
struct ListenerService: Service, CustomStringConvertible {
    let application: any Service
    let description: String

    func run() async throws { try await application.run() }
}
