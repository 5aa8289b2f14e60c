// Replays every case of tests/vectors/ (read in place) through a Swift HttpTransport, like the
// Kotlin and Python runners. NOT compiled on the machines this project is built on (no Swift
// toolchain there); written against the generated DavKit.swift, for a Mac: `swift test`.
import DavKit
import Foundation
import XCTest

final class ReplayTransport: HttpTransport, @unchecked Sendable {
    private let lock = NSLock()
    private let exchanges: [[String: Any]]
    private let dir: URL
    private(set) var used: [Bool]
    private(set) var problems: [String] = []

    init(case json: [String: Any], dir: URL) {
        exchanges = json["exchanges"] as? [[String: Any]] ?? []
        used = Array(repeating: false, count: exchanges.count)
        self.dir = dir
    }

    func send(request: HttpRequest) async throws -> HttpResponse {
        lock.lock(); defer { lock.unlock() }
        let body = request.body().flatMap { String(data: $0, encoding: .utf8) } ?? ""
        guard let index = exchanges.indices.first(where: { i in
            let want = exchanges[i]["request"] as? [String: Any] ?? [:]
            let parts = want["body_contains"] as? [String] ?? []
            return !used[i] && want["method"] as? String == request.method()
                && want["url"] as? String == request.url() && parts.allSatisfy { body.contains($0) }
        }) else {
            let problem = "unexpected request \(request.method()) \(request.url())"
            problems.append(problem)
            throw DavError.Transport(detail: problem, status: nil, url: nil, retryAfterSeconds: nil, bodyExcerpt: nil)
        }
        used[index] = true
        let want = exchanges[index]["request"] as? [String: Any] ?? [:]
        for (name, value) in want["headers"] as? [String: Any] ?? [:] {
            let actual = request.headers().first { $0.name.lowercased() == name.lowercased() }?.value
            if value is NSNull, actual != nil { problems.append("\(request.url()) must not carry \(name)") }
            if let v = value as? String, actual != v { problems.append("header \(name): \(actual ?? "nil") != \(v)") }
        }
        let r = exchanges[index]["response"] as? [String: Any] ?? [:]
        if let failure = r["transport_error"] as? String {      // network, TLS, CORS
            throw DavError.Transport(detail: failure, status: nil, url: nil, retryAfterSeconds: nil, bodyExcerpt: nil)
        }
        var data = Data((r["body"] as? String ?? "").utf8)
        if let file = r["body_file"] as? String { data = try Data(contentsOf: dir.appendingPathComponent(file)) }
        if let b64 = r["body_base64"] as? String { data = Data(base64Encoded: b64) ?? Data() }
        let headers = (r["headers"] as? [String: String] ?? [:]).map { HttpHeader(name: $0.key, value: $0.value) }
        return HttpResponse(status: UInt16(r["status"] as? Int ?? 0), headers: headers, body: data,
                            finalUrl: r["final_url"] as? String)
    }
}

final class VectorsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("../../../../tests/vectors").standardized

    func config(_ c: [String: Any]) -> DavConfig {
        let creds = c["credentials"] as? [String: Any]
        var credentials = Credentials.none()
        if let basic = creds?["basic"] as? [String: String] {
            credentials = Credentials.basic(username: basic["username"]!, password: basic["password"]!)
        } else if let token = creds?["bearer"] as? String {
            credentials = Credentials.bearer(token: token)
        }
        return DavConfig(serverUrl: c["server_url"] as! String, credentials: credentials,
                         userAgent: "davkit-vectors", profile: c["profile"] as? String,
                         multigetBatchSize: (c["multiget_batch_size"] as? Int).map(UInt32.init),
                         syncPageLimit: (c["sync_page_limit"] as? Int).map(UInt32.init),
                         limits: (c["limits"] as? [String: Int]).map(limits))
    }

    /// The vector's `limits` (the core's snake_case names).
    func limits(_ l: [String: Int]) -> Limits {
        func n(_ key: String) -> UInt64? { l[key].map(UInt64.init) }
        return Limits(maxBodyBytes: n("max_body_bytes"), maxXmlDepth: n("max_xml_depth"),
                      maxXmlElements: n("max_xml_elements"), maxXmlTextBytes: n("max_xml_text_bytes"),
                      maxXmlAttributes: n("max_xml_attributes"),
                      maxXmlNamespaceDeclarations: n("max_xml_namespace_declarations"),
                      maxHrefsPerResponse: n("max_hrefs_per_response"),
                      maxContentLines: n("max_content_lines"), maxInstances: n("max_instances"),
                      maxIterations: n("max_iterations"), maxTotalIterations: n("max_total_iterations"),
                      maxHomeSets: n("max_home_sets"), maxCollections: n("max_collections"),
                      maxSyncPages: n("max_sync_pages"), maxRedirects: n("max_redirects"),
                      maxJsonValues: n("max_json_values"))
    }

    func kind(_ s: Any?) -> CollectionKind {
        switch s as? String {
        case "calendar": return .calendar
        case "addressbook": return .addressBook
        default: return .other
        }
    }

    func props(_ p: Any?) -> CollectionProps {
        let p = p as? [String: Any] ?? [:]
        return CollectionProps(displayName: p["display_name"] as? String, description: p["description"] as? String,
                               color: p["color"] as? String, components: p["components"] as? [String] ?? [])
    }

    /// The optional `read` of update_collection / delete_collection: the collection as last read.
    func readCollection(_ r: Any?) -> Collection? {
        guard let c = r as? [String: Any] else { return nil }
        return Collection(url: c["url"] as? String ?? "", kind: kind(c["kind"]),
                          displayName: c["display_name"] as? String, description: c["description"] as? String,
                          color: c["color"] as? String, ctag: c["ctag"] as? String, syncToken: c["sync_token"] as? String,
                          components: c["components"] as? [String] ?? [], privileges: c["privileges"] as? [String] ?? [],
                          resourceTypes: c["resource_types"] as? [String] ?? [], addMemberUrl: c["add_member_url"] as? String,
                          supportsSyncCollection: c["supports_sync_collection"] as? Bool)
    }

    /// Runs the operation; returns a short JSON-like description of the result for the checks.
    func execute(_ client: DavClient, _ op: [String: Any]) async throws -> Any? {
        let s = { (k: String) in op[k] as? String ?? "" }
        switch s("op") {
        case "discover":
            let service: Service = s("service") == "caldav" ? .calDav : s("service") == "carddav" ? .cardDav : .both
            return try await client.discover(service: service)
        case "sync":
            let state = op["state"] as? [String: Any] ?? [:]
            let json = String(data: try JSONSerialization.data(withJSONObject: state), encoding: .utf8)
            return try await client.sync(collectionUrl: state["collection_url"] as! String, kind: kind(op["kind"]), stateJson: json)
        case "sync_batch":
            let state = op["state"] as? [String: Any] ?? [:]
            let json = String(data: try JSONSerialization.data(withJSONObject: state), encoding: .utf8)
            return try await client.syncBatch(collectionUrl: state["collection_url"] as! String, kind: kind(op["kind"]),
                                              stateJson: json, maxMembers: UInt32(op["max_members"] as! Int))
        case "list_objects": return try await client.listObjects(collectionUrl: s("collection_url"))
        case "list_collections": return try await client.listCollections(homeUrl: s("home_url"))
        case "get_collection": return try await client.getCollection(url: s("url"))
        case "get_object": return try await client.getObject(url: s("url"))
        case "create_object": return try await client.createObject(collectionUrl: s("collection_url"), name: s("name"), data: s("data"))
        case "update_object": return try await client.updateObject(url: s("url"), data: s("data"), etag: s("etag"))
        case "delete_object": try await client.deleteObject(url: s("url"), etag: s("etag")); return nil
        case "post_object": return try await client.postObject(addMemberUrl: s("add_member_url"), data: s("data"))
        case "multiget": return try await client.multiget(collectionUrl: s("collection_url"), kind: kind(op["kind"]), hrefs: op["hrefs"] as? [String] ?? [])
        case "calendar_query":
            let f = op["filter"] as? [String: Any] ?? [:]
            let tr = (f["time_range"] as? [String: String]).map { TimeRange(start: $0["start"], end: $0["end"]) }
            return try await client.calendarQuery(collectionUrl: s("collection_url"), filter: CalendarFilter(component: f["component"] as! String, timeRange: tr))
        case "create_calendar": return try await client.createCalendar(homeUrl: s("home_url"), slug: s("slug"), props: props(op["props"]))
        case "create_address_book": return try await client.createAddressBook(homeUrl: s("home_url"), slug: s("slug"), props: props(op["props"]))
        case "update_collection":
            try await client.updateCollection(url: s("url"), kind: kind(op["kind"]), props: props(op["props"]), read: readCollection(op["read"]))
            return nil
        case "delete_collection": try await client.deleteCollection(url: s("url"), read: readCollection(op["read"])); return nil
        default: XCTFail("unknown op \(s("op"))"); return nil
        }
    }

    /// The keys a sync or a write must not lose: `problems` (url, kind, status), the state's
    /// `pending` hrefs, `more`, and `replaced`.
    func checkProblemsPendingReplaced(_ result: Any?, _ want: [String: Any]?, _ name: String) {
        guard let want else { return }
        if let sync = result as? SyncResult {
            if let problems = want["problems"] as? [[String: Any]] {
                XCTAssertEqual(problems.map { $0["url"] as? String ?? "" }, sync.problems.map { $0.url }, name)
                XCTAssertEqual(problems.map { $0["kind"] as? String ?? "" }, sync.problems.map { $0.kind }, name)
                XCTAssertEqual(problems.map { p in (p["status"] as? Int).map { UInt16($0) } }, sync.problems.map { $0.status }, name)
            }
            if let more = want["more"] as? Bool {
                XCTAssertEqual(more, sync.more, name)
            }
            if let pending = (want["state"] as? [String: Any])?["pending"] as? [String] {
                let state = try? JSONSerialization.jsonObject(with: Data(sync.stateJson.utf8)) as? [String: Any]
                XCTAssertEqual(pending, state?["pending"] as? [String] ?? [], name)
            }
        }
        if let write = result as? WriteResult, let replaced = want["replaced"] as? Bool {
            XCTAssertEqual(replaced, write.replaced, name)
        }
    }

    /// Checks the error kinds and statuses of every case, that every exchange was used, and the
    /// keys of `checkProblemsPendingReplaced`. (The result subsets are compared in full by the
    /// Kotlin and Python runners.)
    func testVectors() async throws {
        let files = FileManager.default.enumerator(at: Self.root, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
        XCTAssertGreaterThanOrEqual(files.count, 10)
        for file in files {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
            let op = (json["operation"] as? [String: Any])?["op"] as? String ?? ""
            if op.hasPrefix("gcal_") { continue }   // the Google Calendar API cases run in Kotlin and Python
            let replay = ReplayTransport(case: json, dir: file.deletingLastPathComponent())
            let expect = json["expect"] as? [String: Any] ?? [:]
            do {
                let client = try DavClient(config: config(json["config"] as! [String: Any]), transport: replay)
                let result = try await execute(client, json["operation"] as! [String: Any])
                XCTAssertNil(expect["error"], "\(file.lastPathComponent): expected an error")
                checkProblemsPendingReplaced(result, expect["result"] as? [String: Any], file.lastPathComponent)
            } catch let e as DavError {
                let want = expect["error"] as? [String: Any]
                XCTAssertEqual(want?["kind"] as? String, e.kind(), file.lastPathComponent)
                if let status = want?["status"] as? Int { XCTAssertEqual(UInt16(status), e.httpStatus(), file.lastPathComponent) }
            }
            XCTAssertEqual(replay.problems, [], file.lastPathComponent)
            XCTAssertTrue(replay.used.allSatisfy { $0 }, "\(file.lastPathComponent): exchanges never requested")
        }
    }

    /// `syncBatches` (Sources/DavKit/SyncBatches.swift) over the two recorded batch vectors:
    /// a and b, then c; and a loop stopped after the first batch resumes from its stored state.
    func testSyncBatches() async throws {
        let dir = Self.root.appendingPathComponent("sync")
        func load(_ name: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name))) as! [String: Any]
        }
        let first = try load("batch-first-batch-leaves-the-rest-pending.json")
        let second = try load("batch-resume-from-checkpoint.json")
        let exchanges = { (c: [String: Any]) in c["exchanges"] as? [[String: Any]] ?? [] }
        let collection = "http://127.0.0.1:5232/alice/work/"
        let both = ReplayTransport(case: ["exchanges": exchanges(first) + exchanges(second)], dir: dir)
        let client = try DavClient(config: config(first["config"] as! [String: Any]), transport: both)
        var seen: [([String], Bool)] = []
        var stored: String? = nil
        for try await batch in client.syncBatches(collectionUrl: collection, kind: .calendar, stateJson: nil, maxMembers: 2) {
            seen.append((batch.changes.map { change -> String in
                switch change {
                case .added(let o), .changed(let o): return o.url
                case .deleted(let url): return url
                }
            }, batch.more))
            stored = batch.stateJson
        }
        XCTAssertEqual(seen.map { $0.0 }, [[collection + "a.ics", collection + "b.ics"], [collection + "c.ics"]])
        XCTAssertEqual(seen.map { $0.1 }, [true, false])
        XCTAssertEqual(both.problems, [])
        XCTAssertTrue(both.used.allSatisfy { $0 })

        let one = ReplayTransport(case: ["exchanges": exchanges(first)], dir: dir)
        var checkpoint: String? = nil
        for try await batch in try DavClient(config: config(first["config"] as! [String: Any]), transport: one)
            .syncBatches(collectionUrl: collection, kind: .calendar, maxMembers: 2) {
            checkpoint = batch.stateJson
            break   // stopped after storing the first batch
        }
        let two = ReplayTransport(case: ["exchanges": exchanges(second)], dir: dir)
        let rest = try await DavClient(config: config(first["config"] as! [String: Any]), transport: two)
            .syncBatch(collectionUrl: collection, kind: .calendar, stateJson: checkpoint, maxMembers: 2)
        XCTAssertFalse(rest.more)
        let parse = { (s: String?) in try JSONSerialization.jsonObject(with: Data((s ?? "").utf8)) as? NSDictionary }
        XCTAssertEqual(try parse(rest.stateJson), try parse(stored))
        XCTAssertTrue(one.used.allSatisfy { $0 } && two.used.allSatisfy { $0 })
    }

    /// The shared vector where the members a batch takes fail again and nothing else moves:
    /// the core answers `more` false, so the sequence (which checks only `more`) ends after
    /// that one batch, every member still owed for the next sync.
    func testSyncBatchesEndWhenTheSameMembersFailAgain() async throws {
        let dir = Self.root.appendingPathComponent("sync")
        let file = dir.appendingPathComponent("batch-same-members-fail-again-ends-batches.json")
        let c = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
        let op = c["operation"] as! [String: Any]
        let given = op["state"] as! [String: Any]
        let state = String(data: try JSONSerialization.data(withJSONObject: given), encoding: .utf8)
        let replay = ReplayTransport(case: c, dir: dir)
        let client = try DavClient(config: config(c["config"] as! [String: Any]), transport: replay)
        var seen: [SyncResult] = []
        for try await batch in client.syncBatches(collectionUrl: given["collection_url"] as! String, kind: .calendar,
                                                  stateJson: state, maxMembers: UInt32(op["max_members"] as! Int)) {
            seen.append(batch)
        }
        XCTAssertEqual(seen.map { $0.more }, [false])
        XCTAssertTrue(seen[0].changes.isEmpty)
        XCTAssertEqual(seen[0].problems.map { $0.status }, [500, 500])
        let after = try JSONSerialization.jsonObject(with: Data(seen[0].stateJson.utf8)) as! [String: Any]
        XCTAssertEqual(after["pending"] as? [String], given["pending"] as? [String])
        XCTAssertNil(after["more"], "the next sync asks the server again")
        XCTAssertEqual(replay.problems, [])
        XCTAssertTrue(replay.used.allSatisfy { $0 })
    }
}
