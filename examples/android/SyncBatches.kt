// The batched sync as a Kotlin Flow, and its use: copy this file into the app (the jar has only
// generated sources). Compiled and tested by bindings-mobile/kotlin: SyncBatchesTest replays the
// recorded batch vectors through it (whole, and stopped after the first batch then resumed), and
// LiveRadicaleTest runs it against Radicale.
package dev.davkit.example

import dev.davkit.Change
import dev.davkit.DavClient
import dev.davkit.SyncResult
import dev.davkit.core.Collection
import dev.davkit.core.CollectionKind
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * The batched sync as a cold [Flow]: one `syncBatch` per element, each from the `stateJson` the
 * previous batch returned. `emit` suspends until the collector has handled the batch, so apply
 * its changes and store its `stateJson` (a checkpoint: resuming from it neither loses nor repeats
 * a change) in `collect`; the next batch is fetched only after that, and memory is bounded by
 * the batch. Completes after the batch whose `more` is false: the core sets it when no member is
 * left, and when the same members failed again and nothing else moved (they stay pending, see its
 * `problems`; the next sync tries them again).
 */
fun DavClient.syncBatches(collectionUrl: String, kind: CollectionKind, stateJson: String?,
                          maxMembers: UInt = 500u): Flow<SyncResult> = flow {
    var state = stateJson
    while (true) {
        val batch = syncBatch(collectionUrl, kind, state, maxMembers)
        emit(batch)
        if (!batch.more) break
        state = batch.stateJson
    }
}

/**
 * A use of [syncBatches], as a WorkManager worker would run it: every batch's changes go to the
 * app's storage (`apply`, one transaction per batch in a real app) and its checkpoint into
 * `states` right after, so a worker stopped between batches (its time ran out, the app was
 * swiped away) continues from the last stored checkpoint on its next run. Returns how many
 * changes were applied.
 */
suspend fun syncInBatches(client: DavClient, collection: Collection, states: StateStore,
                          maxMembers: UInt = 200u, apply: (Change) -> Unit): Int {
    var applied = 0
    client.syncBatches(collection.url, collection.kind, states[collection.url], maxMembers).collect { batch ->
        batch.changes.forEach(apply)
        applied += batch.changes.size
        states[collection.url] = batch.stateJson       // the checkpoint, stored with the changes
    }
    return applied
}
