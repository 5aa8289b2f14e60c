package dev.davkit.test

import dev.davkit.Change
import dev.davkit.core.Collection
import dev.davkit.core.CollectionKind
import dev.davkit.core.DavObject
import dev.davkit.core.GcalCalendar
import dev.davkit.GcalChannel
import dev.davkit.core.GcalNotification
import dev.davkit.core.Discovery
import dev.davkit.MemberProblem
import dev.davkit.core.MultigetResult
import dev.davkit.core.SyncMethod
import dev.davkit.SyncResult
import dev.davkit.core.WriteResult
import org.json.JSONArray
import org.json.JSONObject

/** Binding values in the core's JSON shape (snake_case keys, lower-case kinds), as plain
 *  maps, lists, strings, longs and booleans, so they compare with `expect.result`. */
object CoreJson {
    fun of(v: Any?): Any? = when (v) {
        null, is String, is Boolean -> v
        is Unit -> null
        is Long -> v
        is Number -> v.toLong()
        is UShort -> v.toLong()
        is UInt -> v.toLong()
        is ULong -> v.toLong()
        is List<*> -> v.map { of(it) }
        is CollectionKind -> when (v) {
            CollectionKind.CALENDAR -> "calendar"
            CollectionKind.ADDRESS_BOOK -> "addressbook"
            CollectionKind.OTHER -> "other"
        }
        is SyncMethod -> v.name.lowercase().replace('_', '-')
        is Discovery -> mapOf(
            "principal" to v.principal,
            "calendar_home_sets" to v.calendarHomeSets,
            "addressbook_home_sets" to v.addressbookHomeSets,
            "collections" to of(v.collections),
            "scheduling" to v.scheduling.let { s ->
                mapOf("user_addresses" to s.userAddresses, "preferred_address" to s.preferredAddress, "inbox_url" to s.inboxUrl,
                    "outbox_url" to s.outboxUrl, "default_calendar_url" to s.defaultCalendarUrl, "auto_schedule" to s.autoSchedule)
            },
        )
        is Collection -> mapOf(
            "url" to v.url, "kind" to of(v.kind), "display_name" to v.displayName,
            "description" to v.description, "color" to v.color, "ctag" to v.ctag,
            "sync_token" to v.syncToken, "components" to v.components,
            "privileges" to v.privileges, "resource_types" to v.resourceTypes,
            "add_member_url" to v.addMemberUrl, "supports_sync_collection" to v.supportsSyncCollection,
        )
        is DavObject -> mapOf("url" to v.url, "etag" to v.etag, "data" to v.data)
        is WriteResult -> mapOf("url" to v.url, "etag" to v.etag, "data" to v.data, "replaced" to v.replaced)
        is MultigetResult -> mapOf("objects" to of(v.objects), "missing" to v.missing, "unanswered" to v.unanswered)
        is Change.Added -> mapOf("type" to "added") + (of(v.`object`) as Map<*, *>)
        is Change.Changed -> mapOf("type" to "changed") + (of(v.`object`) as Map<*, *>)
        is Change.Deleted -> mapOf("type" to "deleted", "url" to v.url)
        is GcalCalendar -> mapOf(
            "id" to v.id, "summary" to v.summary, "description" to v.description, "time_zone" to v.timeZone,
            "background_color" to v.backgroundColor, "access_role" to v.accessRole, "primary" to v.primary,
        )
        is GcalChannel -> mapOf(
            "id" to v.id, "resource_id" to v.resourceId, "resource_uri" to v.resourceUri, "token" to v.token,
            "expiration_ms" to v.expirationMs,
        )
        is GcalNotification -> mapOf(
            "channel_id" to v.channelId, "resource_id" to v.resourceId, "resource_uri" to v.resourceUri,
            "state" to v.state.name.lowercase(), "message_number" to of(v.messageNumber), "expiration_ms" to v.expirationMs,
        )
        is SyncResult -> mapOf(
            "changes" to of(v.changes),
            "state" to plain(JSONObject(v.stateJson)),
            "method" to of(v.method),
            "token_was_reset" to v.tokenWasReset,
            "problems" to of(v.problems),
            "more" to v.more,
        )
        is MemberProblem -> mapOf("url" to v.url, "kind" to v.kind, "status" to of(v.status), "message" to v.message)
        else -> error("cannot convert ${v::class}")
    }

    /** org.json values as plain Kotlin values (JSONObject.NULL as null, numbers as Long). */
    fun plain(v: Any?): Any? = when (v) {
        null, JSONObject.NULL -> null
        is JSONObject -> v.keySet().associateWith { plain(v.get(it)) }
        is JSONArray -> (0 until v.length()).map { plain(v.get(it)) }
        is Number -> v.toLong()
        else -> v
    }

    /** `expected` is contained in `actual` (objects by key, arrays element by element). */
    fun subsetProblems(path: String, expected: Any?, actual: Any?): List<String> = when (expected) {
        is Map<*, *> ->
            if (actual !is Map<*, *>) listOf("$path: expected an object, got $actual")
            else expected.flatMap { (k, ev) -> subsetProblems("$path.$k", ev, actual[k]) }
        is List<*> ->
            if (actual !is List<*>) listOf("$path: expected an array, got $actual")
            else if (actual.size != expected.size) listOf("$path: expected ${expected.size} items, got ${actual.size}: $actual")
            else expected.indices.flatMap { subsetProblems("$path[$it]", expected[it], actual[it]) }
        else -> if (expected == actual) emptyList() else listOf("$path: expected $expected, got $actual")
    }
}
