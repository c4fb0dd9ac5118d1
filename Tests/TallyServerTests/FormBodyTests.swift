import InternalEvents
import Testing

@testable import TallyServer

/// Form bodies read with Rack's nested-parameter rules, as GitLab's Grape API reads them.
@Suite("Form bodies")
struct FormBodyTests {
    func parse(_ form: String) throws(APIError) -> JSONValue {
        .object(try FormBody.parse(Array(form.utf8)))
    }

    func object(_ pairs: (String, JSONValue)...) -> JSONValue {
        .object(pairs.map { (key: $0.0, value: $0.1) })
    }

    @Test(
        "a form is application/x-www-form-urlencoded in any case, with parameters and spaces",
        arguments: [
            ("application/x-www-form-urlencoded", true), ("Application/X-WWW-Form-URLEncoded", true),
            (" application/x-www-form-urlencoded ; charset=utf-8", true),
            ("\tapplication/x-www-form-urlencoded\t", true),
            ("application/json", false), ("application/x-www-form-urlencodedx", false),
            ("x application/x-www-form-urlencoded", false), ("", false), ("é", false),
        ])
    func formContentTypes(contentType: String, isForm: Bool) {
        #expect(RequestBody.isForm(contentType) == isForm)
        #expect(RequestBody.isForm(nil) == false)
    }

    @Test("plain pairs: text values in order, the last repeat wins, + and %XX decoded, no = is null")
    func plainPairs() throws {
        #expect(
            try parse("b=2&a=1&b=3&c&d=&e=mr+list%21&&f%5Bg%5D=%C3%A9")
                == object(
                    ("b", .string("3")), ("a", .string("1")), ("c", .null), ("d", .string("")),
                    ("e", .string("mr list!")), ("f", object(("g", .string("é"))))))
        #expect(try parse("") == object())
        #expect(try parse("=x&&") == object(), "a pair without a name is skipped")
    }

    @Test("a[b] nests objects and a[] makes lists")
    func nesting() throws {
        #expect(
            try parse("additional_properties[label]=mr&additional_properties[value]=5&x[y][z]=1&l[]=1&l[]=2")
                == object(
                    ("additional_properties", object(("label", .string("mr")), ("value", .string("5")))),
                    ("x", object(("y", object(("z", .string("1")))))),
                    ("l", .array([.string("1"), .string("2")]))))
    }

    @Test("a[][b]: a pair fills the list's last object unless that object has its key, which starts a new one")
    func listsOfObjects() throws {
        #expect(
            try parse("events[][event]=a&events[][project_id]=1&events[][event]=b")
                == object(
                    (
                        "events",
                        .array([
                            object(("event", .string("a")), ("project_id", .string("1"))),
                            object(("event", .string("b"))),
                        ])
                    )))
        // What Rails' `post … params: {events: [{event:, additional_properties: {…}}, …]}` sends.
        #expect(
            try parse(
                "events[][event]=a&events[][additional_properties][label]=x&events[][additional_properties][value]=5"
                    + "&events[][event]=b&events[][additional_properties][label]=y"
            )
                == object(
                    (
                        "events",
                        .array([
                            object(
                                ("event", .string("a")),
                                ("additional_properties", object(("label", .string("x")), ("value", .string("5"))))),
                            object(("event", .string("b")), ("additional_properties", object(("label", .string("y"))))),
                        ])
                    )))
    }

    @Test(
        "a name given as a value and as a list or nested fields is a 400 naming it",
        arguments: [
            ("a=1&a[b]=2", "a"),
            ("a[b]=1&a[]=2", "a"),
            ("a[]=1&a[b]=2", "a"),
            ("a[b]=1&a[b][c]=2", "a[b]"),
            ("events[][event]=x&events[][event][y]=1", "events[][event]"),
        ])
    func conflicts(form: String, field: String) throws {
        let error = try #require(throws: APIError.self) { try parse(form) }
        #expect(error.status == .badRequest)
        #expect(error.field == field, "\(error)")
    }

    @Test("32 levels of brackets at most, as Rack's param_depth_limit")
    func depthLimit() throws {
        let allowed = "a" + String(repeating: "[b]", count: 31) + "=1"
        _ = try parse(allowed)
        let error = try #require(throws: APIError.self) {
            try parse("a" + String(repeating: "[b]", count: 32) + "=1")
        }
        #expect(error.status == .badRequest)
        #expect(error.field?.hasPrefix("a[b][b]") == true, "\(error)")
    }

    @Test(
        "a broken %-escape or text that is not UTF-8 is a 400 naming the body",
        arguments: ["a=%", "a=%4", "a=%GG", "a=%FF", "%C3=1"])
    func badBytes(form: String) throws {
        let error = try #require(throws: APIError.self) { try parse(form) }
        #expect(error.status == .badRequest && error.field == "body", "\(error)")
    }
}
