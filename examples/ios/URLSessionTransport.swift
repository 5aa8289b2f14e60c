// davkit's HttpTransport on URLSession (iOS 15+, macOS 12+); copy it into your app.
// Written against the generated DavKit.swift; NOT compiled on the Linux machines davkit is
// built on (no Swift toolchain there).
import DavKit
import Foundation

final class URLSessionTransport: HttpTransport, Sleeper, @unchecked Sendable {
    private let session: URLSession

    init(configuration: URLSessionConfiguration = .default) {
        // davkit follows redirects itself, so credentials never leave their origin.
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    func send(request: HttpRequest) async throws -> HttpResponse {
        guard let url = URL(string: request.url()) else {
            throw DavError.InvalidInput(detail: "not a URL", status: nil, url: request.url(), retryAfterSeconds: nil)
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
            throw DavError.Transport(detail: "\(error)", status: nil, url: request.url(), retryAfterSeconds: nil)
        }
        guard let http = response as? HTTPURLResponse else {
            throw DavError.Transport(detail: "not an HTTP response", status: nil, url: request.url(), retryAfterSeconds: nil)
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
