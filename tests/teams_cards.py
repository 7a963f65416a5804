"""The bot's Teams output checked by Microsoft's own packages (npm, in tests/cards):
``card_problems`` parses and validates cards with ``adaptivecards`` as a host does, in Node;
``render_at_360`` renders one in headless Chromium on a 360 px wide phone screen and measures it;
``manifest_schema`` is the Teams app manifest's JSON schema from ``@microsoft/app-manifest``.

They are installed from tests/cards/package-lock.json the first time they are needed.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

CARDS = Path(__file__).parent / "cards"
LIBRARY = CARDS / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.js"
PHONE_WIDTH = 360
# Teams' look, as far as the card's host config goes: Segoe UI, buttons that share the width.
TEAMS_HOST_CONFIG = {
    "fontFamily": "'Segoe UI', system-ui, sans-serif",
    "spacing": {"small": 8, "default": 12, "medium": 16, "large": 20, "padding": 16},
    "actions": {
        "maxActions": 6,
        "buttonSpacing": 8,
        "actionsOrientation": "horizontal",
        "actionAlignment": "stretch",
        "showCard": {"actionMode": "inline"},
    },
    "fontSizes": {"small": 12, "default": 14, "medium": 14, "large": 18, "extraLarge": 24},
}


def _library() -> Path:
    """The installed packages; the first test process to need them installs them (the others
    wait on the lock: pytest-xdist runs several)."""
    if LIBRARY.exists():
        return LIBRARY
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install the Adaptive Cards library for tests")
    with (CARDS / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not LIBRARY.exists():
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(CARDS)],
                check=True,
                capture_output=True,
                timeout=300,
            )
    return LIBRARY


def manifest_schema(version: str) -> dict[str, Any]:
    """Microsoft's Teams app manifest schema for ``version``, from its npm package
    (@microsoft/app-manifest, which ships every published version)."""
    _library()
    schemas = CARDS / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas"
    path = schemas / "teams" / f"v{version}" / "MicrosoftTeams.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


def card_problems(cards: list[dict[str, Any]]) -> list[list[dict[str, str]]]:
    """Each card's parse and validation problems, from the official library (none: [])."""
    _library()
    done = subprocess.run(
        ["node", str(CARDS / "validate.js")],
        input=json.dumps(cards),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


_RENDER = """
([card, hostConfig]) => {
  const adaptive = new AdaptiveCards.AdaptiveCard();
  adaptive.hostConfig = new AdaptiveCards.HostConfig(hostConfig);
  adaptive.parse(card);
  const rendered = adaptive.render();
  const holder = document.getElementById("card");
  holder.appendChild(rendered);
  // A label is cut when its button is too narrow for it, or the button runs past the card's
  // edge (a row of buttons wider than the phone is clipped, not wrapped).
  const edge = holder.getBoundingClientRect();
  const cut = [...holder.querySelectorAll("button")]
    .filter((button) => {
      const box = button.getBoundingClientRect();
      return button.scrollWidth > button.clientWidth + 1 || box.right > edge.right + 0.5
        || box.left < edge.left - 0.5;
    })
    .map((button) => button.textContent);
  const buttons = [...holder.querySelectorAll("button")].map((button) => button.textContent);
  return {
    width: holder.scrollWidth,
    height: holder.scrollHeight,
    cut,
    buttons,
    text: holder.innerText,
  };
}
"""

_PAGE = f"""<!doctype html><html><head><meta charset="utf-8">
<style>body {{ margin: 0; background: #f5f5f5; font-family: 'Segoe UI', system-ui, sans-serif; }}
#card {{ width: {PHONE_WIDTH}px; background: #fff; box-sizing: border-box; }}</style>
</head><body><div id="card"></div></body></html>"""


def render_at_360(page: Any, card: dict[str, Any], screenshot: Path | None = None) -> dict:
    """Render ``card`` at phone width in ``page`` (Playwright); what fits and what is cut."""
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    page.set_content(_PAGE)
    page.add_script_tag(path=str(_library()))
    measured = page.evaluate(_RENDER, [card, TEAMS_HOST_CONFIG])
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.locator("#card").screenshot(path=str(screenshot))
    return measured
