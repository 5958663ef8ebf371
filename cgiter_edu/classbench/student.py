"""A simulated student: the Jupyter kernel protocol over the websocket a browser opens
through the hub's proxy (``/user/NAME/api/kernels/ID/channels``), running what a student
runs in the explorer lesson, paced like a person.

The lesson, as code a cell would hold (only the explorer's public API:
:class:`cgiter_edu.widgets.Explorer` ``set``, ``step``, ``jump``, ``trace``, and the
quiz's ``answer`` box and ``check()``):

1. open the explorer (``Explorer(tree="systemd", order="pre", record_bytes=3000)``,
   displayed): the first frame;
2. change the order to post-order;
3. press play: 12 ticks of the Play widget (its 1/3 s interval);
4. step 40 times, one step every 0.5 s (from the start again at the walk's end);
5. jump to the truncation (``⚠ truncation``);
6. one quiz check (lesson 02's order question, answered right).

The latency of a frame request is the time from sending the request to the arrival of
the explorer's ``Image`` widget update (the PNG) on the websocket.

Example::

    s = Student("s1", base="http://127.0.0.1:8000/user/s1", token=...)
    await s.run()
    s.samples        # [("step", 0.043), ...]
"""

from __future__ import annotations

import asyncio
import json
import random
import struct
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Student", "LESSON_OPEN", "PACE_S", "PLAY_S"]

#: a step every half second, like a person clicking "step ▶"
PACE_S = 0.5
#: the explorer's Play widget ticks every 333 ms
PLAY_S = 1 / 3
STEPS = 40
PLAY_TICKS = 12

LESSON_OPEN = """\
from cgiter_edu.widgets import Explorer
ex = Explorer(tree="systemd", order="pre", record_bytes=3000)
display(ex)
"""
ORDER = 'ex.set(order="post")'
STEP = "ex.step = ex.step + 1 if ex.step < len(ex.trace) - 1 else 0"
TICK = "ex.step = {n}"
CUT = 'ex.jump("cut")'
QUIZ = """\
from cgiter_edu.course.quiz import Quiz
quiz = Quiz(seed=1, kind="order")
display(quiz)
quiz.answer.value = quiz.question.answer_text
assert quiz.check(), quiz.feedback.value
"""


class StudentError(RuntimeError):
    """A request of the lesson failed (error reply, no new frame, time-out)."""


@dataclass
class Student:
    """One simulated student on ``base`` (``http://127.0.0.1:PORT/user/NAME``)."""

    name: str
    base: str
    token: str
    timeout: float = 60.0
    seed: int = 0
    #: (what, seconds) for every request: to the new frame for "open", "play", "step",
    #: "cut"; to the reply for "order" (its first frame, step 0, is the picture of step 0
    #: in the old order: no new PNG is sent) and "quiz" (no frame)
    samples: list[tuple[str, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    kernel_id: str = ""

    def __post_init__(self) -> None:
        self._session = uuid.uuid4().hex
        self._ws: Any = None
        self._images: set[str] = set()
        self._frames: asyncio.Queue = asyncio.Queue()
        self._replies: dict[str, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None

    # -- the websocket -----------------------------------------------------------------
    async def open_kernel(self) -> None:
        """Start a kernel (``POST api/kernels``) and open its channels websocket."""
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest
        from tornado.websocket import websocket_connect

        http = AsyncHTTPClient()
        r = await http.fetch(f"{self.base}/api/kernels", method="POST",
                             body=json.dumps({"name": "python3"}), headers=self._auth(),
                             request_timeout=self.timeout, connect_timeout=self.timeout)
        self.kernel_id = json.loads(r.body)["id"]
        ws_url = (self.base.replace("http://", "ws://", 1)
                  + f"/api/kernels/{self.kernel_id}/channels?session_id={self._session}")
        self._ws = await websocket_connect(HTTPRequest(ws_url, headers=self._auth(),
                                                       connect_timeout=self.timeout,
                                                       request_timeout=self.timeout),
                                           max_message_size=64 << 20)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        """Close the websocket and shut the kernel down (``DELETE api/kernels/ID``)."""
        from tornado.httpclient import AsyncHTTPClient

        if self._ws is not None:
            self._ws.close()
            self._ws = None
        if self._reader is not None:
            self._reader.cancel()
        if self.kernel_id:
            try:
                await AsyncHTTPClient().fetch(f"{self.base}/api/kernels/{self.kernel_id}",
                                              method="DELETE", headers=self._auth(),
                                              request_timeout=30)
            except Exception:   # noqa: BLE001 - the hub's shutdown ends it anyway
                pass

    @property
    def connected(self) -> bool:
        """The kernel's websocket is open."""
        return self._ws is not None

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    async def _read(self) -> None:
        while True:
            raw = await self._ws.read_message()
            if raw is None:
                return
            msg = _decode(raw)
            if msg is None:
                continue
            kind = msg["header"]["msg_type"]
            content = msg.get("content", {})
            if kind == "comm_open":
                state = content.get("data", {}).get("state", {})
                if state.get("_model_name") == "ImageModel":
                    self._images.add(content["comm_id"])
            elif kind == "comm_msg" and content.get("comm_id") in self._images:
                data = content.get("data", {})
                paths = [p[0] for p in data.get("buffer_paths", []) if p]
                if data.get("method") == "update" and (
                        "value" in data.get("state", {}) or "value" in paths):
                    self._frames.put_nowait(time.monotonic())
            elif kind == "execute_reply":
                fut = self._replies.pop(msg.get("parent_header", {}).get("msg_id", ""), None)
                if fut is not None and not fut.done():
                    fut.set_result(content)

    async def execute(self, code: str, frame: bool) -> float:
        """Run ``code``; seconds to the new frame (``frame``) or to the reply."""
        while not self._frames.empty():
            self._frames.get_nowait()
        msg_id = uuid.uuid4().hex
        fut = asyncio.get_running_loop().create_future()
        self._replies[msg_id] = fut
        msg = {"header": {"msg_id": msg_id, "username": self.name, "session": self._session,
                          "msg_type": "execute_request", "version": "5.3",
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
               "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
               "content": {"code": code, "silent": False, "store_history": True,
                           "user_expressions": {}, "allow_stdin": False,
                           "stop_on_error": True}}
        self.requests += 1
        t0 = time.monotonic()
        await self._ws.write_message(json.dumps(msg))
        try:
            reply = await asyncio.wait_for(fut, self.timeout)
        except asyncio.TimeoutError:
            self._replies.pop(msg_id, None)
            raise StudentError(f"no reply within {self.timeout:.0f} s to {code[:40]!r}") \
                from None
        if reply.get("status") != "ok":
            raise StudentError(f"{reply.get('ename')}: {reply.get('evalue')} "
                               f"(running {code.splitlines()[-1][:40]!r})")
        if not frame:
            return time.monotonic() - t0
        try:
            # the frame is drawn before the reply is sent; it may arrive after it
            t1 = await asyncio.wait_for(self._frames.get(), 5.0)
        except asyncio.TimeoutError:
            raise StudentError(f"no new frame after {code[:40]!r}") from None
        return t1 - t0

    async def _do(self, what: str, code: str, frame: bool = True) -> None:
        try:
            self.samples.append((what, await self.execute(code, frame)))
        except StudentError as e:
            self.failures.append(f"{self.name} {what}: {e}")
        except Exception as e:     # noqa: BLE001 - a closed socket is a failure, counted
            self.failures.append(f"{self.name} {what}: {type(e).__name__}: {e}")

    # -- the lesson --------------------------------------------------------------------
    async def run(self) -> None:
        """Open the kernel and the explorer, then do the lesson (module docstring)."""
        try:
            await self.open_kernel()
        except Exception as e:      # noqa: BLE001
            self.failures.append(f"{self.name} kernel: {type(e).__name__}: {e}")
            return
        await self._do("open", LESSON_OPEN)
        if not self.failures:
            await self.lesson()

    async def lesson(self) -> None:
        """Steps 2 to 6 of the lesson, on an open explorer."""
        rng = random.Random(self.seed)
        await asyncio.sleep(rng.uniform(1, 3))             # reads the page
        await self._do("order", ORDER, frame=False)   # step 0 looks the same in any order
        await asyncio.sleep(rng.uniform(0.5, 1.5))
        for n in range(1, PLAY_TICKS + 1):
            await self._paced("play", TICK.format(n=n), PLAY_S)
        await asyncio.sleep(rng.uniform(0.5, 1.5))
        for _ in range(STEPS):
            await self._paced("step", STEP, PACE_S)
        await self._paced("cut", CUT, PACE_S)
        await asyncio.sleep(rng.uniform(1, 2))
        await self._do("quiz", QUIZ, frame=False)

    async def _paced(self, what: str, code: str, every: float) -> None:
        t = time.monotonic()
        await self._do(what, code)
        rest = every - (time.monotonic() - t)
        if rest > 0:
            await asyncio.sleep(rest)


def _decode(raw: str | bytes) -> dict | None:
    """A message of jupyter_server's websocket (legacy protocol): JSON text, or for a
    message with buffers ``nbufs, offsets..., JSON, buffers`` (big-endian uint32s)."""
    if isinstance(raw, str):
        return json.loads(raw)
    if len(raw) < 8:
        return None
    (n,) = struct.unpack_from("!I", raw, 0)
    offsets = struct.unpack_from(f"!{n}I", raw, 4)
    end = offsets[1] if n > 1 else len(raw)
    return json.loads(raw[offsets[0]:end])
