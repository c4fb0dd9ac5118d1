/// A command of a pipeline still to be answered.
struct RedisClusterPendingCommand: Sendable {
    /// Its position in the caller's list.
    let index: Int
    /// The node an `-ASK` named, for the next attempt only.
    var askTarget: RedisClusterAddress?
    /// The `-TRYAGAIN`/`-CLUSTERDOWN` reply of the last attempt, returned once out of retries.
    var lastReply: RedisReply?

    init(index: Int, askTarget: RedisClusterAddress? = nil, lastReply: RedisReply? = nil) {
        self.index = index
        self.askTarget = askTarget
        self.lastReply = lastReply
    }
}

/// What one round of a cluster pipeline left to do: the commands to send again, and why.
struct RedisClusterPipelineRound {
    enum Cause {
        case unserved(RedisClusterSlot?)
        case unreachable(RedisError)
    }

    var next: [RedisClusterPendingCommand] = []
    var redirected = false
    var needsBackoff = false
    var lastRedirect: RedisClusterRedirect?
    var lastCause: Cause?

    /// Retries a command that got no reply (no master for its slot, or its node refused connections).
    mutating func retry(_ item: RedisClusterPendingCommand, because cause: Cause) {
        next.append(RedisClusterPendingCommand(index: item.index))
        needsBackoff = true
        lastCause = cause
    }

    /// Takes a reply as the answer (`answer`) or schedules the command again after a redirect or refusal.
    mutating func classify(
        _ reply: RedisReply, of item: RedisClusterPendingCommand, from address: RedisClusterAddress,
        client: RedisClusterClient,
        answer: (RedisReply) -> Void
    ) {
        guard let error = reply.serverError else { return answer(reply) }
        if let redirect = RedisClusterRedirect(error, answeredBy: address) {
            redirected = true
            lastRedirect = redirect
            if redirect.kind == .moved {
                client.apply(moved: redirect)
                next.append(RedisClusterPendingCommand(index: item.index))
            } else {
                client.count { $0.ask += 1 }
                next.append(RedisClusterPendingCommand(index: item.index, askTarget: redirect.address))
            }
            return
        }
        switch error.code {
        case .tryAgain:
            client.count { $0.tryAgain += 1 }
        case .clusterDown:
            client.count { $0.clusterDown += 1 }
            client.markTopologyStale()
        default:
            return answer(reply)
        }
        // After an ASK, the slot's owner is asked again: the migration may have ended meanwhile.
        next.append(RedisClusterPendingCommand(index: item.index, lastReply: reply))
        needsBackoff = true
    }

    /// The error for commands out of retries that never got a reply.
    func finalError(retries: Int) -> RedisError {
        switch lastCause {
        case .unreachable(var error):
            error.message += " (after \(retries) retries)"
            return error
        case .unserved(let slot):
            var error = RedisClusterClient.unservedError(slot)
            error.message += " (after \(retries) retries)"
            return error
        case nil:
            return RedisClusterClient.unservedError(nil)
        }
    }
}
