"""The floor: a bare Bolt AsyncApp on the same aiohttp stack as `crb serve`, that acks and then
answers one line through ``respond()`` (the request's response_url), doing nothing else.

Run as `python -m bench.bare_bolt --port N [--process-before-response]`; it serves
POST /slack/events and GET /healthz. By default Bolt runs the listener beside the request and
polls every 10 ms for its ack(); the listener acks, then responds. With
``--process-before-response`` Bolt answers the request when the listener returns, as `crb serve`
is configured to, and the listener acks and hands the answer to a task, as `crb serve` does.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

BARE_ANSWER = "Bare answer"


def make_app(*, process_before_response: bool = False) -> web.Application:
    client = AsyncWebClient(
        token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]
    )
    bolt = AsyncApp(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=process_before_response,
    )

    answering: set[asyncio.Task[object]] = set()  # held, so that no task is collected unfinished

    @bolt.command("/crb")
    async def ack_then_respond(ack, respond) -> None:
        await ack()
        answer = respond(text=BARE_ANSWER, response_type="ephemeral", replace_original=False)
        if not process_before_response:
            await answer
            return
        task = asyncio.ensure_future(answer)
        answering.add(task)
        task.add_done_callback(answering.discard)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--process-before-response", action="store_true")
    args = parser.parse_args()
    app = make_app(process_before_response=args.process_before_response)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)
