/// One Redis command: its arguments (the name first) and which of them are keys.
///
/// Commands carry their keys so that a cluster-aware client can route them by hash slot later without any
/// change for callers. Build commands with the static builders (`.incr(key)`, `.pfadd(key, members)`, …) or,
/// for anything else, with `init(_:keys:arguments:)`.
public struct RedisCommand: Sendable, Hashable {
    /// Every argument as sent, the command name first.
    public let arguments: [[UInt8]]
    /// Positions in `arguments` that hold keys.
    public let keyPositions: [Int]

    /// A command whose keys follow the name, then the other arguments: `NAME key… argument…`.
    public init(
        _ name: String,
        keys: [any RedisArgumentConvertible] = [],
        arguments: [any RedisArgumentConvertible] = []
    ) {
        var all: [[UInt8]] = []
        all.reserveCapacity(1 + keys.count + arguments.count)
        all.append(Array(name.utf8))
        for key in keys { all.append(key.redisArgument) }
        for argument in arguments { all.append(argument.redisArgument) }
        self.arguments = all
        self.keyPositions = keys.isEmpty ? [] : Array(1...keys.count)
    }

    /// A command given as raw arguments, with the positions of its keys.
    /// - Precondition: `arguments` is not empty and every key position is inside it.
    public init(arguments: [[UInt8]], keyPositions: [Int]) {
        precondition(!arguments.isEmpty, "a Redis command needs at least its name")
        precondition(keyPositions.allSatisfy { arguments.indices.contains($0) }, "key position out of range")
        self.arguments = arguments
        self.keyPositions = keyPositions
    }

    /// The command name, as sent.
    public var name: String { String(decoding: arguments[0], as: UTF8.self) }

    /// The keys this command reads or writes.
    public var keys: [[UInt8]] { keyPositions.map { arguments[$0] } }
}

extension RedisCommand: CustomStringConvertible {
    /// The command as `redis-cli` would take it, arguments quoted where needed.
    public var description: String {
        arguments.map(Self.quoted).joined(separator: " ")
    }

    private static func quoted(_ bytes: [UInt8]) -> String {
        let plain =
            !bytes.isEmpty
            && bytes.allSatisfy {
                $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "'")
                    && $0 != UInt8(ascii: "\\")
            }
        if plain { return String(decoding: bytes, as: UTF8.self) }
        var text = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): text += "\\\""
            case UInt8(ascii: "\\"): text += "\\\\"
            case UInt8(ascii: "\n"): text += "\\n"
            case UInt8(ascii: "\r"): text += "\\r"
            case UInt8(ascii: "\t"): text += "\\t"
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
            default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return text + "\""
    }
}
