"""Task and note bodies as structure (paragraphs, bullet lists, links), so each adapter can render them the
way its CRM shows bodies: HubSpot as escaped HTML (`crm_adapters.hubspot.html_body`), Salesforce as plain
text (`RichText.plain`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paragraph:
    """A paragraph, optionally led by a few words in bold ("Most seats idle." + the story)."""

    text: str
    lead: str = ""


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Link:
    text: str
    url: str


Block = Paragraph | Bullets | Link


@dataclass(frozen=True)
class RichText:
    """A task or note body as structure; each adapter renders it as its CRM shows bodies (HubSpot: HTML,
    escaped; Salesforce: plain text). `plain()` is the plain-text rendering."""

    blocks: tuple[Block, ...]

    @classmethod
    def of(cls, *paragraphs: str) -> RichText:
        return cls(tuple(Paragraph(text) for text in paragraphs if text))

    def plain(self) -> str:
        parts = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                parts.append(f"{block.lead} {block.text}".strip() if block.lead else block.text)
            elif isinstance(block, Bullets):
                parts.append("\n".join(f"- {item}" for item in block.items))
            else:
                parts.append(f"{block.text}: {block.url}")
        return "\n\n".join(part for part in parts if part)
