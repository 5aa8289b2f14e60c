// davkit's HttpTransport on URLSession (iOS 15+, macOS 12+); copy it into your app.
// Written against the generated DavKit.swift; NOT compiled on the Linux machines davkit is
// built on (no Swift toolchain there).
import DavKit
import Foundation

final class URLSessionTransport: HttpTransport, Sleeper, @unchecked Sendable {
    private let session: URLSession

    init(configuration: URLSessionConfiguration = .default) {
        // No local cache: davkit reads an object back to learn whether a write lost in transit
        // was applied, and a GET answered from URLCache (a response with Last-Modified and no
        // Cache-Control may be reused without asking the server) would show the version before
        // the write. davkit keeps ETags and sync state itself.
        let configuration = configuration.copy() as! URLSessionConfiguration
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        // davkit follows redirects itself, so credentials never leave their origin.
        // (URLSession may itself resend an idempotent request, PUT and DELETE included, whose
        // connection was lost, Apple's QA1941; a resent write then meets its own If-Match and
        // is reported as a 412. URLSession has no switch for it.)
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    func send(request: HttpRequest) async throws -> HttpResponse {
        guard let url = URL(string: request.url()) else {
            throw DavError.InvalidInput(detail: "not a URL", status: nil, url: request.url(), retryAfterSeconds: nil, bodyExcerpt: nil)
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method()          // PROPFIND, REPORT, MKCALENDAR work as-is
        urlRequest.httpBody = request.body()
        for header in request.headers() {
            urlRequest.addValue(header.value, forHTTPHeaderField: header.name)
        }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await session.data(for: urlRequest)
        } catch {                                        // offline, TLS, timeout, cancelled
            throw DavError.Transport(detail: "\(error)", status: nil, url: request.url(), retryAfterSeconds: nil, bodyExcerpt: nil)
        }
        guard let http = response as? HTTPURLResponse else {
            throw DavError.Transport(detail: "not an HTTP response", status: nil, url: request.url(), retryAfterSeconds: nil, bodyExcerpt: nil)
        }
        let headers = http.allHeaderFields.map { HttpHeader(name: "\($0.key)", value: "\($0.value)") }
        return HttpResponse(status: UInt16(http.statusCode), headers: headers, body: data, finalUrl: nil)
    }

    // Lets davkit wait before retrying a rate-limited request (429, 503).
    func sleep(ms: UInt64) async {
        try? await Task.sleep(nanoseconds: ms * 1_000_000)
    }
}

/// Hands 3xx responses to davkit instead of following them.
private final class NoRedirects: NSObject, URLSessionTaskDelegate {
    func urlSession(_ session: URLSession, task: URLSessionTask,
                    willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest) async -> URLRequest? {
        nil
    }
}
