import Foundation
import InternalEvents
import TallyServer

/// One tracker event, checked against the tracker protocol and laid out as a row of the warehouse's `events`
/// table (Snowplow's atomic event names). GitLab's `gitlab_standard` context, when the event carries one, is lifted
/// into columns of its own (`gsc_*`, `project_id`, `namespace_id`).
///
/// No raw user id is kept: the tracker's `uid` is stored only as its pseudonym (`user_id`), and the ids inside
/// `gitlab_standard` are already pseudonymized by their sender.
struct CollectedEvent: Sendable, Equatable {
    var eventID: String
    /// Snowplow's event name: `struct`, `unstruct`, `page_view`, `page_ping`, `transaction`, `transaction_item`.
    var event: String
    var appID: String?
    var platform: String
    var trackerName: String?
    var trackerVersion: String
    var collectorTimestamp: Date
    var deviceCreatedTimestamp: Date?
    var deviceSentTimestamp: Date?
    var trueTimestamp: Date?
    /// When the event happened, corrected for the device clock: `ttm` if given, else the collector time minus the
    /// device's own send delay (`stm - dtm`), else the collector time (Snowplow's rule).
    var derivedTimestamp: Date
    var category: String?
    var action: String?
    var label: String?
    var property: String?
    var value: Double?
    var userID: String?
    var domainUserID: String?
    var domainSessionID: String?
    var domainSessionIndex: Int64?
    var pageURL: String?
    var pageTitle: String?
    var pageReferrer: String?
    var userAgent: String?
    var standard: StandardContext?
    /// Every context as a JSON array of self-describing objects (`[]` when none).
    var contexts: String
    /// The self-describing event of `e=ue`, as JSON.
    var unstructuredEvent: String?

    /// The `gitlab_standard` context's columns.
    struct StandardContext: Sendable, Equatable {
        var pseudonymizedUserID: String?
        var projectID: Int64?
        var namespaceID: Int64?
        var environment: String?
        var source: String?
        var plan: String?
        var instanceID: String?
        var hostName: String?
        var instanceVersion: String?
        /// The custom properties (`extra`) as JSON.
        var extra: String?
    }

    /// Why an event can't be taken, naming the field.
    struct Invalid: Error {
        var message: String
    }

    static let eventNames = [
        "se": "struct", "ev": "struct", "ue": "unstruct", "pv": "page_view", "pp": "page_ping", "tr": "transaction",
        "ti": "transaction_item",
    ]
    static let platforms: Set<String> = ["web", "mob", "pc", "srv", "app", "tv", "cnsl", "iot", "headset"]
    static let contextsSchemaPrefix = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-"
    static let unstructSchemaPrefix = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-"
    static let standardSchemaPrefix = "iglu:com.gitlab/gitlab_standard/jsonschema/"

    /// Checks `fields`; an event without `eid` gets a new one (its retries then can't be told apart).
    init(
        _ fields: [String: String], collectedAt: Date, pseudonymize: (String) -> String, userAgent header: String?
    ) throws(Invalid) {
        guard let kind = fields["e"], !kind.isEmpty else { throw Invalid(message: "e: required (the event type)") }
        guard let event = Self.eventNames[kind] else {
            throw Invalid(message: "e: unknown event type \"\(kind)\" (expected se, ue, pv, pp, tr or ti)")
        }
        guard let platform = fields["p"], !platform.isEmpty else {
            throw Invalid(message: "p: required (the platform: web, srv, mob, …)")
        }
        guard Self.platforms.contains(platform) else {
            throw Invalid(message: "p: unknown platform \"\(platform)\"")
        }
        guard let trackerVersion = fields["tv"], !trackerVersion.isEmpty else {
            throw Invalid(message: "tv: required (the tracker's name and version)")
        }
        if let eid = fields["eid"] {
            guard let id = Self.lowercasedUUID(eid) else { throw Invalid(message: "eid: \"\(eid)\" is not a UUID") }
            eventID = id
        } else {
            eventID = UUID().uuidString.lowercased()
        }
        self.event = event
        self.platform = platform
        self.trackerVersion = trackerVersion
        appID = fields["aid"]
        trackerName = fields["tna"]
        collectorTimestamp = collectedAt
        deviceCreatedTimestamp = try Self.milliseconds(fields, "dtm")
        deviceSentTimestamp = try Self.milliseconds(fields, "stm")
        trueTimestamp = try Self.milliseconds(fields, "ttm")
        if let trueTimestamp {
            derivedTimestamp = trueTimestamp
        } else if let created = deviceCreatedTimestamp, let sent = deviceSentTimestamp {
            derivedTimestamp = collectedAt.addingTimeInterval(-max(0, sent.timeIntervalSince(created)))
        } else {
            derivedTimestamp = collectedAt
        }
        if event == "struct" {
            guard let category = fields["se_ca"], !category.isEmpty else {
                throw Invalid(message: "se_ca: required for a structured event (its category)")
            }
            guard let action = fields["se_ac"], !action.isEmpty else {
                throw Invalid(message: "se_ac: required for a structured event (its action)")
            }
            self.category = category
            self.action = action
        }
        label = fields["se_la"]
        property = fields["se_pr"]
        if let text = fields["se_va"], !text.isEmpty {
            guard let number = Double(text), number.isFinite else {
                throw Invalid(message: "se_va: \"\(text)\" is not a number")
            }
            value = number
        }
        userID = fields["uid"].flatMap { $0.isEmpty ? nil : pseudonymize($0) }
        domainUserID = fields["duid"]
        domainSessionID = fields["sid"]
        if let text = fields["vid"] {
            guard let index = Int64(text) else { throw Invalid(message: "vid: \"\(text)\" is not an integer") }
            domainSessionIndex = index
        }
        pageURL = fields["url"]
        pageTitle = fields["page"]
        pageReferrer = fields["refr"]
        userAgent = fields["ua"] ?? header

        let (contextEntries, contextsText) = try Self.contexts(fields)
        contexts = contextsText
        standard = contextEntries.first { ($0["schema"]?.string ?? "").hasPrefix(Self.standardSchemaPrefix) }
            .flatMap { $0["data"] }.map(Self.standardContext)
        if event == "unstruct" {
            guard
                let (document, dataText) = try Self.selfDescribing(
                    fields, plain: "ue_pr", encoded: "ue_px", schemaPrefix: Self.unstructSchemaPrefix)
            else { throw Invalid(message: "ue_pr / ue_px: required for a self-describing event") }
            unstructuredEvent = Self.compactText(dataText, of: document["data"] ?? .null)
        }
    }

    /// A tracker timestamp: milliseconds since 1970 as decimal text.
    static func milliseconds(_ fields: [String: String], _ key: String) throws(Invalid) -> Date? {
        guard let text = fields[key], !text.isEmpty else { return nil }
        guard let milliseconds = Int64(text), milliseconds >= 0, milliseconds < 32_503_680_000_000 else {
            throw Invalid(message: "\(key): \"\(text)\" is not a time in milliseconds since 1970")
        }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1_000)
    }

    /// The contexts of `co` (JSON) or `cx` (base64url JSON): the entries of a `contexts` document, and them as
    /// compact JSON.
    static func contexts(_ fields: [String: String]) throws(Invalid) -> ([JSONValue], String) {
        guard
            let (document, dataText) = try selfDescribing(
                fields, plain: "co", encoded: "cx", schemaPrefix: Self.contextsSchemaPrefix)
        else { return ([], "[]") }
        guard case .array(let entries)? = document["data"] else {
            throw Invalid(message: "cx / co: data must be an array of contexts")
        }
        for (index, entry) in entries.enumerated() {
            guard case .string? = entry["schema"], entry["data"] != nil else {
                throw Invalid(message: "cx / co: context \(index) is not {\"schema\": …, \"data\": …}")
            }
        }
        return (entries, compactText(dataText, of: .array(entries)))
    }

    /// `value` as compact JSON: `text`, the value as sent, when it is compact already (no whitespace, and no
    /// escapes, so that `LIKE` finds what the value says); else `value` written again.
    static func compactText(_ text: ArraySlice<UInt8>?, of value: JSONValue) -> String {
        guard let text,
            !text.contains(where: { $0 == UInt8(ascii: "\\") || $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D })
        else { return value.serialized() }
        // Read by `JSONReader`, so valid UTF-8.
        return String(decoding: text, as: UTF8.self)
    }

    /// A self-describing JSON document given plainly (`plain`) or base64url-encoded (`encoded`), and the text of
    /// its `data` as sent.
    static func selfDescribing(
        _ fields: [String: String], plain: String, encoded: String, schemaPrefix: String
    ) throws(Invalid) -> (document: JSONValue, dataText: ArraySlice<UInt8>?)? {
        let field: String
        let bytes: [UInt8]
        if let text = fields[plain], !text.isEmpty {
            field = plain
            bytes = Array(text.utf8)
        } else if let text = fields[encoded], !text.isEmpty {
            field = encoded
            guard let decoded = base64URLDecoded(text) else { throw Invalid(message: "\(encoded): not base64") }
            bytes = decoded
        } else {
            return nil
        }
        guard let (document, dataText) = try? JSONReader.parse(bytes, keepingTextOf: "data"), case .object = document
        else { throw Invalid(message: "\(field): not a JSON object") }
        guard case .string(let schema)? = document["schema"], schema.hasPrefix(schemaPrefix) else {
            throw Invalid(message: "\(field): schema must be \(schemaPrefix)x")
        }
        return (document, dataText)
    }

    /// Base64 in either alphabet (`+/` or `-_`), padded or not (trackers send base64url without padding); nil
    /// for any other character, misplaced padding or a length no encoding has.
    static func base64URLDecoded(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var sextets = 0
        var padding = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            // Padding only at the end.
            guard padding == 0 else { return nil }
            let value = base64Alphabet[Int(byte)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            sextets += 1
            if sextets == 4 {
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                bytes.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator = 0
                sextets = 0
            }
        }
        switch (sextets, padding) {
        case (0, 0): break
        case (2, 0...2): bytes.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        case (3, 0...1):
            bytes.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            bytes.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        default: return nil
        }
        return bytes
    }

    /// Each byte's value in base64 (both alphabets), 0xFF for a byte that isn't one.
    private static let base64Alphabet: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8.enumerated() {
            table[Int(byte)] = UInt8(value)
        }
        table[Int(UInt8(ascii: "+"))] = 62
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "/"))] = 63
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// `text` as a lowercase UUID (`8-4-4-4-12` hex digits, either case), or nil: what `UUID(uuidString:)` takes,
    /// without making one.
    static func lowercasedUUID(_ text: String) -> String? {
        let utf8 = text.utf8
        guard utf8.count == 36 else { return nil }
        var lowered: [UInt8] = []
        lowered.reserveCapacity(36)
        for (offset, byte) in utf8.enumerated() {
            switch (offset, byte) {
            case (8, UInt8(ascii: "-")), (13, UInt8(ascii: "-")), (18, UInt8(ascii: "-")), (23, UInt8(ascii: "-")):
                lowered.append(byte)
            case (8, _), (13, _), (18, _), (23, _):
                return nil
            case (_, UInt8(ascii: "0")...UInt8(ascii: "9")), (_, UInt8(ascii: "a")...UInt8(ascii: "f")):
                lowered.append(byte)
            case (_, UInt8(ascii: "A")...UInt8(ascii: "F")):
                lowered.append(byte + 32)
            default:
                return nil
            }
        }
        return String(decoding: lowered, as: UTF8.self)
    }

    static func standardContext(_ data: JSONValue) -> StandardContext {
        func integer(_ key: String) -> Int64? {
            switch data[key] {
            case .integer(let value): value
            case .string(let text): Int64(text)
            default: nil
            }
        }
        return StandardContext(
            pseudonymizedUserID: data["user_id"]?.string, projectID: integer("project_id"),
            namespaceID: integer("namespace_id"), environment: data["environment"]?.string,
            source: data["source"]?.string, plan: data["plan"]?.string, instanceID: data["instance_id"]?.string,
            hostName: data["host_name"]?.string, instanceVersion: data["instance_version"]?.string,
            extra: data["extra"].map { $0.serialized() })
    }
}
