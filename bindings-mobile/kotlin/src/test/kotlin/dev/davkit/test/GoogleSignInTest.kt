package dev.davkit.test

import dev.davkit.HttpHeader
import dev.davkit.HttpRequest
import dev.davkit.HttpResponse
import dev.davkit.HttpTransport
import dev.davkit.OAuthClient
import dev.davkit.example.finishGoogleSignIn
import dev.davkit.example.googleClient
import dev.davkit.example.startGoogleSignIn
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.security.SecureRandom

/** examples/android/GoogleSignIn.kt against recorded answers: the token endpoint and a Google
 *  CalDAV GET that must carry the access token, then a 401 that makes the client refresh. */
class GoogleSignInTest {
    private val event = "https://apidata.googleusercontent.com/caldav/v2/alice%40gmail.com/events/e1.ics"
    private val ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:e1\r\n" +
        "DTSTAMP:20250101T000000Z\r\nDTSTART:20250301T090000Z\r\nSUMMARY:Hi\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

    /** The token endpoint hands out `ya29.first` for the code and `ya29.second` on refresh; the
     *  calendar accepts only the newest token it has seen handed out, as Google does once the
     *  first one expired. */
    private inner class Google : HttpTransport {
        val log = mutableListOf<String>()
        var current = ""
        override suspend fun send(request: HttpRequest): HttpResponse {
            val body = request.body()?.toString(Charsets.UTF_8) ?: ""
            log += "${request.method()} ${request.url()} ${body.substringBefore("&")}"
            if (request.url() == "https://oauth2.googleapis.com/token") {
                current = if (body.contains("grant_type=authorization_code")) "ya29.first" else "ya29.second"
                val refresh = if (current == "ya29.first") ",\"refresh_token\":\"1//stored\"" else ""
                return json("{\"access_token\":\"$current\",\"expires_in\":3599$refresh}")
            }
            val auth = request.header("authorization")
            if (auth != "Bearer ya29.second") return HttpResponse(401u, emptyList(), ByteArray(0), null)
            return HttpResponse(200u, listOf(HttpHeader("ETag", "\"7\""), HttpHeader("Content-Type", "text/calendar")),
                ics.toByteArray(), null)
        }

        private fun json(s: String) = HttpResponse(200u, listOf(HttpHeader("Content-Type", "application/json")), s.toByteArray(), null)
    }

    @Test
    fun signInThenTheClientRefreshesByItself() {
        val oauth = OAuthClient.google("123.apps.googleusercontent.com", "com.example.app:/oauth2redirect")
        val signIn = startGoogleSignIn(oauth, SecureRandom())
        assertTrue(signIn.url.contains("code_challenge=${signIn.pkce.challenge()}"), signIn.url)
        assertTrue(signIn.url.contains("state=${signIn.state}"), signIn.url)
        assertFalse(signIn.toString().contains(signIn.pkce.verifier()))

        val google = Google()
        assertThrows<IllegalArgumentException> {
            runBlocking { finishGoogleSignIn(oauth, signIn, "4/code", "forged-state", google) {} }
        }
        var kept = ""
        val client = runBlocking { finishGoogleSignIn(oauth, signIn, "4/code", signIn.state, google) { kept = it } }
        assertEquals("1//stored", kept)
        val obj = runBlocking { client.getObject(event) }           // 401 with ya29.first, refresh, retry
        assertEquals("\"7\"", obj.etag)
        assertEquals(listOf(
            "POST https://oauth2.googleapis.com/token client_id=123.apps.googleusercontent.com",
            "GET $event ",
            "POST https://oauth2.googleapis.com/token client_id=123.apps.googleusercontent.com",
            "GET $event ",
        ), google.log)

        // A later run starts from the stored refresh token alone.
        val later = Google()
        val again = googleClient(oauth, kept, later)
        assertEquals("\"7\"", runBlocking { again.getObject(event) }.etag)
        assertEquals(2, later.log.size)
    }
}
