"""Drives a running Switchyard server with the official `openai` Python client.

Usage: python3 scripts/openai_client_test.py BASE_URL MODEL_NAME VOCAB_SIZE

Checks a non-streamed and a streamed completion (with usage and token ids), greedy determinism
between the two, and that an invalid request surfaces as the client's BadRequestError.
Exits non-zero with a message on any mismatch.
"""
import sys

import openai


def main() -> int:
    base_url, model, vocab = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=60)
    prompt = [1, 2, 3, 4, 5]

    models = client.models.list()
    assert [m.id for m in models.data] == [model], f"unexpected models: {models.data}"

    full = client.completions.create(
        model=model, prompt=prompt, max_tokens=8, temperature=0,
        extra_body={"return_token_ids": True, "ignore_eos": True}, logprobs=2,
    )
    choice = full.choices[0]
    assert choice.finish_reason == "length", choice.finish_reason
    assert full.usage.prompt_tokens == len(prompt), full.usage
    assert full.usage.completion_tokens == 8, full.usage
    token_ids = choice.model_extra["token_ids"]
    assert len(token_ids) == 8 and all(0 <= t < vocab for t in token_ids), token_ids
    assert len(choice.logprobs.token_logprobs) == 8
    assert all(lp <= 0 for lp in choice.logprobs.token_logprobs)
    assert all(len(top) == 2 for top in choice.logprobs.top_logprobs)

    streamed_ids = []
    finish = None
    usage = None
    for chunk in client.completions.create(
        model=model, prompt=prompt, max_tokens=8, temperature=0, stream=True,
        stream_options={"include_usage": True},
        extra_body={"return_token_ids": True, "ignore_eos": True},
    ):
        if chunk.usage is not None:
            usage = chunk.usage
        for c in chunk.choices:
            streamed_ids.extend(c.model_extra.get("token_ids") or [])
            finish = c.finish_reason or finish
    assert streamed_ids == token_ids, f"stream {streamed_ids} != full {token_ids}"
    assert finish == "length", finish
    assert usage is not None and usage.completion_tokens == 8, usage

    try:
        client.completions.create(model=model, prompt=[vocab + 5], max_tokens=2)
        raise AssertionError("out-of-vocabulary prompt was accepted")
    except openai.BadRequestError as error:
        assert "out of range" in str(error), error

    try:
        client.completions.create(model="no-such-model", prompt=prompt, max_tokens=2)
        raise AssertionError("unknown model was accepted")
    except openai.NotFoundError:
        pass

    # Text in, text out: `init-model` writes a tokenizer, so string prompts and stop strings work.
    text_request = dict(model=model, prompt="Hello, world! Once upon a time", max_tokens=12, temperature=0,
                        extra_body={"ignore_eos": True})
    text = client.completions.create(**text_request).choices[0].text
    assert isinstance(text, str) and text, f"no text: {text!r}"
    streamed_text = "".join(c.text for chunk in client.completions.create(stream=True, **text_request) for c in chunk.choices)
    assert streamed_text == text, f"streamed {streamed_text!r} != {text!r}"
    if len(text) >= 4:
        stop = text[len(text) // 2:len(text) // 2 + 2]
        stopped = client.completions.create(stop=[stop], **text_request).choices[0]
        assert stopped.finish_reason == "stop" and stopped.text == text[:text.index(stop)], (stop, stopped)

    print(f"openai client: ok (greedy ids {token_ids}, text {text!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
