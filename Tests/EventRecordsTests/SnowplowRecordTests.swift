import EventRecords
import Foundation
import InternalEvents
import TallyTestSupport
import Testing

/// Event records in Snowplow's tracker protocol, checked against Snowplow's published schemas (in
/// ../shared/compat/snowplow) with Python's jsonschema.
@Suite("Snowplow event records")
struct SnowplowRecordTests {
    let secret = "0123456789abcdef0123456789abcdefTAIL"
    let instance = SnowplowEventRecord.Instance(
        appID: "tally_sm", environment: "self-managed", instanceID: "0f1d2c3b-4a59-6877-8695-a4b3c2d1e0f0",
        hostName: "tally.test",
        instanceVersion: "1.2.3")

    func record() throws -> SnowplowEventRecord {
        let event = TrackedEvent(
            name: "export_report", user: 424_242_424, project: 7, namespace: 3,
            properties: [
                "label": .string("csv"), "property": .string("usage"), "value": .integer(120),
                "compressed": .string("yes"),
            ],
            timestamp: Date(timeIntervalSince1970: 1_735_689_600), rules: [])
        return SnowplowEventRecord(event, instance: instance, pseudonymizer: try Pseudonymizer(secret: secret))
    }

    /// A `classification: duo` event tracked with some of `ai_context`'s fields, and its record.
    func duoRecord() throws -> SnowplowEventRecord {
        let folder = try DefinitionFolder()
        try folder.write(
            "events/duo.yml",
            DefinitionFolder.event(
                "request_duo_chat_response", identifiers: "[user]",
                extra: """
                    classification: duo
                    additional_properties:
                      label:
                        description: the chat's tool
                      property:
                        description: the request id
                      session_id:
                        description: session
                      input_tokens:
                        description: tokens in
                      model_name:
                        description: model
                      lang:
                        description: not an ai_context field
                    """))
        let catalog = try DefinitionLoader().load(from: [folder.url])
        let event = TrackedEvent(
            name: "request_duo_chat_response", user: 5,
            properties: [
                "label": .string("chat"), "property": .string("req-1"), "session_id": .string("session-9"),
                "input_tokens": .integer(1_200), "model_name": .string("claude"), "lang": .string("swift"),
            ],
            timestamp: Date(timeIntervalSince1970: 1_735_689_600), rules: [])
        return SnowplowEventRecord(
            event, instance: instance, pseudonymizer: try Pseudonymizer(secret: secret),
            definition: catalog.events["request_duo_chat_response"])
    }

    /// The decoded contexts of a record, in order.
    static func contexts(of record: SnowplowEventRecord) throws -> [[String: Any]] {
        let cx = try #require(record.fields["cx"])
        return try #require(try decodeContexts(cx)["data"] as? [[String: Any]])
    }

    @Test("gitlab_service_ping 1-0-1: data_source and event_name")
    func servicePingContext() throws {
        let servicePing = try #require(try Self.contexts(of: record()).last)
        #expect(servicePing["schema"] as? String == "iglu:com.gitlab/gitlab_service_ping/jsonschema/1-0-1")
        let data = try #require(servicePing["data"] as? [String: Any])
        #expect(Set(data.keys) == ["data_source", "event_name"])
        #expect(data["data_source"] as? String == "redis_hll" && data["event_name"] as? String == "export_report")
    }

    @Test("classification: duo adds ai_context 1-0-0 with every field, null where not tracked; other events have none")
    func aiContext() throws {
        #expect(
            try Self.contexts(of: record()).map { $0["schema"] as? String } == [
                "iglu:com.gitlab/gitlab_standard/jsonschema/1-1-7",
                "iglu:com.gitlab/gitlab_service_ping/jsonschema/1-0-1",
            ])
        let record = try duoRecord()
        let contexts = try Self.contexts(of: record)
        #expect(contexts.count == 3)
        let ai = try #require(contexts.last)
        #expect(ai["schema"] as? String == "iglu:com.gitlab/ai_context/jsonschema/1-0-0")
        let data = try #require(ai["data"] as? [String: Any])
        #expect(
            Set(data.keys) == [
                "session_id", "workflow_id", "flow_type", "agent_name", "agent_type", "input_tokens", "output_tokens",
                "total_tokens", "ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens", "cache_read", "model_engine",
                "model_name", "model_provider", "flow_version", "flow_registry_version",
            ])
        #expect(data["session_id"] as? String == "session-9")
        #expect(data["input_tokens"] as? Int == 1_200)
        #expect(data["model_name"] as? String == "claude")
        #expect(data["workflow_id"] is NSNull && data["output_tokens"] is NSNull)
        #expect(data["lang"] == nil, "only ai_context's own fields")
        let standard = try #require(contexts.first?["data"] as? [String: Any])
        #expect((standard["extra"] as? [String: Any])?["lang"] as? String == "swift")
        #expect(record.fields["se_la"] == "chat" && record.fields["se_pr"] == "req-1")
    }

    @Test func pseudonymIsGitLabsFormula() throws {
        // Expected value computed independently: base64(sha256("424242424" + secret[:32])) in Python.
        #expect(
            try Pseudonymizer(secret: secret).pseudonym(for: 424_242_424)
                == "6J/rWDLJhKZcCj1JsYmGQzo2z6S2jpgz1eSkp61t7u0=")
        #expect(throws: TrackingError.self) { try Pseudonymizer(secret: "") }
        #expect(!"\(try Pseudonymizer(secret: secret))".contains("0123"), "the secret never shows")
    }

    @Test func structuredEventFields() throws {
        let fields = try record().fields
        #expect(fields["e"] == "se")
        #expect(fields["se_ca"] == "InternalEventTracking")
        #expect(fields["se_ac"] == "export_report")
        #expect(fields["se_la"] == "csv" && fields["se_pr"] == "usage" && fields["se_va"] == "120")
        #expect(fields["dtm"] == "1735689600000")
        #expect(fields["tna"] == "gl" && fields["p"] == "srv" && fields["aid"] == "tally_sm")
        #expect(UUID(uuidString: fields["eid"] ?? "") != nil)
        let contexts = try Self.decodeContexts(try #require(fields["cx"]))
        let standard = try #require((contexts["data"] as? [[String: Any]])?.first?["data"] as? [String: Any])
        #expect(standard["user_id"] as? String == "6J/rWDLJhKZcCj1JsYmGQzo2z6S2jpgz1eSkp61t7u0=")
        #expect(standard["project_id"] as? Int == 7 && standard["namespace_id"] as? Int == 3)
        #expect((standard["extra"] as? [String: Any])?["compressed"] as? String == "yes")
        #expect(standard["instance_id"] as? String == "0f1d2c3b-4a59-6877-8695-a4b3c2d1e0f0")
        let servicePing = try #require((contexts["data"] as? [[String: Any]])?.last?["data"] as? [String: Any])
        #expect(servicePing["event_name"] as? String == "export_report")
    }

    @Test func noRawUserIDInAnyByte() throws {
        let envelope = SnowplowEventRecord.envelope([try record()], sentAt: Date()).serialized()
        let decoded = try Self.decodeContexts(try #require(try record().fields["cx"]))
        let everything = envelope + String(decoding: try JSONSerialization.data(withJSONObject: decoded), as: UTF8.self)
        #expect(!everything.contains("424242424"))
    }

    @Test func validatesAgainstSnowplowsSchemas() async throws {
        let schemas = DefinitionFolder.packageRoot.deletingLastPathComponent().appendingPathComponent(
            "shared/compat/snowplow/schemas")
        guard FileManager.default.fileExists(atPath: schemas.path) else {
            if TestEnvironment.isCI { Issue.record("Snowplow schemas not found at \(schemas.path)") }
            return
        }
        let folder = try DefinitionFolder()
        let envelope = SnowplowEventRecord.envelope(
            [try record(), try duoRecord()], sentAt: Date(timeIntervalSince1970: 1_735_689_601))
        let envelopePath = try folder.write("envelope.json", envelope.serialized())
        let script = """
            import base64, json, sys, jsonschema
            root, path = sys.argv[1], sys.argv[2]
            load = lambda p: {k: v for k, v in json.load(open(root + p)).items() if k not in ("$schema", "self")}
            envelope = json.load(open(path))
            gitlab = ["iglu:com.gitlab/gitlab_standard/jsonschema/1-1-7",
                      "iglu:com.gitlab/gitlab_service_ping/jsonschema/1-0-1",
                      "iglu:com.gitlab/ai_context/jsonschema/1-0-0"]
            seen = []
            assert envelope["schema"] == "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"
            jsonschema.validate(envelope["data"], load("/com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"))
            for event in envelope["data"]:
                cx = event["cx"]
                contexts = json.loads(base64.urlsafe_b64decode(cx + "=" * (-len(cx) % 4)))
                assert contexts["schema"] == "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"
                jsonschema.validate(contexts["data"], load("/com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"))
                # GitLab's own context schemas are not public (see MANIFEST.md): each context is checked as a
                # self-describing instance whose schema is one GitLab sends.
                for context in contexts["data"]:
                    jsonschema.validate(context, load("/com.snowplowanalytics.self-desc/instance/jsonschema/1-0-0"))
                    assert context["schema"] in gitlab and isinstance(context["data"], dict), context["schema"]
                seen.append([context["schema"] for context in contexts["data"]])
            assert seen == [gitlab[:2], gitlab], seen
            print("valid")
            """
        let output = try await TestEnvironment.run(["python3", "-c", script, schemas.path, envelopePath]).output
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "valid", "\(output)")
    }

    static func decodeContexts(_ cx: String) throws -> [String: Any] {
        var base64 = cx.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let data = try #require(Data(base64Encoded: base64))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
