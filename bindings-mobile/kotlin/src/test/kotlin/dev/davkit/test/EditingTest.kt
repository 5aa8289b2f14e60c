package dev.davkit.test

import dev.davkit.ContactEditor
import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
import dev.davkit.formats.AlarmAction
import dev.davkit.core.DavObject
import dev.davkit.DavException
import dev.davkit.EventEditor
import dev.davkit.EventTarget
import dev.davkit.EventTime
import dev.davkit.HttpHeader
import dev.davkit.HttpRequest
import dev.davkit.HttpResponse
import dev.davkit.HttpTransport
import dev.davkit.OAuthClient
import dev.davkit.Pkce
import dev.davkit.formats.StructuredName
import dev.davkit.formats.TypedValue
import dev.davkit.formats.VCardVersion
import dev.davkit.convertContact
import dev.davkit.parseContact
import kotlinx.coroutines.runBlocking
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.assertThrows
import java.io.File
import java.lang.reflect.Modifier

/** Runs tests/editing/scenarios.json (the shared content-API scenarios, read in place; rules in
 *  tests/editing/README.md) through the Kotlin bindings, like the Python runner. */
class EditingTest {
    private val file = File(System.getProperty("davkit.vectors") ?: "../../tests/vectors").canonicalFile
        .resolveSibling("editing").resolve("scenarios.json")
    @Suppress("UNCHECKED_CAST")
    private val doc = CoreJson.plain(JSONObject(file.readText())) as Map<String, Any?>

    @Suppress("UNCHECKED_CAST")
    private fun list(v: Any?) = v as List<Map<String, Any?>>

    @Suppress("UNCHECKED_CAST")
    private fun obj(v: Any?) = v as Map<String, Any?>

    /** A generated record in the core's JSON shape: fields in snake_case, enums lower-case. */
    private fun plain(v: Any?): Any? = when (v) {
        null, is String, is Boolean -> v
        is Number -> v.toLong()
        is UByte -> v.toLong()
        is UShort -> v.toLong()
        is UInt -> v.toLong()
        is ULong -> v.toLong()
        is Enum<*> -> v.name.lowercase()
        is List<*> -> v.map { plain(it) }
        else -> v.javaClass.declaredFields.filter { !Modifier.isStatic(it.modifiers) }.associate { f ->
            f.isAccessible = true
            f.name.replace(Regex("([A-Z])")) { "_" + it.value.lowercase() } to plain(f.get(v))
        }
    }

    /** The scenario's `interop` file (written by Rust): the same bytes, and read back and
     *  written again unchanged. */
    private fun checkInterop(scenario: Map<String, Any?>, written: String, reparse: (String) -> String) {
        val name = scenario["interop"] as String? ?: return
        val stored = file.resolveSibling(name).readBytes().toString(Charsets.UTF_8)
        assertEquals(stored, written, name)
        assertEquals(stored, reparse(stored), "$name read and written again")
    }

    private fun assertSubset(path: String, expected: Any?, actual: Any?) =
        assertEquals(emptyList<String>(), CoreJson.subsetProblems(path, expected, actual))

    private fun target(t: Any?) = obj(t).let {
        EventTarget(it["uid"] as String, it["recurrence_id"] as String?, it["tzid"] as String?)
    }

    private fun time(t: Any?) = obj(t).let { EventTime(it["value"] as String, it["tzid"] as String?) }

    @Suppress("UNCHECKED_CAST")
    private fun eventStep(e: EventEditor, s: Map<String, Any?>): Any? {
        val t = target(s["target"])
        return when (val op = s["op"]) {
            "set_summary" -> e.setSummary(t, s["value"] as String?)
            "set_location" -> e.setLocation(t, s["value"] as String?)
            "set_description" -> e.setDescription(t, s["value"] as String?)
            "set_status" -> e.setStatus(t, s["value"] as String?)
            "set_start" -> e.setStart(t, time(s["time"]))
            "set_end" -> e.setEnd(t, s["time"]?.let { time(it) })
            "add_attendee" -> e.addAttendee(t, s["email"] as String, s["common_name"] as String?, s["partstat"] as String?)
            "remove_attendee" -> e.removeAttendee(t, s["address"] as String)
            "set_partstat" -> e.setPartstat(t, s["email"] as String, s["partstat"] as String)
            "cancel_occurrence" -> e.cancelOccurrence(t)
            "alarms" -> plain(e.alarms(t))
            "add_alarm" -> e.addAlarm(t, AlarmAction.valueOf((s["action"] as String).uppercase()), s["trigger"] as String,
                s["related_to_end"] as Boolean? ?: false, s["description"] as String?)
            "remove_alarms" -> e.removeAlarms(t).toLong()
            "split_series" -> e.splitSeries(t, s["new_uid"] as String)
            else -> error("unknown event op $op")
        }
    }

    private fun checkEvents(path: String, e: EventEditor, expect: Map<String, Any?>) {
        val text = e.toIcs()
        expect["events"]?.let { assertSubset("$path.events", it, plain(e.events())) }
        (expect["contains"] as List<*>?)?.forEach { assertTrue(text.contains(it as String), "$path: $it in\n$text") }
        (expect["not_contains"] as List<*>?)?.forEach { assertFalse(text.contains(it as String), "$path: $it in\n$text") }
    }

    @TestFactory
    fun events(): List<DynamicTest> = list(doc["events"]).map { scenario ->
        DynamicTest.dynamicTest(scenario["name"] as String) {
            val editor = EventEditor.parse(scenario["ics"] as String)
            var split: EventEditor? = null
            list(scenario["steps"]).forEachIndexed { i, step ->
                val on = if (step["on"] == "split") split!! else editor
                if (step.containsKey("error")) {
                    val before = on.toIcs()
                    val e = assertThrows<DavException> { eventStep(on, step) }
                    assertEquals(step["error"], e.kind(), "step $i")
                    assertEquals(before, on.toIcs(), "step $i: a refused edit changes nothing")
                    return@forEachIndexed
                }
                val out = eventStep(on, step)
                if (step["op"] == "split_series") split = out as EventEditor
                else if (step.containsKey("expect")) assertEquals(step["expect"], out, "step $i")
            }
            val expect = obj(scenario["expect"])
            checkEvents(scenario["name"] as String, editor, expect)
            checkInterop(scenario, editor.toIcs()) { EventEditor.parse(it).toIcs() }
            expect["split"]?.let { checkEvents("${scenario["name"]}.split", split!!, obj(it)) }
        }
    }

    private fun typed(v: Any?) = obj(v).let {
        TypedValue(it["value"] as String, (it["types"] as List<*>?)?.map { t -> t as String } ?: emptyList(),
            (it["pref"] as Long?)?.toUByte())
    }

    @TestFactory
    fun contacts(): List<DynamicTest> = list(doc["contacts"]).map { scenario ->
        DynamicTest.dynamicTest(scenario["name"] as String) {
            val c = ContactEditor.parse(scenario["vcf"] as String)
            list(scenario["steps"]).forEachIndexed { i, s ->
                val out = contactStep(c, s)
                if (s.containsKey("expect")) assertEquals(s["expect"], out, "step $i")
            }
            checkInterop(scenario, c.toVcf()) { ContactEditor.parse(it).toVcf() }
            val expect = obj(scenario["expect"])
            expect["summary"]?.let { assertSubset("summary", it, plain(c.summary())) }
            (expect["contains"] as List<*>?)?.forEach { assertTrue(c.toVcf().contains(it as String), "$it") }
            for ((version, key) in listOf(VCardVersion.V3 to "v3", VCardVersion.V4 to "v4")) {
                val want = expect[key]?.let { obj(it) } ?: continue
                val text = c.toVersion(version)
                assertEquals(convertContact(c.toVcf(), version), text)
                (want["contains"] as List<*>?)?.forEach { assertTrue(text.contains(it as String), "$key: $it in\n$text") }
                want["summary"]?.let { assertSubset("$key.summary", it, plain(parseContact(text))) }
            }
        }
    }

    private fun contactStep(c: ContactEditor, s: Map<String, Any?>): Any? =
        when (val op = s["op"]) {
            "set_full_name" -> c.setFullName(s["value"] as String)
            "set_note" -> c.setNote(s["value"] as String?)
            "set_title" -> c.setTitle(s["value"] as String?)
            "set_org" -> c.setOrg((s["value"] as List<*>?)?.map { it as String })
            "set_categories" -> c.setCategories((s["value"] as List<*>).map { it as String })
            "set_birthday" -> c.setBirthday(s["value"] as String?)
            "set_name" -> obj(s["value"]).let {
                c.setName(StructuredName(it["family"] as String, it["given"] as String, it["additional"] as String,
                    it["prefixes"] as String, it["suffixes"] as String))
            }
            "add_email" -> c.addEmail(typed(s["value"]))
            "add_tel" -> c.addTel(typed(s["value"]))
            "add_url" -> c.addUrl(typed(s["value"]))
            "remove_all" -> c.removeAll(s["name"] as String).toLong()
            else -> error("unknown contact op $op")
        }

    @TestFactory
    fun writeBack(): List<DynamicTest> {
        val raw = JSONObject(file.readText()).getJSONArray("write_back")
        return (0 until raw.length()).map { raw.getJSONObject(it) }.map { scenario ->
            DynamicTest.dynamicTest(scenario.getString("name")) {
                val o = scenario.getJSONObject("object")
                val obj = DavObject(o.getString("url"), if (o.isNull("etag")) null else o.getString("etag"), o.getString("data"))
                val event = scenario.getString("kind") == "event"
                val ev = if (event) EventEditor.fromObject(obj) else null
                val card = if (event) null else ContactEditor.fromObject(obj)
                val steps = list(CoreJson.plain(scenario.getJSONArray("steps")))
                for (step in steps) if (ev != null) eventStep(ev, step) else contactStep(card!!, step)
                val basic = scenario.getJSONObject("config").getJSONObject("credentials").getJSONObject("basic")
                val config = DavConfig(serverUrl = scenario.getJSONObject("config").getString("server_url"),
                    credentials = Credentials.basic(basic.getString("username"), basic.getString("password")))
                val saves = scenario.getJSONArray("saves")
                for (i in 0 until saves.length()) {
                    val save = saves.getJSONObject(i)
                    val case = JSONObject().put("exchanges", JSONArray().also { a -> save.optJSONObject("exchange")?.let { a.put(it) } })
                    val replay = VectorsTest.Replay(case, file.parentFile)
                    val client = DavClient(config, replay)
                    val expect = obj(CoreJson.plain(save.getJSONObject("expect")))
                    val call = suspend { if (ev != null) client.saveEvent(ev) else client.saveContact(card!!) }
                    if (expect.containsKey("error")) {
                        val e = assertThrows<DavException> { runBlocking { call() } }
                        assertEquals(expect["error"], e.kind(), "save $i")
                    } else {
                        assertSubset("save $i", expect["result"], plain(runBlocking { call() }))
                    }
                    assertEquals(emptyList<String>(), replay.problems, "save $i")
                    assertTrue(replay.used.all { it }, "save $i: every exchange is used")
                }
            }
        }
    }

    @Test
    fun pkce() {
        for (case in list(doc["pkce"])) {
            if (case.containsKey("error")) {
                val e = assertThrows<DavException> { Pkce.fromVerifier(case["verifier"] as String) }
                assertEquals(case["error"], e.kind())
                continue
            }
            val pkce = (case["random_bytes_hex"] as String?)?.let { hex ->
                Pkce.fromRandomBytes(hex.chunked(2).map { it.toInt(16).toByte() }.toByteArray())
            } ?: Pkce.fromVerifier(case["verifier"] as String)
            assertEquals(case["verifier"], pkce.verifier())
            case["challenge"]?.let { assertEquals(it, pkce.challenge()) }
            assertFalse(pkce.toString().contains(case["verifier"] as String))
        }
    }

    /** Checks the one token request it expects and answers it. */
    private class Replay(val want: Map<String, Any?>, val url: String) : HttpTransport {
        var seen = 0
        override suspend fun send(request: HttpRequest): HttpResponse {
            seen++
            val body = request.body()?.toString(Charsets.UTF_8) ?: ""
            check(request.method() == "POST" && request.url() == url) { "unexpected ${request.method()} ${request.url()}" }
            (want["body_contains"] as List<*>).forEach { check(body.contains(it as String)) { "$it not in the body" } }
            @Suppress("UNCHECKED_CAST") val r = want["response"] as Map<String, Any?>
            return HttpResponse((r["status"] as Long).toUShort(), listOf(HttpHeader("Content-Type", "application/json")),
                (r["body"] as String).toByteArray(), null)
        }
    }

    @Test
    fun codeFlow() {
        for (case in list(doc["oauth"])) {
            val c = obj(case["client"])
            val client = if (c["google"] == true) OAuthClient.google(c["client_id"] as String, c["redirect_uri"] as String)
            else OAuthClient(c["client_id"] as String, c["redirect_uri"] as String, c["auth_url"] as String,
                c["token_url"] as String, c["client_secret"] as String?)
            val pkce = Pkce.fromVerifier(case["verifier"] as String)
            val url = client.authorizationUrl((case["scopes"] as List<*>).map { it as String }, pkce, case["state"] as String)
            assertTrue(url.startsWith(case["authorization_url_starts_with"] as String), url)
            (case["authorization_url_contains"] as List<*>).forEach { assertTrue(url.contains(it as String), "$it in $url") }

            val ex = obj(case["exchange"])
            val shown = mutableListOf<Any>(client, pkce)
            val request = client.exchangeCodeRequest(case["code"] as String, pkce)
            assertEquals(ex["url"], request.url())
            shown += request
            val transport = Replay(ex, ex["url"] as String)
            val tokens = runBlocking { client.exchangeCode(transport, case["code"] as String, pkce) }
            assertEquals(1, transport.seen)
            val want = obj(ex["expect"])
            assertEquals(want["access_token"], tokens.accessToken())
            assertEquals(want["refresh_token"], tokens.refreshToken())
            assertEquals(want["expires_in"], tokens.expiresIn()?.toLong())
            shown += tokens

            val rf = obj(case["refresh"])
            val e = assertThrows<DavException> { runBlocking { client.refresh(Replay(rf, ex["url"] as String), rf["refresh_token"] as String) } }
            assertEquals(rf["error"], e.kind())
            shown += e
            shown += client.refreshRequest(rf["refresh_token"] as String)

            // The refreshing TokenProvider asks the token endpoint through the same transport.
            val provider = client.tokenProvider(Replay(rf, ex["url"] as String), rf["refresh_token"] as String, null)
            val pe = assertThrows<DavException> { runBlocking { provider.token(false) } }
            assertEquals(rf["error"], pe.kind())
            val fresh = client.tokenProvider(Replay(rf, ex["url"] as String), rf["refresh_token"] as String, "ya29.at-hand")
            assertEquals("ya29.at-hand", runBlocking { fresh.token(false) })
            shown += provider   // the token providers print no token either
            shown += fresh

            for (value in shown) for (secret in (case["secrets"] as List<*>) + "ya29.at-hand") {
                assertFalse(value.toString().contains(secret as String), "$secret in $value")
            }
        }
    }
}
