"""Headless Chromium driven over the DevTools protocol (``--remote-debugging-pipe``): load a
page at a given width, in screen or print media, measure its layout, and save a screenshot
or a PDF. No network, no driver: JSON messages ended by NUL on file descriptors 3 and 4
(https://chromedevtools.github.io/devtools-protocol/, "remote-debugging-pipe")."""

from __future__ import annotations

import base64
import json
import os
import queue
import shlex
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: 1 mm in CSS pixels (96 px per inch).
MM = 96 / 25.4
#: A4 paper in inches, for Page.printToPDF.
A4_INCHES = (210 / 25.4, 297 / 25.4)

#: What the page measures: the document's width against the viewport, and every element that
#: reaches past the page's edges or cuts its own content horizontally.
_MEASURE = """
(() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className
      ? '.' + el.className.trim().replace(/\\s+/g, '.') : '');
  const wide = [];
  const cut = [];
  for (const el of document.querySelectorAll('body, body *')) {
    const style = getComputedStyle(el);
    if (style.display === 'none') continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > width + 1 || box.left < -1) {
      wide.push(name(el) + ' ' + Math.round(box.left) + '..' + Math.round(box.right));
    }
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      cut.push(name(el) + ' ' + el.scrollWidth + '>' + el.clientWidth);
    }
  }
  return JSON.stringify({
    clientWidth: width, scrollWidth: root.scrollWidth,
    bodyScrollWidth: document.body.scrollWidth, wide: wide.slice(0, 25),
    cut: cut.slice(0, 25), elements: document.querySelectorAll('body *').length,
  });
})()
"""


def chromium() -> str:
    """The Chromium binary; skipped (failed on CI) when it is not installed."""
    from tests.export.test_report_browser import chromium as find

    return find()


@dataclass(frozen=True)
class Layout:
    """What :data:`_MEASURE` found."""

    client_width: int
    scroll_width: int
    body_scroll_width: int
    wide: list[str]
    cut: list[str]
    elements: int

    def problems(self) -> list[str]:
        found = []
        if self.scroll_width > self.client_width:
            found.append(f"page scrolls sideways: {self.scroll_width} > {self.client_width}")
        if self.body_scroll_width > self.client_width:
            found.append(f"body is {self.body_scroll_width} wide in {self.client_width}")
        found += [f"wider than the page: {w}" for w in self.wide]
        found += [f"cuts its content: {c}" for c in self.cut]
        return found


class Browser:
    """One headless Chromium; :meth:`open` loads a page in a new tab."""

    def __init__(self, binary: str, profile: Path) -> None:
        args = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--font-render-hinting=none",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        # fd 3 reads our commands (our stdin pipe), fd 4 writes the answers (our stdout pipe)
        command = f"exec {shlex.join(args)} 3<&0 4>&1 0</dev/null 1>&2"
        self._log = open(profile.parent / "chromium.log", "wb")  # noqa: SIM115
        self._process = subprocess.Popen(
            ["sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log
        )
        self._next = 0
        self._answers: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        buffer = b""
        while chunk := os.read(self._process.stdout.fileno(), 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message and message["id"] in self._answers:
                    self._answers[message["id"]].put(message)
                else:
                    self._events.put(message)

    def call(
        self, method: str, session: str | None = None, timeout: float = 60, **params: Any
    ) -> dict[str, Any]:
        with self._lock:
            self._next += 1
            ident = self._next
            self._answers[ident] = queue.Queue()
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(message).encode() + b"\0")
        self._process.stdin.flush()
        try:
            answer = self._answers[ident].get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"chromium did not answer {method} in {timeout} s") from None
        finally:
            del self._answers[ident]
        if "error" in answer:
            raise AssertionError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def open(self, page: Path, *, width: int, print_media: bool = False) -> Page:
        """``page`` loaded in a new tab ``width`` CSS pixels wide (a phone when narrow)."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        tab = Page(self, session, target)
        self.call("Page.enable", session)
        mobile = width < 600 and not print_media
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=width,
            height=844 if mobile else 1123,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        self.call("Emulation.setEmulatedMedia", session, media="print" if print_media else "")
        self.call("Page.navigate", session, url=page.as_uri())
        tab.wait_loaded()
        return tab

    def wait_event(self, method: str, session: str, timeout: float = 60) -> dict[str, Any]:
        while True:
            try:
                event = self._events.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {method} from chromium in {timeout} s") from None
            if event.get("method") == method and event.get("sessionId") == session:
                return event

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except (AssertionError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


class Page:
    """One loaded tab."""

    def __init__(self, browser: Browser, session: str, target: str) -> None:
        self.browser = browser
        self.session = session
        self.target = target

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.call(method, self.session, **params)

    def wait_loaded(self) -> None:
        self.browser.wait_event("Page.loadEventFired", self.session)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(result["exceptionDetails"])
        return result["result"].get("value")

    def layout(self) -> Layout:
        data = json.loads(self.evaluate(_MEASURE))
        return Layout(
            data["clientWidth"],
            data["scrollWidth"],
            data["bodyScrollWidth"],
            data["wide"],
            data["cut"],
            data["elements"],
        )

    def screenshot(self, path: Path, max_height: int = 16000) -> Path:
        """The whole page (up to ``max_height`` px) as a PNG."""
        metrics = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {
            "x": 0,
            "y": 0,
            "width": metrics["width"],
            "height": min(metrics["height"], max_height),
            "scale": 1,
        }
        data = self.call(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def pdf(self, path: Path) -> Path:
        """The page printed on A4 (the page's own @page rules win)."""
        width, height = A4_INCHES
        data = self.call(
            "Page.printToPDF",
            paperWidth=width,
            paperHeight=height,
            preferCSSPageSize=True,
            printBackground=True,
        )["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        self.browser.call("Target.closeTarget", targetId=self.target)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    binary = chromium()
    home = tmp_path_factory.mktemp("chromium")
    (home / "profile").mkdir()
    running = Browser(binary, home / "profile")
    yield running
    running.close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots and PDFs go: ``$DSR_TEST_ARTIFACTS`` or pytest's temporary folder."""
    configured = os.environ.get("DSR_TEST_ARTIFACTS")
    if configured:
        folder = Path(configured) / "render"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("artifacts")
