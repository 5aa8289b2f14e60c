// Invitations from Swift (RFC 6638 on a server that schedules): alice invites bob and carol to a
// daily meeting, bob declines the series and accepts one occurrence (each answer written with
// If-Schedule-Tag-Match, read again and retried after a 412, so it never overwrites a newer
// version from alice), alice reads every attendee's PARTSTAT and SCHEDULE-STATUS back and asks
// when bob and carol are busy. The same calls as the README's Kotlin round trip (run against
// live DAViCal by LiveDavicalScheduleTest.kt) and examples/python/invitations.py (run by
// bindings-mobile/python/test_invitations_example.py).
// Written against the generated API (each call below is checked against the generated Swift by
// scripts/test-mobile.sh); NOT compiled on the Linux machines davkit is built on (no Swift
// toolchain).
import DavKit
import Foundation

/// One row of alice's view of the meeting: who, which occurrence (nil: the series), the answer,
/// and the delivery status codes the server wrote (`1.2` delivered, `2.0` done, `3.7` bad
/// address, `5.x` refused).
struct AnswerRow {
    let recurrenceId: String?
    let address: String
    let partstat: PartStat
    let deliveryCodes: [String]
}

final class Invitations {
    let alice: DavClient
    let bob: DavClient

    init(serverUrl: String, alice: (String, String), bob: (String, String),
         transport: HttpTransport = URLSessionTransport()) throws {
        self.alice = try DavClient(config: DavConfig(serverUrl: serverUrl + alice.0 + "/",
                                                     credentials: Credentials.basic(username: alice.0, password: alice.1)),
                                   transport: transport)
        self.bob = try DavClient(config: DavConfig(serverUrl: serverUrl + bob.0 + "/",
                                                   credentials: Credentials.basic(username: bob.0, password: bob.1)),
                                 transport: transport)
    }

    /// alice invites the attendees to the meeting in `ics` (ORGANIZER from her calendar-user
    /// addresses, SEQUENCE and DTSTAMP set by davkit); returns the URL of her copy.
    func invite(ics: String, attendees: [String], dtstamp: String) async throws -> String {
        let found = try await alice.discover(service: .calDav)
        guard let me = organizerAddress(scheduling: found.scheduling) else {
            throw DavError.Unsupported(detail: "the server does not schedule", status: nil, url: nil, retryAfterSeconds: nil, bodyExcerpt: nil)
        }
        guard let calendar = found.collections.first(where: { $0.kind == .calendar }) else {
            throw DavError.NotFound(detail: "no calendar", status: nil, url: nil, retryAfterSeconds: nil, bodyExcerpt: nil)
        }
        let invite = try scheduleInvite(ics: ics, organizer: me, attendees: attendees.map { calAddressFromEmail(email: $0) }, dtstamp: dtstamp)
        let created = try await alice.createObject(collectionUrl: calendar.url, name: UUID().uuidString + ".ics", data: invite)
        return created.url
    }

    /// bob declines the series of the meeting `uid`, then accepts one occurrence
    /// (`20400107T090000Z`); processed inbox items are removed with their ETag.
    func answer(uid: String, occurrence: String) async throws -> Responded {
        let his = try await bob.discover(service: .calDav)
        let mine = his.scheduling.userAddresses
        let calendars = his.collections.filter { $0.kind == .calendar }.map { $0.url }
        let pending = try await bob.pendingInvitations(inboxUrl: his.scheduling.inboxUrl, calendarUrls: calendars, myAddresses: mine)
        guard let invitation = pending.invitations.first(where: { !$0.inInbox && $0.uid == uid }) else {
            throw DavError.NotFound(detail: "no invitation \(uid)", status: nil, url: nil, retryAfterSeconds: nil, bodyExcerpt: nil)
        }
        _ = try await bob.respond(url: invitation.object.url, myAddresses: mine, answer: .declined, occurrence: nil)
        let done = try await bob.respond(url: invitation.object.url, myAddresses: mine, answer: .accepted, occurrence: occurrence)
        for item in pending.invitations where item.inInbox && item.uid == uid {
            try await bob.deleteObject(url: item.object.url, etag: item.object.etag ?? "")
        }
        return done
    }

    /// alice reads every attendee's answer and delivery status, series and occurrences.
    func answers(meetingUrl: String) async throws -> [AnswerRow] {
        let copy = try await alice.getScheduled(url: meetingUrl)
        return try attendeeStatuses(ics: copy.data).map {
            AnswerRow(recurrenceId: $0.recurrenceId, address: $0.address, partstat: $0.partstat,
                      deliveryCodes: $0.scheduleStatus.map { $0.code })
        }
    }

    /// When the attendees are busy between `start` and `end` (UTC `YYYYMMDDTHHMMSSZ`), asked
    /// through alice's scheduling outbox (RFC 6638 §5).
    func busy(attendees: [String], start: String, end: String) async throws -> [String: [BusyPeriod]] {
        let found = try await alice.discover(service: .calDav)
        guard let outbox = found.scheduling.outboxUrl, let me = organizerAddress(scheduling: found.scheduling) else {
            return [:]
        }
        let request = FreeBusyRequest(organizer: me.uri, attendees: attendees.map { "mailto:" + $0 },
                                      start: start, end: end, uid: UUID().uuidString, dtstamp: start)
        var out: [String: [BusyPeriod]] = [:]
        for r in try await alice.outboxFreeBusy(outboxUrl: outbox, request: request) where r.ok {
            out[r.recipient] = r.busy
        }
        return out
    }
}

// Usage:
//   let inv = try Invitations(serverUrl: "https://dav.example.com/caldav.php/",
//                             alice: ("alice", alicePassword), bob: ("bob", bobPassword))
//   let meeting = try await inv.invite(ics: planningIcs, attendees: ["bob@example.com", "carol@example.com"],
//                                      dtstamp: "20400101T090000Z")
//   try await inv.answer(uid: planningUid, occurrence: "20400107T090000Z")
//   for row in try await inv.answers(meetingUrl: meeting) { print(row) }
//   let busy = try await inv.busy(attendees: ["bob@example.com", "carol@example.com"],
//                                 start: "20400105T000000Z", end: "20400112T000000Z")
