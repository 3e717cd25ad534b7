"""`azure/<deployment>`: Azure OpenAI, through the openai SDK's Azure client.

Azure addresses a model by its deployment in the URL (`<endpoint>/openai/deployments/<name>/
chat/completions?api-version=...`), so a base URL alone cannot reach it. The settings are the
SDK's own variables: AZURE_OPENAI_ENDPOINT (or --base-url), OPENAI_API_VERSION, and either
AZURE_OPENAI_API_KEY or a Microsoft Entra ID token in AZURE_OPENAI_AD_TOKEN. The request body,
log-probabilities, parameter adaptation and failure handling are the openai backend's.
"""

from __future__ import annotations

import os
from typing import Any

from judgekit.backends.base import BackendOptions
from judgekit.backends.openai import OpenAIBackend
from judgekit.errors import MissingCredentialsError

ENDPOINT_VARIABLE = "AZURE_OPENAI_ENDPOINT"
VERSION_VARIABLE = "OPENAI_API_VERSION"
KEY_VARIABLE = "AZURE_OPENAI_API_KEY"
TOKEN_VARIABLE = "AZURE_OPENAI_AD_TOKEN"


class AzureOpenAIBackend(OpenAIBackend):
    """Chat completions on an Azure OpenAI deployment (the model part of the spec)."""

    provider = "azure"

    def _configure(self, options: BackendOptions) -> None:
        endpoint = options.base_url or os.environ.get(ENDPOINT_VARIABLE) or None
        version = os.environ.get(VERSION_VARIABLE) or None
        key, token = os.environ.get(KEY_VARIABLE) or None, os.environ.get(TOKEN_VARIABLE) or None
        missing = []
        if endpoint is None:
            missing.append(f"{ENDPOINT_VARIABLE}=https://<resource>.openai.azure.com (or pass --base-url)")
        if version is None:
            missing.append(f"{VERSION_VARIABLE}=<an Azure OpenAI API version, e.g. 2024-10-21>")
        if key is None and token is None:
            missing.append(f"{KEY_VARIABLE}=<your key> (or {TOKEN_VARIABLE}=<a Microsoft Entra ID token>)")
        if endpoint is None or version is None or (key is None and token is None):
            raise MissingCredentialsError("azure/ judges need: export " + "; export ".join(missing))
        self._azure_endpoint = endpoint.rstrip("/")
        self._api_version = version
        # A key wins over a token, as in the SDK; the variable named on a refusal is the one used.
        self._credentials = {"api_key": key} if key is not None else {"azure_ad_token": token}
        self.key_variable = KEY_VARIABLE if key is not None else TOKEN_VARIABLE
        self._base_url = None
        self._token_field = "max_completion_tokens"  # Azure's reasoning models reject max_tokens

    @property
    def client(self) -> Any:
        """The SDK's Azure client: it puts /deployments/<model> into the path and api-version in the query."""
        if self._client is None:
            self._client = self._openai.AsyncAzureOpenAI(
                azure_endpoint=self._azure_endpoint,
                api_version=self._api_version,
                timeout=self._timeout,
                max_retries=0,
                **self._credentials,
            )
        return self._client

    @property
    def endpoint(self) -> str:
        return f"{self._azure_endpoint}/openai?api-version={self._api_version}"


def create(options: BackendOptions) -> AzureOpenAIBackend:
    return AzureOpenAIBackend(options)
