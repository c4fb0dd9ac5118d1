import Foundation

/// Debian's headless `chromium`, driven through `chromedriver` by PyPI's `selenium` (`scripts/browser-check.py`).
///
/// A missing browser skips the browser suites on a developer's machine and fails them under `CI=true`.
public enum Browser {
    /// One page to load, with what to do on it.
    public struct Page: Sendable {
        public var url: String
        public var name: String?
        public var width: Int
        public var clicks: [String]
        public var wait: String?
        public var eval: String?

        public init(
            url: String, name: String? = nil, width: Int = 1280, clicks: [String] = [], wait: String? = nil,
            eval: String? = nil
        ) {
            self.url = url
            self.name = name
            self.width = width
            self.clicks = clicks
            self.wait = wait
            self.eval = eval
        }

        var json: String {
            var fields: [String: Any] = ["url": url, "width": width, "clicks": clicks]
            if let name { fields["name"] = name }
            if let wait { fields["wait"] = wait }
            if let eval { fields["eval"] = eval }
            let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// What the browser saw on a page.
    public struct Visit: Sendable {
        public var url: String
        public var title: String
        /// Console messages at level SEVERE (errors, failed requests).
        public var errors: [String]
        /// Every console message.
        public var console: [String]
        /// The page's `eval`, as JSON text.
        public var result: String
        /// Whether the `wait` expression became true (nil without one).
        public var waited: Bool?
    }

    public static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
    }

    /// Whether browser suites should run: the browser is installed, or this is CI (where its absence must fail).
    public static var shouldRunSuites: Bool { isInstalled || TestEnvironment.isCI }

    /// Where the suites save their screenshots: `.build/screenshots` (kept after the run).
    public static var screenshotFolder: URL {
        DefinitionFolder.packageRoot.appendingPathComponent(".build/screenshots")
    }

    /// Visits the pages in one browser session, in order.
    /// - Parameters:
    ///   - doNotTrack: Chrome's Do-Not-Track preference on.
    ///   - globalPrivacyControl: `navigator.globalPrivacyControl` true.
    public static func visit(
        _ pages: [Page], doNotTrack: Bool = false, globalPrivacyControl: Bool = false
    ) async throws -> [Visit] {
        let script = DefinitionFolder.packageRoot.appendingPathComponent("scripts/browser-check.py").path
        var arguments = ["python3", script, "--screenshots", screenshotFolder.path]
        if doNotTrack { arguments.append("--dnt") }
        if globalPrivacyControl { arguments.append("--gpc") }
        arguments += pages.map(\.json)
        let (status, output) = try await TestEnvironment.run(arguments)
        guard status == 0, let line = output.split(separator: "\n").last(where: { $0.hasPrefix("[") }),
            let visits = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [[String: Any]]
        else {
            throw BrowserError(description: "browser-check.py exited \(status): \(output)")
        }
        return visits.map { visit in
            let console = (visit["console"] as? [[String: Any]]) ?? []
            let result = visit["result"].map { value -> String in
                if value is NSNull { return "null" }
                guard JSONSerialization.isValidJSONObject([value]),
                    let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys])
                else { return "\(value)" }
                let text = String(decoding: data, as: UTF8.self)
                return String(text.dropFirst().dropLast())
            }
            return Visit(
                url: visit["url"] as? String ?? "", title: visit["title"] as? String ?? "",
                errors: console.filter { ($0["level"] as? String) == "SEVERE" }.map { "\($0["message"] ?? "")" },
                console: console.map { "\($0["level"] ?? ""): \($0["message"] ?? "")" },
                result: result ?? "null", waited: visit["waited"] as? Bool)
        }
    }
}

public struct BrowserError: Error, CustomStringConvertible {
    public var description: String
}
