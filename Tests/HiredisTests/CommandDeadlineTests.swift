import Foundation
import Hiredis
import TallyTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `commandTimeout` bounds a whole call, not each socket read: a server that sends its replies one byte at a time,
/// each byte well within the timeout but all of them together not, must not keep a call waiting past it.
///
/// No `redis-server` here: a loopback server of the test's own answers with canned RESP bytes.
@Suite("Command deadline")
struct CommandDeadlineTests {
    enum Call: String, CaseIterable, Sendable {
        case send, pipeline, transaction

        /// What the server sends back, whatever it was asked.
        var reply: [UInt8] {
            switch self {
            case .send: Array("$16\r\nsixteen bytes...\r\n".utf8)
            case .pipeline: Array(String(repeating: "+PONG\r\n", count: 4).utf8)
            case .transaction: Array("+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n:2\r\n".utf8)
            }
        }

        func run(on connection: RedisConnection) throws(RedisError) {
            switch self {
            case .send: _ = try connection.send(.get("k"))
            case .pipeline: _ = try connection.pipeline(Array(repeating: .ping, count: 4))
            case .transaction: _ = try connection.transaction([.incr("k"), .incr("k")])
            }
        }
    }

    /// Every byte comes 40 ms after the one before, far within the 400 ms timeout, but a reply of over 20 bytes
    /// needs more than twice the timeout in all: the call fails with `.timeout` and breaks the connection.
    @Test(arguments: Call.allCases)
    func aDribblingServerCannotStretchACall(_ call: Call) async throws {
        let server = try DribblingServer(reply: call.reply, pause: .milliseconds(40))
        let (error, broken) = try await Self.connectAndRun(call, port: server.port, commandTimeout: .milliseconds(400))
        if let error {
            #expect(error.code == .timeout, "\(error)")
        } else {
            Issue.record("the call outlived its timeout and succeeded")
        }
        #expect(broken)
    }

    /// The same server and pauses with a timeout longer than the whole reply: the call succeeds, so the server
    /// above speaks valid RESP and only the total time made those calls fail.
    @Test(arguments: Call.allCases)
    func theSameServerWithinTheTimeout(_ call: Call) async throws {
        let server = try DribblingServer(reply: call.reply, pause: .milliseconds(40))
        let (error, broken) = try await Self.connectAndRun(call, port: server.port, commandTimeout: .seconds(60))
        #expect(error == nil, "\(String(describing: error))")
        #expect(!broken)
    }

    /// Connects to the server on `port` and makes `call`, in one go on a thread of its own (the server gives up on a
    /// client whose request doesn't come within 30 s, which a task waiting for the busy pool between the two steps
    /// could miss); returns the call's error, if any, and whether the connection is broken after it.
    static func connectAndRun(
        _ call: Call, port: Int, commandTimeout: Duration
    ) async throws -> (error: RedisError?, broken: Bool) {
        try await TestEnvironment.onOwnThread {
            let connection = try RedisConnection(
                configuration: RedisConfiguration(
                    endpoint: .tcp(host: "127.0.0.1", port: port), commandTimeout: commandTimeout))
            let error = redisError { () throws(RedisError) in try call.run(on: connection) }
            return (error, connection.isBroken)
        }
    }
}

/// A TCP server on 127.0.0.1 (a port the kernel picks) for one connection: after the first bytes of a request it
/// sends `reply`, one byte per `pause`, then closes.
///
/// It runs on a `Thread` of its own with blocking sockets (never on the cooperative pool) and stops by itself:
/// after that one connection, when the client goes away, or when nobody connects within 30 s.
private final class DribblingServer: Sendable {
    struct SocketError: Error, CustomStringConvertible {
        var description: String
    }

    let port: Int

    init(reply: [UInt8], pause: Duration) throws {
        let listener = socket(AF_INET, Self.streamType, 0)
        guard listener >= 0 else { throw SocketError(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && listen(listener, 1) == 0
                    && getsockname(listener, generic, &length) == 0
            }
        }
        guard bound else {
            let text = String(cString: strerror(errno))
            close(listener)
            throw SocketError(description: "bind/listen on 127.0.0.1: \(text)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        // accept(2) gives up after 30 s, so an unused server ends its thread too.
        Self.setTimeout(listener, seconds: 30)
        let pauseMicroseconds = useconds_t(pause.inNanoseconds / 1_000)
        Thread {
            defer { close(listener) }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            defer { close(client) }
            Self.setTimeout(client, seconds: 30)
            Self.suppressSIGPIPE(client)
            var request = [UInt8](repeating: 0, count: 4_096)
            guard read(client, &request, request.count) > 0 else { return }
            for byte in reply {
                var one = byte
                // The client gave up (closed its socket): stop.
                guard Self.sendOne(client, &one) else { return }
                usleep(pauseMicroseconds)
            }
        }.start()
    }

    #if os(Linux)
        private static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
        private static let streamType = SOCK_STREAM
    #endif

    private static func setTimeout(_ descriptor: Int32, seconds: Int) {
        var limit = timeval(tv_sec: .init(seconds), tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writing to a socket the client closed must fail with `EPIPE`, not kill the test process with `SIGPIPE`.
    private static func suppressSIGPIPE(_ descriptor: Int32) {
        #if canImport(Darwin)
            var on: Int32 = 1
            _ = setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    private static func sendOne(_ descriptor: Int32, _ byte: inout UInt8) -> Bool {
        #if os(Linux)
            Glibc.send(descriptor, &byte, 1, Int32(MSG_NOSIGNAL)) == 1
        #else
            Darwin.send(descriptor, &byte, 1, 0) == 1
        #endif
    }
}
