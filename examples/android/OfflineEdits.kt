// Offline edits with davkit's write queue from Kotlin: edits made without a connection go into a
// WriteQueue stored as JSON next to the app's data; when the device is back online the queue is
// flushed and each outcome applied to the local copy. Conflicts follow the queue's policy
// (keep-both by default: both versions are kept and shown to the user to choose).
// Compiled with bindings-mobile/kotlin's tests.
package dev.davkit.example

import dev.davkit.DavClient
import dev.davkit.WriteQueue
import org.json.JSONObject

/** Where the app keeps small texts (SharedPreferences, a database row...). */
interface TextStore {
    fun get(key: String): String?
    fun put(key: String, value: String)
}

/** An object as the app's local copy holds it. */
data class LocalObject(val url: String, val etag: String, val data: String)

class OfflineEdits(private val store: TextStore, policy: String = "keep-both") {
    val queue: WriteQueue = store.get(KEY)?.let { WriteQueue.fromJson(it) } ?: WriteQueue(policy)

    /** Offline: queue an edit of an object as last read. Nothing is sent. */
    fun edit(obj: LocalObject, newData: String): ULong {
        val id = queue.enqueueUpdate(obj.url, newData, obj.etag, obj.data)
        store.put(KEY, queue.toJson())
        return id
    }

    /** Offline: queue a deletion. */
    fun delete(obj: LocalObject): ULong {
        val id = queue.enqueueDelete(obj.url, obj.etag, obj.data)
        store.put(KEY, queue.toJson())
        return id
    }

    /**
     * Online again: send the queue. Returns one line per outcome; `apply` gets the new ETag
     * and data of each object written (or null data for a deletion) for the local copy.
     */
    suspend fun flush(client: DavClient, apply: (url: String, etag: String?, data: String?) -> Unit): List<String> {
        // Stored *before* anything is sent: after a crash the next flush verifies, never repeats.
        store.put(KEY, queue.beginFlush())
        val result = JSONObject(client.flush(queue))
        store.put(KEY, queue.toJson())
        val lines = mutableListOf<String>()
        val outcomes = result.getJSONArray("outcomes")
        for (i in 0 until outcomes.length()) {
            val o = outcomes.getJSONObject(i)
            val kind = o.getJSONObject("kind")
            val url = o.getString("url")
            when (kind.getString("type")) {
                "written" -> apply(url, kind.optString("etag").ifEmpty { null }, kind.optString("data").ifEmpty { null })
                "deleted" -> apply(url, null, null)
                "server-kept" -> kind.optJSONObject("server").let { s -> apply(url, s?.optString("etag"), s?.optString("data")) }
                // "conflict": the entry stays queued; show kind["local"] and kind["server"] and
                // call queue.resolve(id, "keep-local" | "keep-server" | "replace", data).
            }
            lines += "#${o.getLong("id")} ${kind.getString("type")} $url"
            // A create the server answered 200/204: it ignored If-None-Match and overwrote
            // an object already there, which is gone now.
            if (kind.optBoolean("replaced")) lines += "   the create replaced another object at $url"
        }
        if (!result.isNull("stopped")) lines += "stopped early: ${result.getJSONObject("stopped").optString("kind")}"
        return lines
    }

    /** The user chose a side of a kept conflict; the next flush sends it. */
    fun resolve(id: ULong, keepLocal: Boolean) {
        queue.resolve(id, if (keepLocal) "keep-local" else "keep-server", null)
        store.put(KEY, queue.toJson())
    }

    private companion object {
        const val KEY = "davkit.queue"
    }
}
