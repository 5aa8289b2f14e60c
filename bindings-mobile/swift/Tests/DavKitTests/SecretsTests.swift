// Nothing that carries a secret prints it: `description` and `debugDescription`
// (`String(describing:)`, `String(reflecting:)`, string interpolation) of the credentials, the configuration, a request with an
// Authorization header, a response with a cookie, and an error. NOT compiled on the machines this
// project is built on (no Swift toolchain there): scripts/test-mobile.sh checks instead that the
// generated types route both descriptions through the Rust side's redacting Display/Debug.
// (`dump` and Mirror read a record's stored fields directly: an `HttpHeader`'s value is one.)
// Written against the generated DavKit.swift, for a Mac: `swift test`.
import DavKit
import Foundation
import XCTest

final class Capture: HttpTransport, @unchecked Sendable {
    let secret: String
    private(set) var requests: [HttpRequest] = []
    private(set) var responses: [HttpResponse] = []
    init(secret: String) { self.secret = secret }

    func send(request: HttpRequest) async throws -> HttpResponse {
        let response = HttpResponse(status: 401,
                                    headers: [HttpHeader(name: "Set-Cookie", value: "session=\(secret)")],
                                    body: Data(secret.utf8), finalUrl: nil)
        requests.append(request)
        responses.append(response)
        return response
    }
}

final class SecretsTests: XCTestCase {
    let secret = "pw-secret-4711"
    var basic: String { Data("alice:\(secret)".utf8).base64EncodedString() }

    func assertHidden(_ values: Any..., file: StaticString = #filePath, line: UInt = #line) {
        for value in values {
            for shown in [String(describing: value), String(reflecting: value), "\(value)"] {
                XCTAssertFalse(shown.contains(secret), shown, file: file, line: line)
                XCTAssertFalse(shown.contains(basic), shown, file: file, line: line)
            }
        }
    }

    func testCredentialsAndConfig() {
        let creds = Credentials.basic(username: "alice", password: secret)
        let config = DavConfig(serverUrl: "https://alice:\(secret)@dav.example.com/", credentials: creds)
        let digest = Credentials.digest(username: "alice", password: secret)
        assertHidden(creds, digest, Credentials.bearer(token: secret), config,
                     DavConfig(serverUrl: "https://dav.example.com/", credentials: digest))
        XCTAssertEqual(creds.scheme(), "Basic")
        XCTAssertEqual(digest.scheme(), "Digest")
        // A confidential OAuth client: its client secret is not printed either.
        let oauth = OAuthClient(clientId: "app-id", redirectUri: "https://app.example.com/cb",
                                authUrl: "https://auth.example.com/authorize",
                                tokenUrl: "https://auth.example.com/token", clientSecret: secret)
        assertHidden(oauth)
    }

    func testRequestResponseAndError() async throws {
        let transport = Capture(secret: secret)
        let config = DavConfig(serverUrl: "https://dav.example.com/",
                               credentials: Credentials.basic(username: "alice", password: secret))
        let client = try DavClient(config: config, transport: transport)
        do {
            _ = try await client.getObject(url: "https://dav.example.com/cal/a.ics")
            XCTFail("a 401 is an error")
        } catch let error as DavError {
            XCTAssertEqual(error.kind(), "Unauthorized")
            assertHidden(error, error.localizedDescription)
        }
        let request = try XCTUnwrap(transport.requests.first)
        XCTAssertEqual(request.header(name: "authorization"), "Basic \(basic)")
        assertHidden(request, request.headers(), transport.responses[0])
    }
}
