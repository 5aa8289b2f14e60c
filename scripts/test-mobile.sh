#!/usr/bin/env bash
# Mobile bindings (issue 5): builds the davkit-mobile library and the workspace's uniffi-bindgen,
# generates Kotlin, Swift and Python, checks the generated Swift API surface (no Swift compiler
# on these machines), lays out the Swift package, then runs the Python suite (vector replay,
# secrets, the editing scenarios of tests/editing/) and the Kotlin suite with Maven (the same, plus
# transport errors and a live suite against the Radicale that tests/servers/servers.py starts on
# 127.0.0.1), and checks that the library compiles for the Android and iOS targets.
#
# Idempotent: installs only what is missing (a JDK and Maven from apt; JNA, kotlinx-coroutines,
# JUnit and the Kotlin compiler come from Maven Central into ~/.m2 on the first run).
# Options (environment): PROFILE=release builds the optimised library; SKIP_LIVE=1 skips the
# live Radicale runs (the live tests are then skipped, not failed); SKIP_REQWEST=1 skips the
# optional `reqwest` feature's build and test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never
PROFILE=${PROFILE:-debug}
OUT=bindings-mobile/build
LOG_DIR=$(mktemp -d)
trap 'rm -rf "$LOG_DIR"' EXIT
START=$(date +%s)

step() { printf '\n=== %s (%ss)\n' "$*" "$(($(date +%s) - START))"; }

step "tools"
missing=()
command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
java -version 2>&1 | head -1 || true
mvn -v 2>/dev/null | head -1 || true

step "build the library and uniffi-bindgen ($PROFILE)"
cargo_flags=()
[ "$PROFILE" = release ] && cargo_flags+=(--release)
cargo build --locked -p davkit-mobile "${cargo_flags[@]}"
# In a cargo run and target directory of its own (scripts/tools.sh says why); when
# scripts/test.sh started its background build earlier, this waits for that build.
BINDGEN=$(bash scripts/tools.sh uniffi-bindgen | tail -1)
# The default library links no async runtime and no HTTP stack, and not the bindgen.
deps=$(cargo tree --locked -p davkit-mobile -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
for banned in tokio hyper reqwest mio uniffi_bindgen clap; do
  if grep -qx "$banned" <<<"$deps"; then
    echo "davkit-mobile's default dependencies include $banned" >&2
    exit 1
  fi
done
echo "ok: no tokio, hyper, reqwest, mio, uniffi_bindgen or clap in davkit-mobile's default dependencies"
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
LIB="$TARGET_DIR/$PROFILE/libdavkit_mobile.so"
ls -l "$LIB"

step "generate Kotlin, Swift and Python (library mode, from the unstripped library)"
rm -rf "$OUT"
for lang in kotlin swift python; do
  "$BINDGEN" generate --library "$LIB" --language "$lang" --out-dir "$OUT/$lang" --no-format
done
mkdir -p "$OUT/jni/linux-x86-64"
cp "$LIB" "$OUT/jni/linux-x86-64/"
cp "$LIB" "$OUT/python/"
find "$OUT" -type f -printf '%p %s bytes\n' | sort

step "Swift package layout and API surface (generated only: no Swift compiler here)"
SWIFT=bindings-mobile/swift
mkdir -p "$SWIFT/Sources/DavKit" "$SWIFT/Sources/DavKitFFI/include"
# Three generated files, one Swift module: DavKit.swift (davkit-mobile), DavKitCore.swift (the
# core's records and enums, derived behind its `uniffi` feature) and DavKitFormats.swift (those of
# the formats crate, davkit-formats, behind its own); their three C headers go into the one FFI
# module, whose module map lists them all.
cp "$OUT/swift/DavKit.swift" "$OUT/swift/DavKitCore.swift" "$OUT/swift/DavKitFormats.swift" "$SWIFT/Sources/DavKit/"
cp "$OUT/swift/DavKitFFI.h" "$OUT/swift/DavKitCoreFFI.h" "$OUT/swift/DavKitFormatsFFI.h" "$SWIFT/Sources/DavKitFFI/include/"
sed -e '/header "DavKitFFI.h"/a\    header "DavKitCoreFFI.h"' -e '/header "DavKitFFI.h"/a\    header "DavKitFormatsFFI.h"' \
  "$OUT/swift/DavKitFFI.modulemap" >"$SWIFT/Sources/DavKitFFI/include/module.modulemap"
swift_checks=0
# Compared with all blanks removed, so the generator's spacing does not matter.
expect() { # file, fixed string
  if tr -d ' \t\n' <"$1" | grep -qF -- "$(tr -d ' \t\n' <<<"$2")"; then
    swift_checks=$((swift_checks + 1))
  else
    echo "missing in $1: $2" >&2
    exit 1
  fi
}
# The API checks read the three generated Swift files (one module) and the three headers.
S="$LOG_DIR/DavKit-module.swift"
cat "$SWIFT/Sources/DavKit/DavKit.swift" "$SWIFT/Sources/DavKit/DavKitCore.swift" "$SWIFT/Sources/DavKit/DavKitFormats.swift" >"$S"
H="$LOG_DIR/DavKitFFI-headers.h"
cat "$SWIFT/Sources/DavKitFFI/include/DavKitFFI.h" "$SWIFT/Sources/DavKitFFI/include/DavKitCoreFFI.h" \
  "$SWIFT/Sources/DavKitFFI/include/DavKitFormatsFFI.h" >"$H"
M="$SWIFT/Sources/DavKitFFI/include/module.modulemap"
while IFS= read -r s; do
  [ -n "$s" ] && expect "$S" "$s"
done <<'EOF_SWIFT'
import DavKitFFI
public protocol HttpTransport: AnyObject, Sendable
func send(request: HttpRequest) async throws -> HttpResponse
open class DavClient: DavClientProtocol
public convenience init(config: DavConfig, transport: HttpTransport, sleeper: Sleeper? = nil, tokenProvider: TokenProvider? = nil) throws
public protocol Sleeper: AnyObject, Sendable
public protocol TokenProvider: AnyObject, Sendable
open func discover(service: Service) async throws -> Discovery
open func listCollections(homeUrl: String) async throws -> [Collection]
open func createCalendar(homeUrl: String, slug: String, props: CollectionProps) async throws -> Collection
open func listObjects(collectionUrl: String) async throws -> [DavObject]
open func calendarQuery(collectionUrl: String, filter: CalendarFilter) async throws -> [DavObject]
open func getObject(url: String) async throws -> DavObject
open func createObject(collectionUrl: String, name: String, data: String) async throws -> WriteResult
open func updateObject(url: String, data: String, etag: String) async throws -> WriteResult
open func deleteObject(url: String, etag: String) async throws
open func sync(collectionUrl: String, kind: CollectionKind, stateJson: String? = nil) async throws -> SyncResult
open func syncBatch(collectionUrl: String, kind: CollectionKind, stateJson: String?, maxMembers: UInt32) async throws -> SyncResult
enum DavError: Swift.Error, Equatable, Hashable, Foundation.LocalizedError
case PreconditionFailed(
case Transport(
*/bodyExcerpt: String?
public func kind() -> String
public func errorBodyExcerpt() -> String?
open func isSafe() -> Bool
public struct DavConfig: CustomDebugStringConvertible, CustomStringConvertible
public let credentials: Credentials
open class Credentials: CredentialsProtocol, @unchecked Sendable, Equatable, CustomDebugStringConvertible, CustomStringConvertible
public static func basic(username: String, password: String) -> Credentials
public static func bearer(token: String) -> Credentials
public static func digest(username: String, password: String) -> Credentials
public static func none() -> Credentials
open class HttpRequest: HttpRequestProtocol, @unchecked Sendable, Equatable, CustomDebugStringConvertible, CustomStringConvertible
open func headers() -> [HttpHeader]
open func header(name: String) -> String?
public struct HttpHeader: Equatable, Hashable, CustomDebugStringConvertible, CustomStringConvertible
public struct HttpResponse: Equatable, Hashable, CustomDebugStringConvertible, CustomStringConvertible
public struct SyncResult
public let problems: [MemberProblem]
public let more: Bool
public struct MemberProblem: Equatable, Hashable
public struct WriteResult
public let replaced: Bool
public func syncStateMarkPending(stateJson: String, href: String) throws -> String
open func updateCollection(url: String, kind: CollectionKind, props: CollectionProps, read: Collection? = nil) async throws
open func deleteCollection(url: String, read: Collection? = nil) async throws
public enum Change
public struct EventSummary
public struct ContactSummary
public func parseEvents(ics: String) throws -> [EventSummary]
public func expandEvents(ics: String, start: Date, end: Date, maxInstances: UInt32? = nil) throws -> Expansion
public func parseContact(vcf: String) throws -> ContactSummary
public func convertContact(vcf: String, version: VCardVersion) throws -> String
open func gcalSync(calendarId: String, query: GcalEventsQuery? = nil, stateJson: String? = nil) async throws -> SyncResult
public func gcalParseNotification(headers: [HttpHeader], channel: GcalChannel) throws -> GcalNotification
open class EventEditor: EventEditorProtocol, @unchecked Sendable
public static func parse(ics: String) throws -> EventEditor
open func setSummary(target: EventTarget, value: String?) throws
open func cancelOccurrence(target: EventTarget) throws
open func splitSeries(target: EventTarget, newUid: String) throws -> EventEditor
public static func fromObject(object: DavObject) throws -> EventEditor
open func saveEvent(editor: EventEditor) async throws -> WriteResult
open func saveContact(editor: ContactEditor) async throws -> WriteResult
public struct EventTarget: Equatable, Hashable
open class ContactEditor: ContactEditorProtocol, @unchecked Sendable
public static func parse(vcf: String) throws -> ContactEditor
open func toVersion(version: VCardVersion) throws -> String
open func alarms(target: EventTarget) throws -> [AlarmSummary]
open func addAlarm(target: EventTarget, action: AlarmAction, trigger: String, relatedToEnd: Bool = false, description: String? = nil) throws
open func removeAlarms(target: EventTarget) throws -> UInt32
public struct AlarmSummary
public enum AlarmAction
public struct Collection
public enum VCardVersion
case v21
public let version: VCardVersion?
public struct PostalAddress
public struct GcalCalendar
public struct GcalNotification
public struct Scheduling
public let scheduling: Scheduling
open class OAuthClient: OAuthClientProtocol, @unchecked Sendable, CustomDebugStringConvertible, CustomStringConvertible
open func authorizationUrl(scopes: [String], pkce: Pkce, state: String) -> String
open func exchangeCode(transport: HttpTransport, code: String, pkce: Pkce) async throws -> OAuthTokens
open func tokenProvider(transport: HttpTransport, refreshToken: String, accessToken: String? = nil) -> TokenProvider
open class OAuthTokens: OAuthTokensProtocol, @unchecked Sendable, CustomDebugStringConvertible, CustomStringConvertible
open class Pkce: PkceProtocol, @unchecked Sendable, CustomDebugStringConvertible, CustomStringConvertible
public static func fromRandomBytes(bytes: Data) throws -> Pkce
EOF_SWIFT
expect "$H" 'uniffi_davkit_mobile_fn_constructor_davclient_new'
expect "$H" 'uniffi_davkit_mobile_fn_method_davclient_sync'
expect "$H" 'uniffi_davkit_mobile_fn_method_davclient_sync_batch'
# The hand-written Swift sources call only what the generated API above declares.
B="$SWIFT/Sources/DavKit/SyncBatches.swift"
expect "$B" 'extension DavClient'
expect "$B" 'try await client.syncBatch(collectionUrl: collectionUrl, kind: kind, stateJson: stateJson, maxMembers: maxMembers)'
expect "$B" 'public struct SyncBatches: AsyncSequence'
expect "$B" 'finished = !batch.more'   # the loop checks only the core's `more`
expect "$B" 'public func syncBatches(collectionUrl: String, kind: CollectionKind, stateJson: String? = nil, maxMembers: UInt32 = 500) -> SyncBatches'
# The examples throw DavError with every field the generated enum declares (uniffi 0.32 gives an
# error's field no default), body excerpt last.
for E in examples/ios/URLSessionTransport.swift examples/ios/Invitations.swift; do
  expect "$E" 'retryAfterSeconds: nil, bodyExcerpt: nil)'
  if grep -n 'retryAfterSeconds: nil)' "$E"; then
    echo "$E throws a DavError without bodyExcerpt (above)" >&2
    exit 1
  fi
done
# The iOS example calls that sequence and the generated Collection fields.
E=examples/ios/BatchedSync.swift
expect "$E" 'client.syncBatches(collectionUrl: collection.url, kind: collection.kind, stateJson: states[collection.url], maxMembers: maxMembers)'
expect "$S" 'public let kind: CollectionKind'
# The invitations example (issue 17): each call as written there, and the generated
# declaration it needs (labels and types).
E=examples/ios/Invitations.swift
expect "$E" 'try await alice.discover(service: .calDav)'
expect "$E" 'organizerAddress(scheduling: found.scheduling)'
expect "$S" 'public func organizerAddress(scheduling: Scheduling) -> CalAddress?'
expect "$E" 'try scheduleInvite(ics: ics, organizer: me, attendees: attendees.map { calAddressFromEmail(email: $0) }, dtstamp: dtstamp)'
expect "$S" 'public func scheduleInvite(ics: String, organizer: CalAddress, attendees: [CalAddress], dtstamp: String)throws -> String'
expect "$S" 'public func calAddressFromEmail(email: String) -> CalAddress'
expect "$E" 'try await alice.createObject(collectionUrl: calendar.url, name: UUID().uuidString + ".ics", data: invite)'
expect "$E" 'try await bob.pendingInvitations(inboxUrl: his.scheduling.inboxUrl, calendarUrls: calendars, myAddresses: mine)'
expect "$S" 'open func pendingInvitations(inboxUrl: String?, calendarUrls: [String], myAddresses: [String], range: TimeRange? = nil)async throws -> Pending'
expect "$E" 'try await bob.respond(url: invitation.object.url, myAddresses: mine, answer: .accepted, occurrence: occurrence)'
expect "$S" 'open func respond(url: String, myAddresses: [String], answer: Answer, occurrence: String? = nil)async throws -> Responded'
expect "$E" 'try await bob.deleteObject(url: item.object.url, etag: item.object.etag ?? "")'
expect "$E" 'try await alice.getScheduled(url: meetingUrl)'
expect "$S" 'open func getScheduled(url: String)async throws -> ScheduledObject'
expect "$E" 'try attendeeStatuses(ics: copy.data)'
expect "$S" 'public func attendeeStatuses(ics: String)throws -> [AttendeeStatus]'
expect "$E" 'try await alice.outboxFreeBusy(outboxUrl: outbox, request: request)'
expect "$S" 'open func outboxFreeBusy(outboxUrl: String, request: FreeBusyRequest)async throws -> [RecipientFreeBusy]'
for field in 'public let inInbox: Bool' 'public let needsAction: [String?]' 'public let scheduleStatus: [ScheduleStatus]' \
  'public let userAddresses: [String]' 'public let inboxUrl: String?' 'public let outboxUrl: String?' \
  'public let recurrenceId: String?' 'public let partstat: PartStat' 'public let scheduleTag: String?' \
  'public let recipient: String' 'public let busy: [BusyPeriod]' 'public let dtstamp: String' 'case accepted' 'case declined'; do
  expect "$S" "$field"
done
expect "$H" 'UniffiVTableCallbackInterfaceHttpTransport'
# Secrets: every type that carries one prints through the Rust side's redacting Display/Debug
# (Swift's `description`/`debugDescription`), and none has a stored property holding it.
for t in credentials httprequest httpheader httpresponse davconfig gcalchannel gcalwatchrequest pkce oauthtokens oauthclient; do
  for f in display debug; do
    expect "$S" "uniffi_davkit_mobile_fn_method_${t}_uniffi_trait_${f}("
  done
done
if grep -nE '(let|var) (password|authorization)\b' "$S"; then
  echo "a generated Swift type stores a secret in a property (above)" >&2
  exit 1
fi
swift_checks=$((swift_checks + 1))
expect "$M" 'module DavKitFFI'
expect "$M" 'header "DavKitFFI.h"'
expect "$M" 'header "DavKitCoreFFI.h"'
expect "$M" 'header "DavKitFormatsFFI.h"'
expect "$H" 'ffi_davkit_uniffi_contract_version'
echo "ok: $swift_checks Swift API checks (DavKit.swift, DavKitCore.swift, DavKitFormats.swift, the three FFI headers, module.modulemap, SyncBatches.swift, examples/ios/BatchedSync.swift, examples/ios/Invitations.swift, examples/ios/URLSessionTransport.swift)"

step "Python: vector replay, API and editing tests, the invitations and batched-sync examples on live DAViCal"
py_cmd=(python3 -m unittest discover -s bindings-mobile/python -p 'test_*.py' -v)
if [ "${SKIP_LIVE:-0}" != 1 ]; then
  # examples/python/invitations.py and sync_batches.py run as written against DAViCal
  # (test_invitations_example.py, test_sync_batches_example.py)
  py_cmd=(python3 tests/servers/servers.py --only davical run -- "${py_cmd[@]}")
fi
"${py_cmd[@]}" 2>&1 | tee "$LOG_DIR/python.log" | grep -v '^UniFFI: Unhandled\|^Traceback\|^  File\|^    \|^ConnectionResetError\|^OSError' || true
grep -q '^OK' "$LOG_DIR/python.log"

step "Kotlin (Maven): vector replay, transport errors, editing, live Radicale and DAViCal"
mvn_cmd=(mvn -B -f bindings-mobile/kotlin/pom.xml verify)
if [ "${SKIP_LIVE:-0}" = 1 ]; then
  "${mvn_cmd[@]}" 2>&1 | tee "$LOG_DIR/kotlin.log"
else
  python3 tests/servers/servers.py --only radicale,davical run -- "${mvn_cmd[@]}" 2>&1 | tee "$LOG_DIR/kotlin.log"
fi
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "Kotlin suite failed" >&2; exit 1; }
ls -l bindings-mobile/kotlin/target/davkit-kotlin-*.jar

if [ "${SKIP_REQWEST:-0}" != 1 ]; then
  step "optional feature reqwest: the built-in transport (Rust test, live Radicale)"
  rq_cmd=(cargo test --locked -p davkit-mobile --features reqwest --test reqwest_transport)
  if [ "${SKIP_LIVE:-0}" = 1 ]; then
    "${rq_cmd[@]}" 2>&1 | tee "$LOG_DIR/reqwest.log"
  else
    python3 tests/servers/servers.py --only radicale run -- "${rq_cmd[@]}" 2>&1 | tee "$LOG_DIR/reqwest.log"
  fi
fi

step "mobile targets: the library compiles for Android and iOS"
# rustup's standard libraries for the four targets apps ship; no Android NDK or Xcode here, and
# the cdylib's link step needs the platform's linker, so `cargo check` of the library is the
# floor (what the packaging builds on a Mac or with the NDK: see bindings-mobile/README.md).
# A target whose rust-std cannot be downloaded is checked against a standard library built from
# rust-src (`-Z build-std`, allowed on stable with RUSTC_BOOTSTRAP, for this check only); if that
# is not possible either, the script fails here and says why.
MOBILE_TARGETS=(aarch64-linux-android x86_64-linux-android aarch64-apple-ios aarch64-apple-ios-sim)
with_std=()  # targets checked against rustup's rust-std: in one cargo run, side by side
from_src=()  # targets checked against a std built from rust-src: one cargo run of their own
for t in "${MOBILE_TARGETS[@]}"; do
  if rustup target list --installed | grep -qx "$t" || rustup target add "$t" 2>"$LOG_DIR/rustup-$t.log"; then
    with_std+=("$t")
  else
    echo "rustup target add $t failed: $(grep -m1 -iE 'error|status code' "$LOG_DIR/rustup-$t.log")" >&2
    from_src+=("$t")
  fi
done
if [ ${#from_src[@]} -gt 0 ] && ! rustup component list --installed | grep -q '^rust-src' && ! rustup component add rust-src; then
  echo "cannot check ${from_src[*]}: neither their rust-std nor rust-src could be installed (see above)" >&2
  exit 1
fi
target_lines=()
# how the targets are checked, then the command (cargo check for them is added), then the targets
check_targets() {
  local how=$1 cmd=() targets=()
  shift
  while [ "$1" != -- ]; do cmd+=("$1"); shift; done
  shift
  targets=("$@")
  [ ${#targets[@]} -gt 0 ] || return 0
  local log="$LOG_DIR/check-${targets[0]}.log"
  if ! "${cmd[@]}" $(printf -- '--target %s ' "${targets[@]}") >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "davkit-mobile does not compile for ${targets[*]}" >&2
    exit 1
  fi
  echo "${targets[*]}: $(tail -1 "$log") ($how)"
  for t in "${targets[@]}"; do target_lines+=("$t ($how)"); done
}
check=(cargo check --locked -p davkit-mobile --lib)
check_targets "rustup's rust-std" "${check[@]}" -- "${with_std[@]}"
check_targets "std built from rust-src (rustup's rust-std could not be downloaded)" \
  env RUSTC_BOOTSTRAP=1 "${check[@]}" -Z build-std=std,panic_abort -- "${from_src[@]}"
echo "ok: ${#target_lines[@]} mobile targets compile (cargo check): ${MOBILE_TARGETS[*]}"

step "summary"
py_line=$(grep -E '^Ran [0-9]+ tests' "$LOG_DIR/python.log" | tail -1)
kt_line=$(grep -E 'Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$LOG_DIR/kotlin.log" | tail -1 | sed 's/^\[[A-Z]*\] *//')
echo "Swift:  $swift_checks API checks passed (generated, not compiled)"
echo "Targets: cargo check passed for ${#target_lines[@]}: $(IFS=';'; echo "${target_lines[*]}")"
echo "Python: $py_line, $(tail -1 "$LOG_DIR/python.log")"
echo "Kotlin: $kt_line"
[ -f "$LOG_DIR/reqwest.log" ] && echo "Rust (feature reqwest): $(grep -E '^test result' "$LOG_DIR/reqwest.log" | tail -1)"
echo "mobile: done in $(($(date +%s) - START)) s"
