import Foundation
import InternalEvents
import ServicePing
import Testing

@Suite("Payload JSON")
struct JSONValueTests {
    @Test func keepsKeyOrderAndEscapes() throws {
        let value = JSONValue.object([
            ("z", .integer(1)), ("a", .string("quote \" backslash \\ newline \n tab \t bell \u{07} ünï")),
            ("list", .array([.null, .bool(true), .double(1.5), .double(2), .object([])])),
        ])
        let text = value.serialized()
        #expect(
            text
                == #"{"z":1,"a":"quote \" backslash \\ newline \n tab \t bell \u0007 ünï","list":[null,true,1.5,2.0,{}]}"#
        )
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(parsed?["a"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07} ünï")
        let pretty = value.serialized(pretty: true)
        #expect(try JSONSerialization.jsonObject(with: Data(pretty.utf8)) is [String: Any])
        #expect(JSONValue.double(.nan).serialized() == "null")
    }

    @Test func timestampsHaveMilliseconds() {
        #expect(JSONValue.formatTimestamp(Date(timeIntervalSince1970: 1_740_048_243.12)) == "2025-02-20T10:44:03.120Z")
    }
}
