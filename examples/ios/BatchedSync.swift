// The batched sync from Swift: `client.syncBatches(...)` is the AsyncSequence of the DavKit
// package (bindings-mobile/swift/Sources/DavKit/SyncBatches.swift). Written against the
// generated API; NOT compiled on the Linux machines davkit is built on (no Swift toolchain).
import DavKit
import Foundation

/// Where an app keeps sync states (a database table in a real app), by collection URL.
protocol StateStore: AnyObject {
    subscript(url: String) -> String? { get set }
}

/// Syncs one collection in batches of at most `maxMembers` members, as a `BGProcessingTask`
/// would: each batch's changes go to the app's storage (`apply`, one transaction per batch in a
/// real app) and its checkpoint into `states` right after, so a task that expires between
/// batches continues from the last stored checkpoint next time. Task cancellation stops the
/// loop between batches. Returns how many changes were applied.
func syncInBatches(client: DavClient, collection: Collection, states: StateStore,
                   maxMembers: UInt32 = 200, apply: (Change) throws -> Void) async throws -> Int {
    var applied = 0
    for try await batch in client.syncBatches(collectionUrl: collection.url, kind: collection.kind,
                                              stateJson: states[collection.url],
                                              maxMembers: maxMembers) {
        for change in batch.changes { try apply(change) }
        applied += batch.changes.count
        states[collection.url] = batch.stateJson          // the checkpoint, stored with the changes
        try Task.checkCancellation()
    }
    return applied
}
