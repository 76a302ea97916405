import Foundation
import SwitchyardTensor
import SwitchyardWire

/// Starting inputs for each target (`switchyard-fuzz seed TARGET DIR` writes them): valid
/// messages, event sequences, request bodies, texts and templates the fuzzer mutates from.
public enum FuzzSeeds {
    public static func seeds(for target: String) -> [[UInt8]] {
        switch target {
        case "wire": wire()
        case "control": control()
        case "request": requests()
        case "tokenizer": texts()
        case "chat-template": templates()
        default: []
        }
    }

    static func ref(_ layer: UInt32, _ expert: UInt32) -> Switchyard_V1_ExpertRef {
        var ref = Switchyard_V1_ExpertRef()
        ref.layer = layer
        ref.expert = expert
        return ref
    }

    static func wire() -> [[UInt8]] {
        var register = Switchyard_V1_Register()
        register.workerID = "worker-1"
        register.capacity.threads = 2
        register.model.digest = "abc123"
        register.model.modelType = "mixtral"
        register.model.layers = 2
        register.model.expertsPerLayer = 4
        register.model.hiddenSize = 8
        register.held = [ref(0, 1), ref(1, 3)]
        register.pinnedExperts = [1, 3]
        var welcome = Switchyard_V1_Welcome()
        welcome.routerID = "router"
        welcome.heartbeatIntervalMs = 1000
        welcome.liveness = 3
        var refusal = Switchyard_V1_Refusal()
        refusal.code = .duplicateWorkerID
        refusal.text = "a live worker already registered as `worker-1`"
        var assignment = Switchyard_V1_Assignment()
        assignment.placementVersion = 4
        assignment.load = [ref(0, 0), ref(1, 2)]
        assignment.drop = [ref(0, 3)]
        var ack = Switchyard_V1_AssignmentAck()
        ack.placementVersion = 4
        ack.loaded = [ref(0, 0), ref(1, 2)]
        ack.residentBytes = 4096
        var beat = Switchyard_V1_Heartbeat()
        beat.sequence = 9
        beat.queuedDispatches = 2
        var goodbye = Switchyard_V1_Disconnect()
        goodbye.reason = .replaced
        goodbye.detail = "evicted"
        var drain = Switchyard_V1_Drain()
        drain.phase = .released
        let header = WireFuzz.inFlightHeader
        let reply = Switchyard_V1_DispatchReply.answering(header, dtype: .f32, computeMicros: 12)
        let replyRows = TensorBytes(copying: [UInt8](repeating: 0x3f, count: Int(header.tokenCount) * 8 * 4))
        let failure = Switchyard_V1_DispatchReply.failure(answering: header, error: "no such expert")
        let toWorker: [WireMessage] = [
            .welcome(welcome), .refusal(refusal), .assignment(assignment), .heartbeat(beat), .disconnect(goodbye),
            .drain(drain), WireFuzz.inFlight.message(dispatchID: 7, step: 3, microBatch: 1, layer: 1),
        ]
        let toRouter: [WireMessage] = [
            .register(register), .assignmentAck(ack), .heartbeat(beat), .disconnect(goodbye), .drain(drain),
            .reply(reply, rows: replyRows), .reply(failure, rows: nil),
        ]
        return toWorker.map { WireFuzz.input(direction: 0, frames: try! $0.encode()) }
            + toRouter.map { WireFuzz.input(direction: 1, frames: try! $0.encode()) }
    }

    static func control() -> [[UInt8]] {
        // op, worker, then each op's bytes (see ControlFuzz.run).
        let registerAll: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0]
        let ackAll: [UInt8] = [1, 0, 0, 1, 1, 0, 1, 2, 0, 1, 0, 0, 1, 1, 0]
        let call: [UInt8] = [7, 0, 1, 0x0f, 1, 2, 3, 4]
        let answer: [UInt8] = [8, 0, 0, 1]
        let tick: [UInt8] = [6, 0, 60]
        return [
            [1] + registerAll + ackAll + call + answer,
            [0] + registerAll + ackAll + call + tick + tick + call + [9, 0, 0, 1] + answer,
            [3] + registerAll + ackAll + [5, 1] + ackAll + ackAll + call + [4, 0] + answer + tick,
            [6] + registerAll + [0, 1, 1, 0] + ackAll + call + tick + tick + tick + tick + ackAll + call + answer,
        ]
    }

    static func requests() -> [[UInt8]] {
        let completions = [
            #"{"model":"tiny","prompt":"Hello","max_tokens":8,"temperature":0}"#,
            #"{"prompt":[[1,2,3],[4,5]],"max_tokens":4,"n":2,"best_of":3,"logprobs":2,"echo":true,"stop":["\n"],"logit_bias":{"5":-100}}"#,
            #"{"prompt":["a","b"],"stream":true,"stream_options":{"include_usage":true},"top_k":5,"top_p":0.9,"min_p":0.1,"seed":3,"presence_penalty":0.5,"frequency_penalty":0.5,"repetition_penalty":1.1,"min_tokens":2,"stop_token_ids":[7],"ignore_eos":true}"#,
        ]
        let chats = [
            #"{"model":"tiny","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"max_completion_tokens":16}"#,
            #"{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],"n":2,"logprobs":true,"top_logprobs":3,"stream":true}"#,
            #"{"messages":[{"role":"user","content":"add"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"add","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"c1","content":"1"}],"tools":[{"type":"function","function":{"name":"add","parameters":{"type":"object"}}}],"tool_choice":"auto","chat_template_kwargs":{"enable_thinking":false},"response_format":{"type":"text"}}"#,
            #"{"messages":[{"role":"user","content":"x"}],"chat_template":"{% for m in messages %}{{ m.content }}{% endfor %}","add_generation_prompt":false,"continue_final_message":false,"reasoning_effort":"low"}"#,
        ]
        return completions.map { [0] + Array($0.utf8) } + chats.map { [1] + Array($0.utf8) }
    }

    static func texts() -> [[UInt8]] {
        let samples = ["Hello, world! It's 2026.", "  leading spaces\n\ttabs and\r\nnewlines  ", "ünïcödé 日本語 🙂 émoji",
                       "<|endoftext|> special <s></s> tokens", "numbers 1234567890 and 3.14159"]
        var seeds: [[UInt8]] = []
        for (index, text) in samples.enumerated() {
            seeds.append([UInt8(index % 5), 0] + Array(text.utf8))
            seeds.append([UInt8((index + 2) % 5), 2] + Array(text.utf8))
        }
        seeds.append([0, 1, 10, 0, 200, 1, 0xff, 0xff, 40, 0])
        seeds.append([2, 1, 3, 0, 100, 0, 30, 3])
        return seeds
    }

    static func templates() -> [[UInt8]] {
        let sources = [
            "{%- for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}{%- if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
            "{{ bos_token }}{% for m in messages %}{% if m.role == 'user' %}[INST] {{ m.content | trim }} [/INST]{% elif m.role == 'assistant' %}{{ m.content }}{{ eos_token }}{% else %}{{ raise_exception('bad role') }}{% endif %}{% endfor %}",
            "{% set ns = namespace(n=0) %}{% for m in messages|reverse %}{% set ns.n = ns.n + 1 %}{{ loop.index }}:{{ m['role']|upper }}{% if not loop.last %},{% endif %}{% endfor %}{{ ns.n }}",
            "{% if tools %}{% for t in tools %}{{ t | tojson(indent=2) }}{% endfor %}{% endif %}{% for m in messages %}{% if m.tool_calls is defined %}{% for c in m.tool_calls %}{{ c.function.name }}({{ c.function.arguments | tojson }}){% endfor %}{% endif %}{% endfor %}",
            "{% macro show(x, sep=', ') -%}{{ x | join(sep) }}{%- endmacro %}{{ show(['a', 'b'] + [1, 2]) }} {{ '%s-%d' % ('x', 3) }} {{ range(3) | list }} {{ 'abc'[::-1] }} {{ strftime_now('%Y-%m-%d') }}",
            "{% for m in messages %}{% generation %}{{ m.content.split(' ') | map('length') | sum }}{% endgeneration %}{% break %}{% endfor %}{{ messages | selectattr('role', 'equalto', 'user') | list | length }}{{ {'a': 1}.items() | list }}{{ 'x'.startswith('x') and not none }}",
        ]
        return sources.map { Array($0.utf8) }
    }
}
