"""`bedrock/<model id>`: Amazon Bedrock's Converse API through boto3 (`pip install 'judgekit-cli[bedrock]'`).

Converse speaks one request shape for every model Bedrock hosts (Claude, Llama, Mistral, Nova,
...), addressed by model id or inference profile (`bedrock/anthropic.claude-3-5-haiku-20241022-v1:0`,
`bedrock/us.amazon.nova-lite-v1:0`). Credentials and region come from boto3's own chain: the
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables, AWS_PROFILE and the shared files, an
instance role, or a Bedrock API key in AWS_BEARER_TOKEN_BEDROCK; AWS_REGION (or boto3's
AWS_DEFAULT_REGION, or the profile's region) picks the region; --base-url or AWS_ENDPOINT_URL_BEDROCK_RUNTIME another
endpoint. Converse returns one text and no token log-probabilities, which the capabilities say.

A structured verdict is asked for as one tool in `toolConfig` (`record_verdict`, whose
`inputSchema` is the verdict's schema) that the model must call, read back from the `toolUse`
block, from the families that can be made to call it (bedrock_models.py: Claude and Nova by name,
Mistral Large with `any`); Claude also takes a thinking budget in `additionalModelRequestFields`
(the tool is then offered, not forced). Other families get neither: their structured templates
are read by the pattern (with a warning), and `--thinking-budget` is refused.

boto3 is synchronous, so each call runs on a thread of the backend's own pool (as many threads
as connections), and botocore's retries are off: the runner retries and backs off itself.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from judgekit.backends.anthropic import VERDICT_TOOL, VERDICT_TOOL_DESCRIPTION
from judgekit.backends.base import BackendOptions, Capabilities
from judgekit.backends.bedrock_models import family_of, tool_choice
from judgekit.backends.failures import classify_status, retry_after_seconds, root_cause
from judgekit.errors import (
    FatalProviderError,
    MissingCredentialsError,
    MissingDependencyError,
    ProviderError,
    UsageError,
)
from judgekit.redact import redact
from judgekit.schema import Completion, JudgeRequest

SERVICE = "bedrock-runtime"
TOKEN_VARIABLE = "AWS_BEARER_TOKEN_BEDROCK"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
CONNECTIONS = 32
"""Threads and pooled connections; the runner's --concurrency bounds the calls in flight below this."""
_AUTH_CODES = {"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"}
_THROTTLING_CODES = {"ThrottlingException", "ModelNotReadyException", "TooManyRequestsException"}


class BedrockBackend:
    """Converse calls through a boto3 bedrock-runtime client."""

    provider = "bedrock"

    def __init__(self, options: BackendOptions) -> None:
        if importlib.util.find_spec("boto3") is None:
            raise MissingDependencyError("boto3", extra="bedrock", purpose="bedrock/ judges")
        import boto3

        session = boto3.Session()
        # boto3 reads AWS_DEFAULT_REGION and the profile; AWS_REGION is what the other AWS SDKs read.
        region = os.environ.get("AWS_REGION") or session.region_name
        token = os.environ.get(TOKEN_VARIABLE) or None
        missing = []
        if not region:
            missing.append("AWS_REGION=<a Bedrock region, e.g. us-east-1> (or AWS_DEFAULT_REGION)")
        if token is None and session.get_credentials() is None:
            missing.append(
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                f"(or AWS_PROFILE, or a Bedrock API key in {TOKEN_VARIABLE})"
            )
        if missing:
            raise MissingCredentialsError("bedrock/ judges need: export " + "; export ".join(missing))
        self.key_variable = TOKEN_VARIABLE if token is not None else "your AWS credentials (AWS_ACCESS_KEY_ID)"
        self._session = session
        self._region = str(region)
        self._endpoint_url = options.base_url or os.environ.get(ENDPOINT_VARIABLE) or None
        if token is not None and self._endpoint_url and not self._endpoint_url.startswith("https://"):
            raise UsageError(
                f"{TOKEN_VARIABLE} is sent only over HTTPS, and the Bedrock endpoint {redact(self._endpoint_url)} "
                "is not: use an https:// endpoint, or AWS credentials instead of the API key"
            )
        self._timeout = options.timeout
        self._client: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self.capabilities = Capabilities(logprobs=False, n=False, seed=False)

    def capabilities_for(self, model: str) -> Capabilities:
        """A structured verdict for the families that can be made to call a tool; thinking for Claude."""
        family = family_of(model)
        if family is None:
            return self.capabilities
        return replace(self.capabilities, structured=family.forced_by is not None, thinking=family.thinking)

    @property
    def timeout(self) -> float:
        return float(self._timeout)

    @property
    def endpoint(self) -> str:
        return (self._endpoint_url or f"https://{SERVICE}.{self._region}.amazonaws.com").rstrip("/")

    @property
    def client(self) -> Any:
        if self._client is None:
            from botocore.config import Config

            config = Config(
                retries={"total_max_attempts": 1, "mode": "standard"},
                connect_timeout=self._timeout,
                read_timeout=self._timeout,
                max_pool_connections=CONNECTIONS,
            )
            self._client = self._session.client(
                SERVICE, region_name=self._region, endpoint_url=self._endpoint_url, config=config
            )
        return self._client

    def request_body(self, request: JudgeRequest) -> dict[str, Any]:
        """The Converse parameters of a request (system messages go to `system`)."""
        system = [{"text": message.content} for message in request.messages if message.role == "system"]
        messages = [
            {"role": message.role, "content": [{"text": message.content}]}
            for message in request.messages
            if message.role != "system"
        ]
        inference: dict[str, Any] = {"maxTokens": request.params.max_tokens}
        if request.params.temperature is not None:
            inference["temperature"] = request.params.temperature
        body: dict[str, Any] = {"modelId": request.model, "messages": messages, "inferenceConfig": inference}
        if system:
            body["system"] = system
        budget = request.params.thinking_budget
        if budget is not None:  # passed through to Claude as the Messages API's own field
            body["additionalModelRequestFields"] = {"thinking": {"type": "enabled", "budget_tokens": budget}}
        choice = tool_choice(family_of(request.model), VERDICT_TOOL, thinking=budget is not None)
        if request.structured is not None and choice is not None:  # (a family that cannot is never asked)
            spec = {
                "name": VERDICT_TOOL,
                "description": VERDICT_TOOL_DESCRIPTION,
                "inputSchema": {"json": request.structured},
            }
            body["toolConfig"] = {"tools": [{"toolSpec": spec}], "toolChoice": choice}
        return body

    async def complete(self, request: JudgeRequest) -> Completion:
        body = self.request_body(request)
        client = self.client
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=CONNECTIONS, thread_name_prefix="judgekit-bedrock")
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(self._pool, lambda: client.converse(**body))
        except Exception as exc:
            raise self._translate(exc, request.model) from None
        return completion_from_converse(response)

    def _translate(self, exc: Exception, model: str) -> ProviderError:
        """A botocore exception as a ProviderError with a failure kind (unknown ones propagate)."""
        from botocore import exceptions
        from botocore.parsers import ResponseParserError

        if isinstance(exc, exceptions.ClientError):
            error = exc.response.get("Error", {})
            code, message = str(error.get("Code", "")), redact(str(error.get("Message", "")))
            metadata = exc.response.get("ResponseMetadata", {})
            status = metadata.get("HTTPStatusCode")
            if code in _AUTH_CODES or status in (401, 403):
                return FatalProviderError(
                    f"{self.endpoint} refused the credentials ({status} {code}); check {self.key_variable}",
                    kind="auth",
                    status=status,
                )
            if code in _THROTTLING_CODES:
                status = 429
            return classify_status(
                status, f"{code}: {message}", retry_after_seconds(metadata.get("HTTPHeaders")), model, self.endpoint, ""
            )
        if isinstance(exc, (exceptions.ConnectTimeoutError, exceptions.ReadTimeoutError)):
            return ProviderError(f"the request to {redact(self.endpoint)} timed out", kind="timeout", retryable=True)
        if isinstance(exc, (exceptions.EndpointConnectionError, exceptions.ConnectionClosedError)):
            return ProviderError(
                f"cannot connect to {redact(self.endpoint)} ({redact(root_cause(exc))})",
                kind="connection",
                retryable=True,
            )
        if isinstance(exc, (ResponseParserError, ValueError, KeyError)):
            return ProviderError(
                f"the server sent a malformed response ({type(exc).__name__})", kind="malformed", retryable=True
            )
        if isinstance(exc, exceptions.NoCredentialsError):
            raise MissingCredentialsError(f"bedrock/ judges need AWS credentials: {exc}") from None
        raise exc

    async def aclose(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._client is not None:
            self._client.close()


def completion_from_converse(response: Any) -> Completion:
    """A Converse response (a dict) as a `Completion`: the verdict tool's input when it was called,
    else the text blocks (reasoning blocks are left out)."""
    message = (response.get("output") or {}).get("message") or {}
    blocks = [block for block in message.get("content") or [] if isinstance(block, dict)]
    tool = next((b["toolUse"] for b in blocks if (b.get("toolUse") or {}).get("name") == VERDICT_TOOL), None)
    if tool is not None:
        text = json.dumps(tool.get("input"), ensure_ascii=False)
    else:
        text = "".join(str(block.get("text", "")) for block in blocks if "text" in block)
    if not text.strip() and response.get("stopReason") != "max_tokens":
        # An empty answer that the token limit ended (thinking used it all) is unscored as truncated.
        raise ProviderError("the server returned an empty message", kind="malformed", retryable=True)
    usage = response.get("usage") or {}
    return Completion(
        texts=[text],
        prompt_tokens=usage.get("inputTokens"),
        completion_tokens=usage.get("outputTokens"),
        finish_reason=response.get("stopReason"),
    )


def create(options: BackendOptions) -> BedrockBackend:
    return BedrockBackend(options)
