"""Drives a running Switchyard server with the official `openai` Python client.

Usage: python3 scripts/openai_client_test.py BASE_URL MODEL_NAME VOCAB_SIZE

Checks a non-streamed and a streamed completion (with usage and token ids), greedy determinism
between the two, and that an invalid request surfaces as the client's BadRequestError; then the
chat API (plain, streamed, with tools, logprobs, a 400) with the `openai` client and with
LangChain's `ChatOpenAI` (printing "skip: <reason>" when langchain-openai is not installed).
The model must have a chat template. Exits non-zero with a message on any mismatch.
"""
import sys

import openai

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def chat_checks(client: openai.OpenAI, model: str) -> str:
    messages = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hello! How are you?"}]
    full = client.chat.completions.create(model=model, messages=messages, max_tokens=8, temperature=0,
                                          extra_body={"ignore_eos": True})
    assert full.object == "chat.completion" and full.id.startswith("chatcmpl-"), full
    assert full.system_fingerprint, full
    choice = full.choices[0]
    assert choice.message.role == "assistant" and isinstance(choice.message.content, str), choice
    assert choice.finish_reason == "length", choice.finish_reason
    assert full.usage.completion_tokens == 8 and full.usage.prompt_tokens > 10, full.usage

    deltas, roles, finish, usage = [], [], None, None
    for chunk in client.chat.completions.create(model=model, messages=messages, max_tokens=8, temperature=0, stream=True,
                                                stream_options={"include_usage": True}, extra_body={"ignore_eos": True}):
        assert chunk.object == "chat.completion.chunk", chunk
        if chunk.usage is not None:
            usage = chunk.usage
        for c in chunk.choices:
            if c.delta.role:
                roles.append(c.delta.role)
            deltas.append(c.delta.content or "")
            finish = c.finish_reason or finish
    assert roles == ["assistant"], roles
    assert "".join(deltas) == choice.message.content, ("".join(deltas), choice.message.content)
    assert finish == "length" and usage is not None and usage.completion_tokens == 8, (finish, usage)

    with_tools = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Weather in Paris?"}],
                                                tools=[WEATHER_TOOL], tool_choice="auto", max_tokens=6, temperature=0)
    assert with_tools.usage.prompt_tokens > full.usage.prompt_tokens, "the tools were not rendered into the prompt"
    assert with_tools.choices[0].finish_reason in ("stop", "length", "tool_calls"), with_tools.choices[0]

    # A conversation that already holds a tool call and its result renders and answers.
    history = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C, sunny"},
    ]
    answer = client.chat.completions.create(model=model, messages=history, tools=[WEATHER_TOOL], max_tokens=4)
    assert answer.choices[0].message.role == "assistant", answer

    lp = client.chat.completions.create(model=model, messages=messages, max_tokens=3, temperature=0, logprobs=True,
                                        top_logprobs=2)
    entries = lp.choices[0].logprobs.content
    assert len(entries) == 3 and all(e.logprob <= 0 and len(e.top_logprobs) == 2 for e in entries), entries

    several = client.chat.completions.create(model=model, messages=messages, max_tokens=4, n=3, seed=5, temperature=1.5,
                                             presence_penalty=0.5, frequency_penalty=0.5, logit_bias={"5": -100},
                                             extra_body={"ignore_eos": True, "min_p": 0.01, "repetition_penalty": 1.1})
    assert [c.index for c in several.choices] == [0, 1, 2], several.choices
    assert several.usage.completion_tokens == 12, several.usage

    for bad in ({"response_format": {"type": "json_object"}}, {"n": 0}):
        try:
            client.chat.completions.create(model=model, messages=messages, max_tokens=2, **bad)
            raise AssertionError(f"{bad} was accepted")
        except openai.BadRequestError as error:
            assert next(iter(bad)) in str(error), error
    return choice.message.content


def langchain_checks(base_url: str, model: str, expected: str) -> None:
    try:
        from langchain_core.messages import HumanMessage, SystemMessage
        from langchain_core.tools import tool
        from langchain_openai import ChatOpenAI
    except ImportError as error:
        print(f"skip: LangChain ChatOpenAI ({error})")
        return

    llm = ChatOpenAI(base_url=base_url, api_key="unused", model=model, max_tokens=8, temperature=0, max_retries=0, timeout=60,
                     extra_body={"ignore_eos": True})
    messages = [SystemMessage("You are terse."), HumanMessage("Hello! How are you?")]
    reply = llm.invoke(messages)
    assert reply.content == expected, (reply.content, expected)
    streamed = "".join(chunk.content for chunk in llm.stream(messages))
    assert streamed == expected, (streamed, expected)

    @tool
    def get_weather(city: str) -> str:
        """Current weather of a city."""
        return "sunny"

    tooled = llm.bind_tools([get_weather]).invoke("Weather in Paris?")
    assert isinstance(tooled.content, str) and isinstance(tooled.tool_calls, list), tooled
    print(f"langchain ChatOpenAI: ok ({reply.content!r})")


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

    chat = chat_checks(client, model)
    print(f"openai chat: ok ({chat!r})")
    langchain_checks(base_url, model, chat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
