extension RedisError {
    /// Classifies a server's error reply by the first word of its line, the one place that reads it.
    ///
    /// The word becomes `serverCodeWord` and picks the code (`WRONGTYPE` → `.wrongType`, `NOAUTH` and `WRONGPASS`
    /// → `.authenticationFailed`, …); `ERR`, an unknown word, or a line that doesn't start with an upper-case word
    /// (a script's `redis.error_reply('oops')`) is `.serverError`. `message` keeps the whole line.
    /// - Parameter line: the error line as hiredis hands it over, without RESP's leading `-`.
    public init(serverReply line: String) {
        let word = Self.codeWord(of: line)
        self.init(code: word.flatMap { Self.serverCodes[$0] } ?? .serverError, message: line, serverCodeWord: word)
    }

    /// Whether the server refused the command with an error reply (any of the server codes, `.serverError`
    /// included), as opposed to a failure of the connection, the pool or the caller.
    public var isServerError: Bool {
        switch code.base {
        case .io, .eof, .protocolError, .timeout, .connectionRefused, .unexpectedReply, .poolClosed, .poolTimeout,
            .cancelled, .invalidConfiguration, .outOfMemory, .tooManyRedirects:
            false
        default:
            true
        }
    }

    /// Whether the server refused the command because of a state that passes, so the same command, unchanged,
    /// may succeed later.
    ///
    /// True for: `.readOnly` (a replica is promoted, or the client is pointed back at the primary),
    /// `.serverOutOfMemory` (memory is freed or `maxmemory` raised), `.loading` (the dataset finishes loading),
    /// `.busy` (the long script ends or is killed), `.persistenceFailure` (the snapshot succeeds again),
    /// `.masterDown` (the replica reconnects to its primary), `.noReplicas` (replicas reconnect), `.tryAgain`
    /// (the slot migration ends), `.clusterDown` (the cluster recovers), and `.authenticationFailed` (while a
    /// password is rotated, a connection may briefly present the old or the new one).
    ///
    /// False for everything else: refusals of the command itself (`.serverError`, `.wrongType`, `.noScript`,
    /// `.noPermission`, `.crossSlot`, `.execAbort`), redirections (`.moved`, `.ask`: ask the other node), and every
    /// error that is not a server refusal. In particular connection failures (`.timeout`, `.eof`, `.io`) are not
    /// listed: after those the command may or may not have run (see `breaksConnection`).
    public var isTransient: Bool {
        switch code.base {
        case .readOnly, .serverOutOfMemory, .loading, .busy, .persistenceFailure, .masterDown, .noReplicas,
            .tryAgain, .clusterDown, .authenticationFailed:
            true
        default:
            false
        }
    }

    /// The first space-separated word of an error line, if it is a code word: `A`–`Z`, `0`–`9` and `_` only.
    static func codeWord(of line: String) -> String? {
        let word = line.utf8.prefix { $0 != UInt8(ascii: " ") }
        let isCodeWord =
            !word.isEmpty
            && word.allSatisfy {
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || $0 == UInt8(ascii: "_")
            }
        return isCodeWord ? String(decoding: word, as: UTF8.self) : nil
    }

    /// Code words with a code of their own; every other word is `.serverError`.
    private static let serverCodes: [String: Code] = [
        "WRONGTYPE": .wrongType,
        "READONLY": .readOnly,
        "OOM": .serverOutOfMemory,
        "LOADING": .loading,
        "BUSY": .busy,
        "MISCONF": .persistenceFailure,
        "NOSCRIPT": .noScript,
        "NOAUTH": .authenticationFailed,
        "WRONGPASS": .authenticationFailed,
        "NOPERM": .noPermission,
        "EXECABORT": .execAbort,
        "MASTERDOWN": .masterDown,
        "NOREPLICAS": .noReplicas,
        "TRYAGAIN": .tryAgain,
        "CLUSTERDOWN": .clusterDown,
        "MOVED": .moved,
        "ASK": .ask,
        "CROSSSLOT": .crossSlot,
    ]
}

extension RedisReply {
    /// The classified error of an error reply (see `RedisError.init(serverReply:)`), or `nil` for any other reply.
    public var serverError: RedisError? {
        if case .error(let line) = self { return RedisError(serverReply: line) }
        return nil
    }
}
