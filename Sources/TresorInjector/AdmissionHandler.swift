import Foundation
import TresorJSON

/// `POST /mutate`: an `admission.k8s.io/v1` (or `v1beta1`) AdmissionReview in, the same kind
/// out. A pod that asks for no agent is allowed unchanged; one whose annotations cannot be
/// honoured is denied with a message naming the annotation, as vault-k8s does; a body that is
/// no AdmissionReview at all gets a 4xx.
public struct AdmissionHandler: Sendable {
    public let settings: InjectorSettings
    /// Large enough for any pod the API server accepts (objects are capped at 1.5 MiB in etcd).
    public static let maxBody = 4 * 1024 * 1024
    static let systemNamespaces: Set<String> = ["kube-system", "kube-public"]

    public init(settings: InjectorSettings) {
        self.settings = settings
    }

    public struct Reply: Sendable, Equatable {
        public var status: Int
        public var body: [UInt8]
        public var contentType: String
    }

    public func handle(contentType: String?, body: [UInt8]) -> Reply {
        let mediaType = (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType == "application/json" else {
            return Self.failure(415, "Invalid content-type: \"\(contentType ?? "")\": want application/json")
        }
        guard !body.isEmpty else { return Self.failure(400, "Empty request body") }
        guard body.count <= Self.maxBody else { return Self.failure(413, "request body too large") }
        let review: JSONValue
        do {
            review = try JSONValue.parse(body, limits: JSONLimits(maxDepth: 100, maxStringLength: Self.maxBody, maxObjectEntries: 100_000,
                                                                 maxArrayElements: 100_000))
        } catch {
            return Self.failure(400, "error decoding admission request: \(error)")
        }
        let apiVersion = review["apiVersion"]?.stringValue ?? "admission.k8s.io/v1"
        guard review.objectValue != nil, ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"].contains(apiVersion),
              (review["kind"]?.stringValue ?? "AdmissionReview") == "AdmissionReview" else {
            return Self.failure(400, "expected an admission.k8s.io/v1 AdmissionReview")
        }
        guard let request = review["request"], request.objectValue != nil, let uid = request["uid"]?.stringValue else {
            return Self.failure(400, "the AdmissionReview has no request with a uid")
        }
        if let kind = request["kind"]?["kind"]?.stringValue, kind != "Pod" {
            return Self.failure(400, "expected a Pod, got \(kind)")
        }
        guard let pod = request["object"], pod.objectValue != nil else {
            return Self.failure(400, "the AdmissionReview's request has no object")
        }
        let namespace = request["namespace"]?.stringValue ?? pod["metadata"]?["namespace"]?.stringValue ?? ""
        var response: [String: JSONValue] = ["uid": .string(uid)]
        do throws(InjectorError) {
            if let patch = try mutation(pod: pod, namespace: namespace) {
                response["allowed"] = true
                response["patchType"] = "JSONPatch"
                response["patch"] = .string(Data(JSONWriter.encode(.array(patch))).base64EncodedString())
            } else {
                response["allowed"] = true
            }
        } catch {
            response["allowed"] = false
            response["status"] = ["metadata": [:], "message": .string(error.description), "code": 400]
        }
        let answer: JSONValue = ["apiVersion": .string(apiVersion), "kind": "AdmissionReview", "response": .object(response)]
        return Reply(status: 200, body: JSONWriter.encode(answer), contentType: "application/json")
    }

    /// The patch for a pod, or nil when it is to be left alone.
    public func mutation(pod: JSONValue, namespace: String) throws(InjectorError) -> [JSONValue]? {
        guard try AgentPlan.wantsInjection(pod) else { return nil }
        if Self.systemNamespaces.contains(namespace) {
            throw InjectorError("error with request namespace: cannot inject into system namespaces: \(namespace)")
        }
        let plan = try AgentPlan(pod: pod, requestNamespace: namespace, settings: settings)
        return try PodPatch.make(pod: pod, plan: plan)
    }

    static func failure(_ status: Int, _ message: String) -> Reply {
        Reply(status: status, body: Array((message + "\n").utf8), contentType: "text/plain; charset=utf-8")
    }
}
