"""Source commands: list with health, add (validated), remove, pause, resume, poll now."""

from __future__ import annotations

from bot.errors import SourceError, UserError
from bot.models import PollReport, Reply, Request, Source, utcnow
from bot.services import Services
from handlers.registry import command, split_args
from handlers.text import ago, clip, count

MAX_URL = 2_000


def _health(s: Source) -> str:
    if not s.enabled:
        state = "paused"
    elif s.consecutive_failures:
        state = f"failing ×{s.consecutive_failures}"
    elif s.last_ok_at is None:
        state = "not polled yet"
    else:
        state = "ok"
    parts = [state, f"last ok {ago(s.last_ok_at)}"]
    if s.enabled:
        due = s.next_check_at is None or s.next_check_at <= utcnow()
        parts.append("due now" if due else f"next {ago(s.next_check_at)}")
    if s.last_error and s.consecutive_failures:
        parts.append(f"error: {clip(s.last_error, 80)}")
    return " · ".join(parts)


@command("sources")
async def sources(request: Request, services: Services) -> Reply:
    """!sources
    The sources being watched, with their health: last success, failures, next check, error."""
    found = await services.ledger.list_sources(services.story)
    if not found:
        return Reply(title="No sources yet", lines=("Add one with !addsource <url> [name].",))
    lines = tuple(
        f"#{s.id} {clip(s.name, 60)} — {_health(s)}"
        + (f" · {s.items_count} items" if s.items_count else "")
        for s in found
    )
    failing = sum(1 for s in found if s.consecutive_failures)
    paused = sum(1 for s in found if not s.enabled)
    return Reply(
        title=f"Sources: {len(found)} ({failing} failing, {paused} paused)",
        lines=lines,
        footer="!pausesource / !resumesource / !removesource <id or url>",
    )


@command("addsource", admin=True)
async def addsource(request: Request, services: Services) -> Reply:
    """!addsource <url> [name]
    Watch a new feed. It is fetched and parsed once first; its current items are recorded as a
    baseline and not posted."""
    args = split_args(request.args)
    if not args:
        raise UserError("Give the feed's URL.")
    url = args[0].strip("<>")  # Slack wraps links in <...>
    if "|" in url:
        url = url.split("|", 1)[0]
    if len(url) > MAX_URL:
        raise UserError(f"That URL is longer than {MAX_URL} characters.")
    name = " ".join(args[1:]).strip()[:120] or None
    try:
        source, baseline = await services.add_source(url, name, request.who)
    except SourceError as exc:
        raise UserError(f"Could not add {clip(url, 200)}: {exc}") from None
    return Reply(
        title=f"Added #{source.id} {source.name}",
        lines=(
            f"URL: {source.url}",
            f"Baseline: {baseline} current items recorded; only new items will be posted.",
            f"Checked every {source.interval_s // 60} min.",
        ),
    )


async def _find(request: Request, services: Services) -> Source:
    ref = request.args.strip()
    if not ref:
        raise UserError("Say which source: its #id, URL or name (see !sources).")
    source = await services.ledger.find_source(services.story, ref[:MAX_URL])
    if source is None:
        raise UserError(f"No source matches {clip(ref, 80)!r}. See !sources.")
    return source


@command("removesource", admin=True)
async def removesource(request: Request, services: Services) -> Reply:
    """!removesource <id or url>
    Stop watching a source. What it brought stays in the ledger."""
    source = await _find(request, services)
    await services.ledger.remove_source(source.id)
    return Reply(
        title=f"Removed #{source.id} {source.name}",
        lines=("Its items and claims stay in the ledger.",),
    )


@command("pausesource", admin=True)
async def pausesource(request: Request, services: Services) -> Reply:
    """!pausesource <id or url>
    Stop polling a source for now."""
    source = await _find(request, services)
    await services.ledger.set_enabled(source.id, False)
    return Reply(title=f"Paused #{source.id} {source.name}")


@command("resumesource", admin=True)
async def resumesource(request: Request, services: Services) -> Reply:
    """!resumesource <id or url>
    Poll a paused source again (from the next poll)."""
    source = await _find(request, services)
    await services.ledger.set_enabled(source.id, True)
    return Reply(title=f"Resumed #{source.id} {source.name}")


def poll_summary(reports: list[PollReport]) -> Reply:
    ok = [r for r in reports if r.ok]
    failed = [r for r in reports if not r.ok]
    new = sum(r.new_items for r in ok)
    alerts = sum(r.alerts for r in ok)
    lines = [
        f"{len(ok)} ok ({sum(r.not_modified for r in ok)} unchanged), {len(failed)} failed; "
        f"{new} new items, {sum(r.relevant_items for r in ok)} relevant, "
        f"{sum(r.claims for r in ok)} claims, {alerts} alerts queued."
    ]
    for r in ok:
        if r.baseline and r.new_items:
            lines.append(
                f"#{r.source_id} {r.source_name}: baseline of {r.new_items} items (not posted)"
            )
        elif r.new_items:
            lines.append(f"#{r.source_id} {r.source_name}: {r.new_items} new")
    for r in failed:
        lines.append(f"#{r.source_id} {r.source_name}: {clip(r.error or 'failed', 120)}")
    return Reply(title=f"Polled {count(len(reports), 'source')}", lines=tuple(lines))


@command("poll", admin=True)
async def poll(request: Request, services: Services) -> Reply:
    """!poll
    Poll every enabled source now and say what was found."""
    reports = await services.poll(force=True)
    services.kick_delivery()
    if not reports:
        return Reply(title="Nothing to poll", lines=("No source is enabled.",))
    return poll_summary(reports)
