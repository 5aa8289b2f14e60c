// Hand-written (not generated): the batched sync as an AsyncSequence over the generated
// `DavClient.syncBatch`. NOT compiled on the machines this project is built on (no Swift
// toolchain there); scripts/test-mobile.sh checks that the generated API it calls exists.
import Foundation

extension DavClient {
    /// The batched sync as an `AsyncSequence`: one `syncBatch` per element, each from the
    /// `stateJson` the previous batch returned, fetching at most `maxMembers` members.
    ///
    /// Apply each batch's `changes` and store its `stateJson` (a checkpoint: resuming from it
    /// neither loses nor repeats a change) in the loop body; the next batch is fetched only when
    /// the loop asks for it, so memory is bounded by the batch. The sequence ends after the batch
    /// whose `more` is false: the core sets it when no member is left, and when the same members
    /// failed again and nothing else moved (they stay pending, see its `problems`; the next sync
    /// tries them again). To hand a change back with `syncStateMarkPending`, store the marked state and
    /// `break`; the next run resumes from what you stored.
    ///
    /// ```swift
    /// for try await batch in client.syncBatches(collectionUrl: url, kind: .calendar,
    ///                                           stateJson: store[url], maxMembers: 500) {
    ///     try apply(batch.changes)
    ///     store[url] = batch.stateJson
    /// }
    /// ```
    public func syncBatches(collectionUrl: String, kind: CollectionKind, stateJson: String? = nil,
                            maxMembers: UInt32 = 500) -> SyncBatches {
        SyncBatches(client: self, collectionUrl: collectionUrl, kind: kind, stateJson: stateJson,
                    maxMembers: maxMembers)
    }
}

/// The batches of one sync; see `DavClient.syncBatches(collectionUrl:kind:stateJson:maxMembers:)`.
public struct SyncBatches: AsyncSequence {
    /// One batch: its changes, its checkpoint `stateJson`, and `more`.
    public typealias Element = SyncResult

    let client: DavClient
    let collectionUrl: String
    let kind: CollectionKind
    let stateJson: String?
    let maxMembers: UInt32

    /// An iterator that starts from the `stateJson` the sequence was made with.
    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, collectionUrl: collectionUrl, kind: kind, stateJson: stateJson,
                 maxMembers: maxMembers)
    }

    /// Fetches one batch per `next()`, from the state the previous batch returned.
    public struct Iterator: AsyncIteratorProtocol {
        let client: DavClient
        let collectionUrl: String
        let kind: CollectionKind
        var stateJson: String?
        let maxMembers: UInt32
        var finished = false

        /// The next batch, or nil once a batch had `more` false.
        public mutating func next() async throws -> SyncResult? {
            if finished { return nil }
            let batch = try await client.syncBatch(collectionUrl: collectionUrl, kind: kind,
                                                   stateJson: stateJson, maxMembers: maxMembers)
            finished = !batch.more
            stateJson = batch.stateJson
            return batch
        }
    }
}
