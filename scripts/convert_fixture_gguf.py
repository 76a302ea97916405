#!/usr/bin/env python3
"""Convert a tokenizer-less golden fixture to GGUF with llama.cpp's own convert_hf_to_gguf.py.

Usage: python3 scripts/convert_fixture_gguf.py CONVERTER FIXTURE_DIR OUT.gguf [--outtype f32|bf16|q8_0]

The golden fixtures under Tests/SwitchyardModelTests/Fixtures hold weights and token ids but no
tokenizer (the tests drive the model with ids), and the converter insists on one. This wrapper
replaces only the vocabulary step: it writes `{arch}.vocab_size` from config.json and no
`tokenizer.*` keys. Tensor names, layouts (stacked experts, deepseek2's split attn_k_b/attn_v_b,
gpt-oss's MXFP4 repacking) and hyperparameters are the converter's, unchanged, so the Swift tests
read exactly what llama.cpp would write for a real model of that family.

`scripts/make_converted_gguf_fixtures.sh` runs it for every committed fixture it made.
"""
import os
import runpy
import sys


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    converter = os.path.abspath(sys.argv[1])
    source, out = sys.argv[2], sys.argv[3]
    root = os.path.dirname(converter)
    sys.path.insert(0, root)
    sys.path.insert(1, os.path.join(root, "gguf-py"))
    sys.argv = [converter, "--outfile", out] + sys.argv[4:] + [source]

    import conversion

    # transformers' DeepseekV3 always scores with a sigmoid and real configs say so
    # ("scoring_func": "sigmoid"), which is what makes the converter write expert_gating_func 2;
    # the fixtures leave the key at its default, so it is filled in here.
    original_load = conversion.ModelBase.load_hparams

    def load_hparams(dir_model, is_mistral_format):
        hparams = original_load(dir_model, is_mistral_format)
        if hparams.get("model_type") == "deepseek_v3":
            hparams.setdefault("scoring_func", "sigmoid")
        return hparams

    conversion.ModelBase.load_hparams = staticmethod(load_hparams)

    def set_vocab(self):
        self.gguf_writer.add_vocab_size(self.hparams["vocab_size"])

    original = conversion.get_model_class

    def get_model_class(name, mmproj=False):
        model_class = original(name, mmproj)
        return type(model_class.__name__, (model_class,), {"set_vocab": set_vocab, "model_arch": model_class.model_arch})

    conversion.get_model_class = get_model_class
    runpy.run_path(converter, run_name="__main__")


if __name__ == "__main__":
    main()
