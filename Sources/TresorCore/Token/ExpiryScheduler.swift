import Foundation
import Synchronization

/// One timer wheel for every expiry: a min-heap of deadlines drained by a single task, so a
/// hundred thousand live tokens cost memory, not tasks.
public final class ExpiryScheduler: Sendable {
    private struct Item {
        let deadline: Date
        let key: String
    }

    private struct State {
        var heap: [Item] = []
        /// The deadline each key currently has; heap items that disagree are stale and skipped.
        var current: [String: Date] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func schedule(_ key: String, at deadline: Date) {
        state.withLock { s in
            s.current[key] = deadline
            s.heap.append(Item(deadline: deadline, key: key))
            Self.siftUp(&s.heap, s.heap.count - 1)
        }
    }

    public func cancel(_ key: String) {
        state.withLock { _ = $0.current.removeValue(forKey: key) }
    }

    public var count: Int { state.withLock { $0.current.count } }

    /// Removes and returns every key whose deadline has passed.
    public func due(at now: Date) -> [String] {
        state.withLock { s in
            var result: [String] = []
            while let top = s.heap.first, top.deadline <= now {
                let last = s.heap.removeLast()
                if !s.heap.isEmpty {
                    s.heap[0] = last
                    Self.siftDown(&s.heap, 0)
                }
                if s.current[top.key] == top.deadline {
                    s.current.removeValue(forKey: top.key)
                    result.append(top.key)
                }
            }
            return result
        }
    }

    private static func siftUp(_ heap: inout [Item], _ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[child].deadline >= heap[parent].deadline { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func siftDown(_ heap: inout [Item], _ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
