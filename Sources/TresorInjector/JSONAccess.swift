import TresorJSON

extension JSONValue {
    /// A member of an object; nil for anything else. Lets pod fields read as `pod["spec"]?["containers"]`.
    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}
