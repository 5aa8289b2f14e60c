// Signing in to Google with OAuth 2.0 and PKCE, then a DavClient whose tokens refresh by
// themselves (the README's OAuth example). davkit builds the authorization URL and the token
// requests and reads the answers; the app opens the browser and sends the requests through its
// own HttpTransport. Compiled and run by bindings-mobile/kotlin (GoogleSignInTest, against
// recorded answers).
package dev.davkit.example

import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
import dev.davkit.HttpTransport
import dev.davkit.OAuthClient
import dev.davkit.Pkce
import java.security.SecureRandom

const val GOOGLE_CALDAV = "https://apidata.googleusercontent.com/caldav/v2/"
const val SCOPE_CALENDAR = "https://www.googleapis.com/auth/calendar"

/** Step 1's result: the URL to open (a Custom Tab), and what to keep until the redirect. Not a
 *  data class: the PKCE object prints redacted, and so does this. */
class SignIn(val url: String, val pkce: Pkce, val state: String) {
    override fun toString() = "SignIn(url=$url, pkce=$pkce)"
}

/** Step 1: a fresh PKCE verifier and `state`, and the authorization URL for the calendar scope.
 *  If the app may be killed while the user is in the browser, keep `pkce.verifier()` in
 *  encrypted storage and rebuild it with `Pkce.fromVerifier`. */
fun startGoogleSignIn(oauth: OAuthClient, random: SecureRandom = SecureRandom()): SignIn {
    val pkce = Pkce.fromRandomBytes(ByteArray(32).also(random::nextBytes))
    val state = ByteArray(16).also(random::nextBytes).joinToString("") { "%02x".format(it) }
    return SignIn(oauth.authorizationUrl(listOf(SCOPE_CALENDAR), pkce, state), pkce, state)
}

/** Step 2: the redirect brought back `code` and `state`. Trades the code for tokens, hands the
 *  refresh token to `keep` (the Keystore), and returns a client that asks for a new access
 *  token by itself when Google answers 401. */
suspend fun finishGoogleSignIn(
    oauth: OAuthClient, signIn: SignIn, code: String, returnedState: String,
    transport: HttpTransport, keep: (refreshToken: String) -> Unit,
): DavClient {
    require(returnedState == signIn.state) { "the redirect is not from this sign-in" }
    val tokens = oauth.exchangeCode(transport, code, signIn.pkce)
    val refreshToken = tokens.refreshToken() ?: error("Google sent no refresh token (prompt=consent asks for one)")
    keep(refreshToken)
    return DavClient(
        DavConfig(serverUrl = GOOGLE_CALDAV, credentials = Credentials.none()), transport,
        tokenProvider = oauth.tokenProvider(transport, refreshToken, tokens.accessToken()),
    )
}

/** Later runs: a client from the stored refresh token alone. */
fun googleClient(oauth: OAuthClient, refreshToken: String, transport: HttpTransport): DavClient =
    DavClient(
        DavConfig(serverUrl = GOOGLE_CALDAV, credentials = Credentials.none()), transport,
        tokenProvider = oauth.tokenProvider(transport, refreshToken),
    )
