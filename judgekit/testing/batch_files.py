"""OpenAI's files endpoints for the fake provider: the batch input uploaded, the results read back.

POST /v1/files (multipart)     GET /v1/files/{id}    GET /v1/files/{id}/content
"""

from __future__ import annotations

import email.parser
import email.policy

from judgekit.testing.batch_model import OPENAI_MAX_BYTES, BatchLedger, Handler, Refusal, StoredFile


def serve_files(ledger: BatchLedger, handler: Handler, method: str, rest: list[str], raw: bytes) -> None:
    """Serve /v1/files and below (`rest`: the path after it)."""
    if method == "POST" and not rest:
        handler.json_reply(200, _upload(ledger, handler, raw).describe())
    elif method == "GET" and len(rest) == 1:
        handler.json_reply(200, find_file(ledger, rest[0]).describe())
    elif method == "GET" and len(rest) == 2 and rest[1] == "content":
        handler.raw_reply(200, find_file(ledger, rest[0]).data, "application/octet-stream")
    else:
        raise Refusal(404, "invalid_request_error", f"no route {handler.path}")


def find_file(ledger: BatchLedger, file_id: str) -> StoredFile:
    stored = ledger.files.get(file_id)
    if stored is None:
        raise Refusal(404, "invalid_request_error", f"No such File object: {file_id}")
    return stored


def _upload(ledger: BatchLedger, handler: Handler, raw: bytes) -> StoredFile:
    fields = _multipart(handler.headers.get("content-type", ""), raw)
    purpose = fields.get("purpose", (None, b""))[1].decode()
    filename, data = fields.get("file", (None, b""))
    if not filename or not data:
        raise Refusal(400, "invalid_request_error", "a file and a purpose are required")
    if purpose == "batch" and not filename.endswith(".jsonl"):
        raise Refusal(400, "invalid_request_error", "Invalid file format for Batch API. Must be .jsonl")
    limit = ledger.behaviour.max_bytes or OPENAI_MAX_BYTES
    if purpose == "batch" and len(data) > limit:
        raise Refusal(400, "invalid_request_error", "File is too large.")
    return ledger.add_file(filename, purpose, data)


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart/form-data body: name -> (file name or None, bytes)."""
    if not content_type.startswith("multipart/form-data"):
        raise Refusal(400, "invalid_request_error", "expected a multipart/form-data upload")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True)
            fields[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields
