"""Task and note bodies as HubSpot shows them: rich text, i.e. HTML. Every text is escaped; a link is kept only
when it is http(s), otherwise it shows as text. HubSpot's editor writes `<p>`, `<strong>`, `<ul>/<li>` and
`<a href>`; nothing else is used."""

from __future__ import annotations

from html import escape

from crm_adapters.rich_text import Block, Bullets, Paragraph, RichText


def _text(text: str) -> str:
    return "<br>".join(escape(line) for line in text.splitlines()) if text else ""


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        lead = f"<strong>{escape(block.lead)}</strong> " if block.lead else ""
        return f"<p>{lead}{_text(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_text(item)}</li>" for item in block.items) + "</ul>"
    if block.url.lower().startswith(("https://", "http://")):
        return f'<p><a href="{escape(block.url, quote=True)}">{escape(block.text)}</a></p>'
    return f"<p>{escape(block.text)}: {escape(block.url)}</p>"


def html(body: RichText) -> str:
    """The body as HubSpot rich text."""
    return "".join(_block(block) for block in body.blocks)
