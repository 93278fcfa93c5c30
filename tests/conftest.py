"""Shared fixtures: tiny tokenizers and random models in two chat-template styles (built once per session, ~0.1 s each
after transformers is imported), and the skip rule for GPU tests."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture(scope="session")
def tiny_chatml():
    """(model, tokenizer): ChatML template as Qwen2.5 writes it, random Qwen2 model (hidden 64, 2 layers)."""
    from agentgym.tiny import tiny_model_and_tokenizer

    return tiny_model_and_tokenizer("chatml", seed=0)


@pytest.fixture(scope="session")
def tiny_llama3():
    """(model, tokenizer): Llama 3.1 style template (<|begin_of_text|>, headers, <|eot_id|>), random Llama model."""
    from agentgym.tiny import tiny_model_and_tokenizer

    return tiny_model_and_tokenizer("llama3", seed=0)


def pytest_collection_modifyitems(config, items):
    # GPU tests run only where CUDA and vLLM are both present; elsewhere they show as skipped with the reason.
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if not gpu_items:
        return
    reason = None
    if importlib.util.find_spec("vllm") is None:
        reason = "needs vLLM (pip install 'agentgym[vllm]')"
    else:
        import torch

        if not torch.cuda.is_available():
            reason = "needs a CUDA GPU"
    if reason:
        for item in gpu_items:
            item.add_marker(pytest.mark.skip(reason=reason))


# -- a stub OpenAI-compatible server on loopback, for the openai: backend and the eval paths that meet servers -------
class FakeOpenAIServer:
    """A tiny OpenAI-compatible chat server on 127.0.0.1: records request bodies and headers, answers by model name
    ("broken" -> HTTP 500, "silent" -> null content, "hang" -> answers after `hang_s`, "malformed" -> a body that is
    not JSON, "string" -> a JSON string instead of a completion, "slow" -> a normal answer after `slow_s`, "long" -> a
    context-length error once the conversation has more than 3 messages, "ratelimited" -> HTTP 429 on every other
    request, else the last user message reversed)."""

    def __init__(self, hang_s: float = 5.0):
        self.requests: list[dict] = []
        self.hang_s = hang_s
        self.slow_s = 0.05
        self.rate_limited = 0
        self.lock = threading.Lock()
        self.in_flight = self.max_in_flight = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "body": body,
                                        "authorization": self.headers.get("Authorization")})
                with server.lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer(body)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def _answer(self, body):
                if body["model"] == "broken":
                    return self._send(500, {"error": {"message": "engine died", "type": "server_error"}})
                if body["model"] in ("hang", "slow"):
                    time.sleep(server.hang_s if body["model"] == "hang" else server.slow_s)
                if body["model"] == "malformed":
                    return self._send_raw(200, b'{"id": "cmpl-1", "choices": [{"index": 0, "mess')
                if body["model"] == "string":
                    return self._send(200, "not a completion")
                if body["model"] == "long" and len(body["messages"]) > 3:  # a 4096-token server, vLLM's words
                    return self._send(400, {"error": {"message": "This model's maximum context length is 4096 tokens. "
                                                      "However, you requested 5035 tokens (4971 in the messages, 64 "
                                                      "in the completion).", "type": "BadRequestError", "code": 400}})
                if body["model"] == "ratelimited":
                    server.rate_limited += 1
                    if server.rate_limited % 2:  # every other request: come back later
                        return self._send(429, {"error": {"message": "rate limit", "type": "rate_limit"}})
                text = None if body["model"] == "silent" else body["messages"][-1]["content"][::-1]
                choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop",
                          "logprobs": None}
                # "llamacpp" answers as llama-cpp-python 0.3.36's server does: logprobs only when top_logprobs is
                # set as well, and the model named by its file in the reply whatever the request called it.
                wants_logprobs = body.get("logprobs") and (body["model"] != "llamacpp"
                                                           or body.get("top_logprobs") is not None)
                if wants_logprobs and text is not None:
                    choice["logprobs"] = {"content": [
                        {"token": f"token_id:{ord(ch)}" if body.get("return_tokens_as_token_ids") else ch,
                         "logprob": -0.1 * (i + 1), "bytes": None, "top_logprobs": []}
                        for i, ch in enumerate(text)]}
                reported = "models/SmolLM2-135M-Instruct.Q4_1.gguf" if body["model"] == "llamacpp" else body["model"]
                self._send(200, {"id": "cmpl-1", "object": "chat.completion", "created": 0, "model": reported,
                                 "choices": [choice],
                                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            def _send(self, status, payload):
                self._send_raw(status, json.dumps(payload).encode())

            def _send_raw(self, status, data):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that gave up on "hang" resets the connection; that is the test, not a failure

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    with FakeOpenAIServer() as s:
        yield s


@pytest.fixture
def interrupt_when():
    """interrupt_when(cmd, ready, sig, timeout=60, **popen) -> (returncode, stderr): start `agentgym ...` as a real
    subprocess in its own session, wait until ready() (it must come true while the process runs), send `sig`, and
    collect it; the process is killed if anything fails on the way."""
    import subprocess

    def run(cmd, ready, sig, timeout=60, **popen):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, **popen)
        try:
            deadline = time.time() + timeout
            while not ready():
                assert time.time() < deadline and proc.poll() is None, proc.communicate()
                time.sleep(0.05)
            proc.send_signal(sig)
            _stdout, stderr = proc.communicate(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
        return proc.returncode, stderr

    return run
