/// A message waiting to be sent, with how many of its frames libzmq has already accepted.
struct PendingSend {
    let message: Message
    var sentFrames: Int
}

/// What one non-blocking attempt to send (the rest of) a message did.
enum SendAttempt: Equatable {
    /// Every frame went out.
    case sent
    /// libzmq said EAGAIN after accepting `sentFrames` frames in total; retry later from there.
    case wouldBlock(sentFrames: Int)
    /// A hard error: the message is dropped.
    case failed(ZMQError)
}

/// The unsent messages of one reactor-owned socket, and the policy for retrying them.
///
/// A ROUTER gets one FIFO per peer (keyed by the routing-id frame), so a peer whose pipe is full
/// holds back only its own messages; other sockets get one FIFO. Order is kept per FIFO. Pure logic:
/// the caller passes the function that actually talks to libzmq.
struct OutboundQueue {
    /// Whether messages are queued per routing id (ROUTER) or in one FIFO.
    let perPeer: Bool
    /// Most messages held at once; past it new messages fail with `.queueFull`.
    let limit: Int
    private var single = FIFO<PendingSend>()
    private var peers: [[UInt8]: FIFO<PendingSend>] = [:]
    /// Messages currently held.
    private(set) var count = 0

    init(perPeer: Bool, limit: Int) {
        self.perPeer = perPeer
        self.limit = limit
    }

    var isEmpty: Bool { count == 0 }

    enum SubmitResult: Equatable {
        case sent
        case queued
        case failed(SendFailure)
    }

    /// Sends `message` now if nothing is queued ahead of it (for its peer), else queues it.
    mutating func submit(_ message: Message, attempt: (inout PendingSend) -> SendAttempt) -> SubmitResult {
        guard !message.frames.isEmpty else { return .failed(.emptyMessage) }
        let key = perPeer ? message.frames[0].bytes : []
        var pending = PendingSend(message: message, sentFrames: 0)
        if queueIsEmpty(for: key) {
            switch attempt(&pending) {
            case .sent: return .sent
            case .failed(let error): return .failed(.zmq(error))
            case .wouldBlock(let sentFrames): pending.sentFrames = sentFrames
            }
        }
        // A message libzmq has started taking must be finished whatever the limit.
        guard count < limit || pending.sentFrames > 0 else { return .failed(.queueFull(limit: limit)) }
        append(pending, key: key)
        return .queued
    }

    /// Retries queued messages until each FIFO is empty or blocked. Returns how many went out;
    /// `failed` is told about each message dropped on a hard error.
    mutating func flush(
        attempt: (inout PendingSend) -> SendAttempt,
        failed: (Message, ZMQError) -> Void
    ) -> Int {
        guard count > 0 else { return 0 }
        var sent = 0
        if perPeer {
            for key in Array(peers.keys) {
                guard var fifo = peers.removeValue(forKey: key) else { continue }
                sent += drain(&fifo, attempt: attempt, failed: failed)
                if !fifo.isEmpty { peers[key] = fifo }
            }
        } else {
            var fifo = single
            single = FIFO()  // leaves `fifo` uniquely referenced: no copy-on-write
            sent += drain(&fifo, attempt: attempt, failed: failed)
            single = fifo
        }
        return sent
    }

    /// Empties the queue, returning the unsent messages (for reporting on shutdown).
    mutating func removeAll() -> [Message] {
        var all = single.removeAll().map(\.message)
        for key in Array(peers.keys) {
            all += peers[key]!.removeAll().map(\.message)
        }
        peers.removeAll()
        count = 0
        return all
    }

    private func queueIsEmpty(for key: [UInt8]) -> Bool {
        perPeer ? peers[key] == nil : single.isEmpty
    }

    private mutating func append(_ pending: PendingSend, key: [UInt8]) {
        if perPeer {
            peers[key, default: FIFO()].append(pending)
        } else {
            single.append(pending)
        }
        count += 1
    }

    private mutating func drain(
        _ fifo: inout FIFO<PendingSend>,
        attempt: (inout PendingSend) -> SendAttempt,
        failed: (Message, ZMQError) -> Void
    ) -> Int {
        var sent = 0
        while var pending = fifo.first {
            switch attempt(&pending) {
            case .sent:
                fifo.popFirst()
                count -= 1
                sent += 1
            case .failed(let error):
                fifo.popFirst()
                count -= 1
                failed(pending.message, error)
            case .wouldBlock(let sentFrames):
                pending.sentFrames = sentFrames
                fifo.replaceFirst(pending)
                return sent
            }
        }
        return sent
    }
}
