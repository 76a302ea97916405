"""The committed multiple-choice task of scripts/lm_eval_fixture/, run through lm-evaluation-harness.

Shared by scripts/make_lm_eval_reference.py (lm-eval's `hf` model, torch) and
scripts/lm_eval_client_test.py (`local-completions` against a running `switchyard serve`): both
call `choice_loglikelihoods` and get one list of per-choice log-likelihoods per document.
"""
import json
import os
import tempfile

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lm_eval_fixture")
MODEL_DIR = os.path.join(FIXTURE, "model")
EXPECTED = os.path.join(FIXTURE, "expected.json")
TASK = "switchyard_tiny_mc"


def choice_loglikelihoods(model, model_args):
    """Runs the task with lm-eval's `model` and returns [[loglikelihood per choice] per document]."""
    import lm_eval
    from lm_eval.tasks import TaskManager

    with tempfile.TemporaryDirectory() as tasks:
        with open(os.path.join(FIXTURE, "task.yaml.in")) as source:
            text = source.read().replace("@DATA@", os.path.join(FIXTURE, "tiny_mc.jsonl"))
        with open(os.path.join(tasks, "switchyard_tiny_mc.yaml"), "w") as target:
            target.write(text)
        results = lm_eval.simple_evaluate(
            model=model, model_args=model_args, tasks=[TASK], task_manager=TaskManager(include_path=tasks),
            log_samples=True, batch_size=1, random_seed=0, numpy_random_seed=0, torch_random_seed=0,
            fewshot_random_seed=0,
        )
    samples = sorted(results["samples"][TASK], key=lambda sample: sample["doc_id"])
    return [[float(response[0][0]) for response in sample["resps"]] for sample in samples]


def load_expected():
    with open(EXPECTED) as file:
        return json.load(file)
