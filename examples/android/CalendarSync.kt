// A complete use of davkit from Kotlin (the README's example): discover the account, sync every
// calendar from its stored state, read the events, expand recurrences, write with ETags.
// Compiled and run against Radicale by bindings-mobile/kotlin (LiveRadicaleTest).
package dev.davkit.example

import dev.davkit.Change
import dev.davkit.core.CollectionKind
import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
import dev.davkit.DavException
import dev.davkit.core.Service
import dev.davkit.expandEvents
import dev.davkit.parseEvents
import java.time.Instant
import java.time.temporal.ChronoUnit

/** Where an app keeps sync states (a database table in a real app), by collection URL. */
typealias StateStore = MutableMap<String, String>

suspend fun syncCalendars(serverUrl: String, user: String, password: String, states: StateStore): List<String> {
    val log = mutableListOf<String>()
    val transport = OkHttpTransport()
    val config = DavConfig(serverUrl = serverUrl, credentials = Credentials.basic(user, password))
    DavClient(config, transport, sleeper = transport).use { client ->
        val account = client.discover(Service.BOTH)
        for (calendar in account.collections.filter { it.kind == CollectionKind.CALENDAR }) {
            val result = try {
                client.sync(calendar.url, calendar.kind, states[calendar.url])
            } catch (e: DavException.Unauthorized) {
                throw e                                      // ask the user to sign in again
            } catch (e: DavException) {
                log += "${calendar.displayName}: ${e.kind()} (${e.httpStatus()})"; continue
            }
            for (change in result.changes) {
                when (change) {
                    is Change.Added, is Change.Changed -> {
                        val obj = if (change is Change.Added) change.`object` else (change as Change.Changed).`object`
                        for (event in parseEvents(obj.data ?: continue)) {
                            log += "${calendar.displayName}: ${event.summary} at ${event.start?.value} (etag ${obj.etag})"
                        }
                        val now = Instant.parse("2026-03-01T00:00:00Z")
                        val next = expandEvents(obj.data!!, now, now.plus(7, ChronoUnit.DAYS))
                        next.occurrences.forEach { log += "  occurs ${it.startUtc} ${it.summary}" }
                    }
                    is Change.Deleted -> log += "${calendar.displayName}: deleted ${change.url}"
                }
            }
            states[calendar.url] = result.stateJson              // only after applying the changes
        }
    }
    return log
}

/** Renames an event unless someone changed it since we read it (then re-read and merge). */
suspend fun rename(client: DavClient, url: String, newSummary: String): Boolean {
    val current = client.getObject(url)
    val edited = current.data!!.replace(Regex("SUMMARY:.*\r\n"), "SUMMARY:$newSummary\r\n")
    return try {
        client.updateObject(url, edited, current.etag!!); true
    } catch (e: DavException.PreconditionFailed) {
        false                                                    // 412: changed elsewhere
    }
}
