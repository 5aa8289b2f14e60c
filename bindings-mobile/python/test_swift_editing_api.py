"""The editing scenarios (tests/editing/scenarios.json) against the generated Swift.

There is no Swift compiler on these machines, so Swift cannot run the scenarios; this checks
instead that the generated Swift (build/swift/, written by scripts/test-mobile.sh before the
Python tests run) declares every call a Swift runner needs, with the labels and types it would
write: one declaration per step op of the file (a new op fails here until it has one), and the
editors' constructors and outputs, the write-back, PKCE and OAuth calls. Declarations are
compared with all blanks removed, as the script's Swift API checks do. Skipped when the Swift
has not been generated (the Python tests run on their own)."""

import json
import re
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent.parent / "tests" / "editing" / "scenarios.json"
SWIFT = HERE.parent / "build" / "swift"
FILES = ("DavKit.swift", "DavKitCore.swift", "DavKitFormats.swift")

# Each step op of the file: the class it is called on and the Swift declaration.
EVENT_OPS = {
    "set_summary": "open func setSummary(target: EventTarget, value: String?) throws",
    "set_location": "open func setLocation(target: EventTarget, value: String?) throws",
    "set_description": "open func setDescription(target: EventTarget, value: String?) throws",
    "set_status": "open func setStatus(target: EventTarget, value: String?) throws",
    "set_start": "open func setStart(target: EventTarget, start: EventTime) throws",
    "set_end": "open func setEnd(target: EventTarget, end: EventTime?) throws",
    "add_attendee": "open func addAttendee(target: EventTarget, email: String, "
                    "commonName: String? = nil, partstat: String? = nil) throws",
    "remove_attendee": "open func removeAttendee(target: EventTarget, address: String) throws -> Bool",
    "set_partstat": "open func setPartstat(target: EventTarget, email: String, partstat: String) "
                    "throws -> Bool",
    "cancel_occurrence": "open func cancelOccurrence(target: EventTarget) throws",
    "split_series": "open func splitSeries(target: EventTarget, newUid: String) throws -> EventEditor",
    "alarms": "open func alarms(target: EventTarget) throws -> [AlarmSummary]",
    "add_alarm": "open func addAlarm(target: EventTarget, action: AlarmAction, trigger: String, "
                 "relatedToEnd: Bool = false, description: String? = nil) throws",
    "remove_alarms": "open func removeAlarms(target: EventTarget) throws -> UInt32",
}
CONTACT_OPS = {
    "set_full_name": "open func setFullName(value: String)",
    "set_name": "open func setName(name: StructuredName)",
    "set_note": "open func setNote(value: String?)",
    "set_title": "open func setTitle(value: String?)",
    "set_org": "open func setOrg(parts: [String]?)",
    "set_categories": "open func setCategories(categories: [String])",
    "set_birthday": "open func setBirthday(value: String?)",
    "add_email": "open func addEmail(email: TypedValue)",
    "add_tel": "open func addTel(tel: TypedValue)",
    "add_url": "open func addUrl(url: TypedValue)",
    "remove_all": "open func removeAll(name: String) -> UInt32",
}
# What a runner calls besides the steps, by class ("" for free functions).
COMMON = {
    "EventEditor": [
        "public static func parse(ics: String) throws -> EventEditor",
        "public static func fromObject(object: DavObject) throws -> EventEditor",
        "open func toIcs() -> String",
        "open func events() -> [EventSummary]",
    ],
    "ContactEditor": [
        "public static func parse(vcf: String) throws -> ContactEditor",
        "public static func fromObject(object: DavObject) throws -> ContactEditor",
        "open func toVcf() -> String",
        "open func summary() -> ContactSummary",
        "open func toVersion(version: VCardVersion) throws -> String",
    ],
    "DavClient": [
        "open func saveEvent(editor: EventEditor) async throws -> WriteResult",
        "open func saveContact(editor: ContactEditor) async throws -> WriteResult",
    ],
    "Pkce": [
        "public static func fromVerifier(verifier: String) throws -> Pkce",
        "public static func fromRandomBytes(bytes: Data) throws -> Pkce",
        "open func verifier() -> String",
        "open func challenge() -> String",
    ],
    "OAuthClient": [
        "public static func google(clientId: String, redirectUri: String) -> OAuthClient",
        "public convenience init(clientId: String, redirectUri: String, authUrl: String, "
        "tokenUrl: String, clientSecret: String? = nil)",
        "open func authorizationUrl(scopes: [String], pkce: Pkce, state: String) -> String",
        "open func exchangeCodeRequest(code: String, pkce: Pkce) -> HttpRequest",
        "open func exchangeCode(transport: HttpTransport, code: String, pkce: Pkce) async throws "
        "-> OAuthTokens",
        "open func refreshRequest(refreshToken: String) -> HttpRequest",
        "open func refresh(transport: HttpTransport, refreshToken: String) async throws -> OAuthTokens",
    ],
    "OAuthTokens": [
        "open func accessToken() -> String",
        "open func refreshToken() -> String?",
        "open func expiresIn() -> UInt64?",
    ],
    "": [
        "public func convertContact(vcf: String, version: VCardVersion) throws -> String",
        "public func parseContact(vcf: String) throws -> ContactSummary",
    ],
}
# The records a runner builds, with their fields.
RECORDS = {
    "EventTarget": ["public let uid: String", "public let recurrenceId: String?", "public let tzid: String?"],
    "EventTime": ["public let value: String", "public let tzid: String?"],
    "TypedValue": ["public let value: String", "public let types: [String]", "public let pref: UInt8?"],
}


def squeeze(text):
    return re.sub(r"\s+", "", text)


def classes(swift):
    """Each generated class's or struct's text (from its declaration to the next type's), by
    name, and the whole module under "" (free functions). The generator's output is not
    indented (`--no-format`), so a type ends where the next one starts."""
    out = {"": swift}
    name = None
    for line in swift.splitlines(keepends=True):
        m = re.match(r"^(?:open class|public struct) (\w+)", line)
        if m:
            name = m.group(1)
            out.setdefault(name, "")
        elif re.match(r"^(?:public |open |fileprivate |private )?(?:class|struct|enum|protocol|extension) ", line):
            name = None
        if name:
            out[name] += line
    return {k: squeeze(v) for k, v in out.items()}


@unittest.skipUnless((SWIFT / FILES[0]).exists(), "the Swift bindings are not generated (run scripts/test-mobile.sh)")
class SwiftEditingApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.doc = json.loads(SCENARIOS.read_text(encoding="utf-8"))
        cls.swift = classes("".join((SWIFT / f).read_text(encoding="utf-8") for f in FILES))

    def declared(self, cls, decl):
        self.assertIn(cls, self.swift, f"no generated Swift type {cls}")
        self.assertIn(squeeze(decl), self.swift[cls], f"{cls or 'free function'}: {decl}")

    def test_every_step_op_has_a_swift_declaration(self):
        used = {"EventEditor": set(), "ContactEditor": set()}
        for s in self.doc["events"]:
            used["EventEditor"] |= {step["op"] for step in s["steps"]}
        for s in self.doc["contacts"]:
            used["ContactEditor"] |= {step["op"] for step in s["steps"]}
        for s in self.doc["write_back"]:
            editor = "EventEditor" if s["kind"] == "event" else "ContactEditor"
            used[editor] |= {step["op"] for step in s["steps"]}
        tables = {"EventEditor": EVENT_OPS, "ContactEditor": CONTACT_OPS}
        for cls, ops in used.items():
            self.assertTrue(ops, cls)
            for op in sorted(ops):
                self.assertIn(op, tables[cls], f"{cls}: the scenarios use `{op}`, which has no Swift declaration here")
                self.declared(cls, tables[cls][op])

    def test_constructors_outputs_write_back_and_oauth(self):
        for cls, decls in COMMON.items():
            for decl in decls:
                self.declared(cls, decl)
        for cls, fields in RECORDS.items():
            for field in fields:
                self.declared(cls, field)

    def test_the_check_fails_on_a_missing_declaration(self):
        with self.assertRaises(AssertionError):
            self.declared("EventEditor", "open func setSummary(target: EventTarget, value: Int)")


if __name__ == "__main__":
    unittest.main()
