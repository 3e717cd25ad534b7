"""`vertex/<model>`: Claude on Google Cloud's Vertex AI, through the anthropic SDK's Vertex client.

The client sends the Messages API body to `<base>/projects/<project>/locations/<region>/publishers/
anthropic/models/<model>:rawPredict` with a Google access token. Settings are the SDK's own
variables where it has them: CLOUD_ML_REGION (e.g. us-east5, or `global`),
ANTHROPIC_VERTEX_PROJECT_ID (or GOOGLE_CLOUD_PROJECT), ANTHROPIC_VERTEX_BASE_URL (or --base-url).
Credentials: a ready access token in GOOGLE_OAUTH_ACCESS_TOKEN (`gcloud auth print-access-token`),
else Application Default Credentials found by google-auth (`pip install 'judgekit-cli[vertex]'`):
GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, or the metadata server
of a Google Cloud machine. They are looked up when the backend is made, so a run without them
stops before its first call. Request body, parsing and failures are the anthropic backend's, and
so are a structured verdict (the forced `record_verdict` tool) and a thinking budget.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from judgekit.backends.anthropic import CAPABILITIES, AnthropicBackend
from judgekit.backends.base import BackendOptions
from judgekit.errors import FatalProviderError, MissingCredentialsError, MissingDependencyError, ProviderError
from judgekit.redact import redact
from judgekit.schema import Completion, JudgeRequest

REGION_VARIABLE = "CLOUD_ML_REGION"
PROJECT_VARIABLES = ("ANTHROPIC_VERTEX_PROJECT_ID", "GOOGLE_CLOUD_PROJECT")
TOKEN_VARIABLE = "GOOGLE_OAUTH_ACCESS_TOKEN"
BASE_URL_VARIABLE = "ANTHROPIC_VERTEX_BASE_URL"
ADC_HINT = "GOOGLE_APPLICATION_CREDENTIALS=<a service account key file>, or run gcloud auth application-default login"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"


class VertexBackend(AnthropicBackend):
    """Claude's Messages API on a Vertex AI project and region."""

    provider = "vertex"

    def __init__(self, options: BackendOptions) -> None:
        if importlib.util.find_spec("anthropic") is None:
            raise MissingDependencyError("anthropic", purpose="vertex/ judges")
        region = os.environ.get(REGION_VARIABLE) or None
        project = next((os.environ[name] for name in PROJECT_VARIABLES if os.environ.get(name)), None)
        token = os.environ.get(TOKEN_VARIABLE) or None
        credentials, found_project, problem = (None, None, None) if token else _default_credentials()
        project = project or found_project
        missing = []
        if region is None:
            missing.append(f"{REGION_VARIABLE}=<a Vertex AI region, e.g. us-east5 or global>")
        if project is None:
            missing.append(f"{PROJECT_VARIABLES[0]}=<your Google Cloud project id>")
        if problem is not None:
            missing.append(f"{TOKEN_VARIABLE}=<an access token> (or {ADC_HINT}; {problem})")
        if missing:
            raise MissingCredentialsError("vertex/ judges need: export " + "; export ".join(missing))
        self.key_variable = (
            TOKEN_VARIABLE if token else "your Google Cloud credentials (GOOGLE_APPLICATION_CREDENTIALS)"
        )
        self._region, self._project = str(region), str(project)
        self._token, self._google_credentials = token, credentials
        self._base_url = options.base_url or os.environ.get(BASE_URL_VARIABLE) or None
        self._timeout = options.timeout
        self._client: Any = None
        self.capabilities = CAPABILITIES

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._anthropic.AsyncAnthropicVertex(
                region=self._region,
                project_id=self._project,
                access_token=self._token,
                credentials=self._google_credentials,
                base_url=self._base_url,
                timeout=self._timeout,
                max_retries=0,
            )
        return self._client

    @property
    def endpoint(self) -> str:
        base = self._base_url or (
            "https://aiplatform.googleapis.com/v1"
            if self._region == "global"
            else f"https://{self._region}-aiplatform.googleapis.com/v1"
        )
        return f"{base.rstrip('/')}/projects/{self._project}/locations/{self._region}"

    async def complete(self, request: JudgeRequest) -> Completion:
        try:
            return await super().complete(request)
        except ProviderError:
            raise
        except Exception as exc:
            # google-auth refreshes the token inside the SDK's request; its failures are not API errors.
            if type(exc).__module__.startswith("google.auth"):
                reason = redact(" ".join(str(exc).split()))
                raise FatalProviderError(
                    f"Google credentials gave no access token ({reason}); check {self.key_variable}", kind="auth"
                ) from None
            raise


def _default_credentials() -> tuple[Any, str | None, str | None]:
    """Application Default Credentials, the project they name, and why there are none (or None)."""
    try:
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError
    except ImportError:
        raise MissingDependencyError(
            "google-auth", extra="vertex", purpose=f"vertex/ judges without {TOKEN_VARIABLE}"
        ) from None
    try:
        credentials, project = google.auth.default(scopes=[SCOPE])
    except DefaultCredentialsError as exc:
        lines = str(exc).strip().splitlines()
        return None, None, redact(lines[0].rstrip(".")) if lines else "no credentials found"
    return credentials, project, None


def create(options: BackendOptions) -> VertexBackend:
    return VertexBackend(options)
