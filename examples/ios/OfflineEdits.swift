// Offline edits with davkit's write queue from Swift: edits made without a connection go into a
// WriteQueue stored as JSON text (UserDefaults, a file, a database row); when the device is back
// online the queue is flushed and each outcome applied to the app's local copy. Conflicts follow
// the queue's policy (keep-both by default: both versions kept, shown to the user to choose).
// Written against the generated API (the same calls as examples/android/OfflineEdits.kt, which
// is compiled and run); NOT compiled on the Linux machines davkit is built on (no Swift toolchain).
import DavKit
import Foundation

/// An object as the app's local copy holds it.
struct LocalObject {
    let url: String
    let etag: String
    let data: String
}

final class OfflineEdits {
    private static let key = "davkit.queue"
    private let defaults: UserDefaults
    let queue: WriteQueue

    init(defaults: UserDefaults = .standard, policy: String = "keep-both") throws {
        self.defaults = defaults
        if let stored = defaults.string(forKey: Self.key) {
            queue = try WriteQueue.fromJson(json: stored)
        } else {
            queue = try WriteQueue(policy: policy)
        }
    }

    private func store(_ text: String) {
        defaults.set(text, forKey: Self.key)
    }

    /// Offline: queue an edit of an object as last read. Nothing is sent.
    @discardableResult
    func edit(_ object: LocalObject, newData: String) throws -> UInt64 {
        let id = try queue.enqueueUpdate(url: object.url, data: newData, baseEtag: object.etag,
                                         baseData: object.data)
        store(queue.toJson())
        return id
    }

    /// Offline: queue a deletion.
    @discardableResult
    func delete(_ object: LocalObject) throws -> UInt64 {
        let id = try queue.enqueueDelete(url: object.url, baseEtag: object.etag, baseData: object.data)
        store(queue.toJson())
        return id
    }

    /// Online again: send the queue. `apply` gets each object's new ETag and data (nil data for
    /// a deletion) for the local copy; kept conflicts are returned for the user to decide.
    func flush(client: DavClient,
               apply: (_ url: String, _ etag: String?, _ data: String?) -> Void) async throws
        -> [(id: UInt64, local: String?, server: String?)] {
        // Stored *before* anything is sent: after a crash the next flush verifies, never repeats.
        store(queue.beginFlush())
        let text = try await client.flush(queue: queue)
        store(queue.toJson())
        let result = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        var conflicts: [(id: UInt64, local: String?, server: String?)] = []
        for outcome in result["outcomes"] as? [[String: Any]] ?? [] {
            let kind = outcome["kind"] as? [String: Any] ?? [:]
            let url = outcome["url"] as? String ?? ""
            switch kind["type"] as? String {
            case "written":
                apply(url, kind["etag"] as? String, kind["data"] as? String)
                // A create the server answered 200/204: it ignored If-None-Match and overwrote
                // an object already there, which is gone now.
                if kind["replaced"] as? Bool == true { print("the create replaced another object at \(url)") }
            case "deleted": apply(url, nil, nil)
            case "server-kept":
                let server = kind["server"] as? [String: Any]
                apply(url, server?["etag"] as? String, server?["data"] as? String)
            case "conflict":
                let server = kind["server"] as? [String: Any]
                conflicts.append((id: (outcome["id"] as? NSNumber)?.uint64Value ?? 0,
                                  local: kind["local"] as? String, server: server?["data"] as? String))
            default: break // "failed": the entry stays queued; resolve keep-local to try again
            }
        }
        return conflicts
    }

    /// The user chose a side of a kept conflict; the next flush sends it.
    func resolve(id: UInt64, keepLocal: Bool) throws {
        try queue.resolve(id: id, resolution: keepLocal ? "keep-local" : "keep-server", data: nil)
        store(queue.toJson())
    }
}
