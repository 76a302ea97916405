import SwitchyardModel
import SwitchyardTensor

/// The `config.json` of the upcycled model: the dense config's keys (RoPE, ids, lengths, norms),
/// turned into a `MixtralForCausalLM` with `experts` experts of `expertIntermediateSize`.
enum UpcycleConfig {
    /// Llama keys a Mixtral does not read, or that the rewrite replaces.
    static let dropped: Set<String> = [
        "architectures", "model_type", "attention_bias", "mlp_bias", "pretraining_tp", "auto_map", "_name_or_path",
        "torch_dtype", "dtype", "num_local_experts", "num_experts_per_tok", "sliding_window", "use_sliding_window",
        "max_window_layers", "layer_types",
    ]

    static func mixtralJSON(dense: [String: ConfigJSON], shape: DenseModelShape, experts: Int, topK: Int,
                            expertIntermediateSize: Int, dtype: DType, provenance: [String: JSONOut]) -> String {
        var fields: [String: JSONOut] = [:]
        for (key, value) in dense where !dropped.contains(key) { fields[key] = jsonOut(value) }
        // Llama's default RoPE base is 10000, Mixtral's 1e6: always spell it out.
        var theta: JSONOut = .double(10000)
        if case let .number(value)? = dense["rope_theta"] { theta = .double(value) }
        var rope: [String: JSONOut] = ["rope_type": .string("default")]
        for key in ["rope_parameters", "rope_scaling"] {
            if case let .object(given)? = dense[key] {
                for (name, value) in given { rope[name] = jsonOut(value) }
                if case let .number(value)? = given["rope_theta"] { theta = .double(value) }
                if rope["rope_type"] == nil, let type = rope["type"] { rope["rope_type"] = type }
            }
        }
        rope["rope_theta"] = theta
        fields["rope_theta"] = theta
        fields["rope_parameters"] = .object(rope)
        fields["architectures"] = .array([.string("MixtralForCausalLM")])
        fields["model_type"] = .string("mixtral")
        fields["dtype"] = .string(dtype.torchName)
        fields["torch_dtype"] = .string(dtype.torchName)
        fields["hidden_act"] = .string("silu")
        fields["hidden_size"] = .int(shape.hiddenSize)
        fields["num_hidden_layers"] = .int(shape.numLayers)
        fields["num_attention_heads"] = .int(shape.numHeads)
        fields["num_key_value_heads"] = .int(shape.numKVHeads)
        fields["head_dim"] = .int(shape.headDim)
        fields["vocab_size"] = .int(shape.vocabSize)
        fields["tie_word_embeddings"] = .bool(shape.tieWordEmbeddings)
        fields["intermediate_size"] = .int(expertIntermediateSize)
        fields["num_local_experts"] = .int(experts)
        fields["num_experts_per_tok"] = .int(topK)
        fields["sliding_window"] = .null
        fields["router_aux_loss_coef"] = .double(0.02)
        fields["router_jitter_noise"] = .double(0)
        fields["output_router_logits"] = .bool(false)
        fields["switchyard_upcycle"] = .object(provenance)
        return JSONOut.object(fields).render() + "\n"
    }

    /// A parsed JSON value in the writer's form (integral numbers as integers).
    static func jsonOut(_ value: ConfigJSON) -> JSONOut {
        switch value {
        case .null: .null
        case let .bool(flag): .bool(flag)
        case let .number(number): number == number.rounded() && abs(number) < 1e15 ? .int(Int(number)) : .double(number)
        case let .string(text): .string(text)
        case let .array(items): .array(items.map(jsonOut))
        case let .object(fields): .object(fields.mapValues(jsonOut))
        }
    }
}
