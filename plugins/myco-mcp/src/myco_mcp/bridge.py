"""The stdio bridge: an MCP client on stdin/stdout, the daemon's ``/mcp`` behind it.

Messages pass through unchanged in both directions (the SDK's stdio server transport on
one side, its Streamable HTTP client transport on the other), so the tools are the
daemon's own: one implementation, one policy.
"""

from __future__ import annotations

import sys

import anyio
from mcp.client.streamable_http import streamable_http_client
from mcp.server.stdio import stdio_server
from mcp.shared._httpx_utils import create_mcp_http_client


async def bridge(url: str, token: str, session: str) -> None:
    """Forward stdin's MCP messages to *url* as *session* until stdin closes."""
    headers = {"Authorization": f"Bearer {token}", "X-Myco-Session": session}
    async with (
        stdio_server() as (local_read, local_write),
        create_mcp_http_client(headers=headers) as http,
        streamable_http_client(url, http_client=http, terminate_on_close=False) as (
            remote_read,
            remote_write,
        ),
        anyio.create_task_group() as tasks,
    ):

        async def upstream() -> None:
            async for message in local_read:
                if isinstance(message, Exception):
                    print(f"myco mcp: {message}", file=sys.stderr)
                    continue
                await remote_write.send(message)
            tasks.cancel_scope.cancel()  # the client closed stdin: we are done

        async def downstream() -> None:
            async for message in remote_read:
                if isinstance(message, Exception):
                    print(f"myco mcp: {message}", file=sys.stderr)
                    continue
                await local_write.send(message)

        tasks.start_soon(upstream)
        tasks.start_soon(downstream)
