"""`crb teams package`: the Teams app package to sideload or upload to the org's catalogue.

The package is a zip of ``manifest.json`` and two icons Teams requires: ``color.png``
(192×192, full colour) and ``outline.png`` (32×32, white on transparent). The icons are drawn
here (a tick on the board's blue), so the package needs no asset files.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot import config as config_module
from handlers.commands import USAGE
from handlers.errors import UserError

MANIFEST_VERSION = "1.17"
MANIFEST_SCHEMA = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.schema.json"
)
ACCENT = "#1D4F91"
PLACEHOLDER_URL = "https://example.org/crb-bot"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HTTPS = re.compile(r"^https://[^\s/]+\S*$")
# The verbs Teams lists as suggestions in the compose box (at most 10 per scope).
_LISTED_VERBS = ("help", "mine", "outstanding", "next", "done", "note", "reopen")


def check_bot_id(bot_id: str | None) -> str:
    if not bot_id:
        raise UserError(
            "Give the bot's Microsoft App ID with --bot-id, or set "
            f"{config_module.TEAMS_SETTINGS}CLIENTID."
        )
    if not _GUID.match(bot_id.strip()):
        raise UserError(f"“{bot_id[:40]}” is not a Microsoft App ID (a GUID).")
    return bot_id.strip().lower()


def check_https(name: str, url: str) -> str:
    if not _HTTPS.match(url):
        raise UserError(f"--{name} must be an https:// address, not “{url[:60]}”.")
    return url


def manifest(
    bot_id: str,
    *,
    name: str,
    developer: str,
    website_url: str,
    privacy_url: str,
    terms_url: str,
    version: str,
) -> dict[str, Any]:
    """The Teams app manifest for the bot with this App ID, in every scope the board uses."""
    if not 0 < len(name) <= 30:
        raise UserError("--name must be 1 to 30 characters: Teams shows it under the icon.")
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise UserError(f"--version must look like 1.0.0, not “{version[:20]}”.")
    commands = [
        {"title": verb, "description": USAGE[verb].split(" — ", 1)[-1][:128]}
        for verb in _LISTED_VERBS
    ]
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": bot_id,
        "developer": {
            "name": developer,
            "websiteUrl": website_url,
            "privacyUrl": privacy_url,
            "termsOfUseUrl": terms_url,
        },
        "name": {"short": name, "full": f"{name}: the board's action tracker"[:100]},
        "description": {
            "short": "Keeps the board's meeting actions moving between meetings.",
            "full": (
                "Tracks the actions from the board's minutes, lets owners mark them done or add "
                "an update from Teams, and nudges owners before each meeting. "
                "Type “crb help” to start."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": bot_id,
                "scopes": ["personal", "team", "groupChat"],
                "supportsFiles": True,  # minutes sent in the 1:1 chat
                "isNotificationOnly": False,
                "commandLists": [
                    {"scopes": ["personal", "team", "groupChat"], "commands": commands}
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


def _tick(size: int) -> list[tuple[float, float]]:
    return [(size * 0.24, size * 0.52), (size * 0.42, size * 0.70), (size * 0.76, size * 0.32)]


def colour_icon() -> bytes:
    from PIL import Image, ImageDraw

    size = 192
    image = Image.new("RGBA", (size, size), ACCENT)
    ImageDraw.Draw(image).line(_tick(size), fill="white", width=22, joint="curve")
    return _png(image)


def outline_icon() -> bytes:
    """White on transparent, as Teams requires for the 32×32 outline icon."""
    from PIL import Image, ImageDraw

    size = 32
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((1, 1, size - 2, size - 2), radius=6, outline="white", width=2)
    draw.line(_tick(size), fill="white", width=3)
    return _png(image)


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def build_package(path: Path, app_manifest: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(app_manifest, indent=2, ensure_ascii=False))
        package.writestr("color.png", colour_icon())
        package.writestr("outline.png", outline_icon())


teams_app = typer.Typer(help="Microsoft Teams: the app package.", no_args_is_help=True)


@teams_app.command("package")
def package_command(
    bot_id: Annotated[
        str | None,
        typer.Option(help="The Azure Bot's Microsoft App ID (default: the configured client id)."),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="The zip to write.")] = Path(
        "crb-teams.zip"
    ),
    name: Annotated[str, typer.Option(help="The app's short name in Teams.")] = "CRB actions",
    developer: Annotated[str, typer.Option(help="Who publishes the app.")] = "Board secretariat",
    website_url: Annotated[str, typer.Option(help="The publisher's website.")] = PLACEHOLDER_URL,
    privacy_url: Annotated[str | None, typer.Option(help="Privacy notice.")] = None,
    terms_url: Annotated[str | None, typer.Option(help="Terms of use.")] = None,
    version: Annotated[str, typer.Option(help="The app's version, like 1.0.0.")] = "1.0.0",
) -> None:
    """Build the Teams app package: manifest.json, color.png and outline.png, zipped."""
    out = Console(highlight=False, markup=False, emoji=False, soft_wrap=True)
    config = config_module.load()
    app_id = check_bot_id(bot_id or config.teams_client_id)
    website = check_https("website-url", website_url)
    app_manifest = manifest(
        app_id,
        name=name.strip(),
        developer=developer.strip() or "Board secretariat",
        website_url=website,
        privacy_url=check_https("privacy-url", privacy_url or website),
        terms_url=check_https("terms-url", terms_url or website),
        version=version,
    )
    build_package(output, app_manifest)
    out.print(f"Wrote {output}: manifest.json, color.png (192×192), outline.png (32×32).")
    if website == PLACEHOLDER_URL:
        out.print(
            "The developer links are placeholders: give --website-url (and --privacy-url, "
            "--terms-url) before publishing to your organisation's app catalogue."
        )
    out.print("Sideload it in Teams: Apps → Manage your apps → Upload an app.")
