"""Folding events into a seat's view, as the table of §6 of docs/protocol.md says.

The model-computed parts of the view (``indices``, ``builds``, ``scores``, ``order_warnings``,
the agreement statuses adjudication changes) cannot be folded from events: fetch the view
again (``Seat.fetch()``, ``GET /api/games/{id}``) when they matter, e.g. after ``adjudicated``
and ``game_ended``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, cast

from .types import SeatEvent, SeatView


def _channel_key(channel: Any) -> Any:
    """Channels compare equal whatever the order of a bilateral pair."""
    if isinstance(channel, dict) and channel.get("kind") == "bilateral":
        return ("bilateral", tuple(sorted(channel.get("factions", []))))
    if isinstance(channel, dict):
        return (channel.get("kind"), channel.get("faction"))
    return channel


def _find(items: List[Any], key: str, value: Any) -> Optional[Dict[str, Any]]:
    for item in items:
        if isinstance(item, dict) and item.get(key) == value:
            return item
    return None


def _set_purses(view: Dict[str, Any], purses: Any) -> None:
    if isinstance(purses, dict):
        view.setdefault("purses", {}).update(purses)


def fold(
    view: SeatView,
    event: SeatEvent,
    *,
    round_labels: Optional[Sequence[str]] = None,
) -> None:
    """Applies one event to ``view``, in place. ``round_labels`` (the scenario's, in the
    game's language: ``rounds`` of ``GET /api/scenarios``) sets ``round_label`` when a round
    begins; without them it is left as it was. Unknown event types change nothing."""
    v = cast(Dict[str, Any], view)
    e = cast(Dict[str, Any], event)
    kind = e.get("type")
    if kind == "round_began":
        rnd = e["round"]
        v["round"] = rnd
        if round_labels is not None and 0 <= rnd < len(round_labels):
            v["round_label"] = round_labels[rnd]
        v["phase"] = "briefing"
        v["deadline_at"] = e.get("deadline_at")
        v["vars"] = dict(e["vars"])
        _set_purses(v, e.get("purses"))
        v["ready"] = []
        v["members_ready"] = {}
        v["orders"] = {}
        for card in e.get("fired", []):
            v.setdefault("briefings", []).append([rnd, card])
    elif kind == "phase_changed":
        v["round"] = e["round"]
        v["phase"] = e["phase"]
        v["deadline_at"] = e.get("deadline_at")
        v["ready"] = []
        v["members_ready"] = {}
    elif kind == "chat_posted":
        v.setdefault("messages", []).append(e["message"])
    elif kind == "proposal_made":
        v.setdefault("proposals", []).append(e["proposal"])
    elif kind == "proposal_accepted":
        p = _find(v.get("proposals", []), "id", e["proposal"])
        if p is not None and e["by"] not in p["accepted_by"]:
            # A set on the server: kept sorted.
            p["accepted_by"] = sorted([*p["accepted_by"], e["by"]])
    elif kind == "proposal_rejected":
        p = _find(v.get("proposals", []), "id", e["proposal"])
        if p is not None:
            p["status"] = {"status": "rejected", "by": e["by"], "reason": e["reason"]}
    elif kind == "proposal_countered":
        p = _find(v.get("proposals", []), "id", e["proposal"])
        if p is not None:
            p["status"] = {"status": "countered", "by": e["by"], "counter": e["counter"]}
    elif kind == "proposal_withdrawn":
        p = _find(v.get("proposals", []), "id", e["proposal"])
        if p is not None:
            p["status"] = {"status": "withdrawn"}
    elif kind == "proposals_expired":
        for pid in e["proposals"]:
            p = _find(v.get("proposals", []), "id", pid)
            if p is not None:
                p["status"] = {"status": "expired"}
    elif kind == "agreement_signed":
        agreement = e["agreement"]
        p = _find(v.get("proposals", []), "id", agreement.get("proposal"))
        if p is not None:
            p["status"] = {"status": "signed", "agreement": agreement["id"]}
        v.setdefault("agreements", []).append(agreement)
        _set_purses(v, e.get("purses"))
    elif kind == "order_submitted":
        v.setdefault("orders", {}).setdefault(e["faction"], []).append(e["order"])
    elif kind == "order_amended":
        o = _find(v.get("orders", {}).get(e["faction"], []), "id", e["order"])
        if o is not None:
            o["quantity"] = e["quantity"]
    elif kind == "order_withdrawn":
        orders = v.get("orders", {}).get(e["faction"])
        if orders is not None:
            orders[:] = [o for o in orders if o.get("id") != e["order"]]
    elif kind == "faction_ready":
        if e["faction"] not in v.setdefault("ready", []):
            v["ready"].append(e["faction"])
    elif kind == "ready_withdrawn":
        v["ready"] = [f for f in v.get("ready", []) if f != e["faction"]]
    elif kind == "member_ready":
        members = v.setdefault("members_ready", {}).setdefault(e["faction"], [])
        members[:] = [m for m in members if m.get("member") != e["member"]]
        members.append({"member": e["member"], "name": e["name"]})
    elif kind == "member_ready_withdrawn":
        members = v.get("members_ready", {}).get(e["faction"])
        if members is not None:
            members[:] = [m for m in members if m.get("member") != e["member"]]
    elif kind == "paused":
        v["paused"] = True
        v["deadline_at"] = None
    elif kind == "resumed":
        v["paused"] = False
        v["deadline_at"] = e.get("deadline_at")
    elif kind == "deadline_extended":
        v["deadline_at"] = e["deadline_at"]
    elif kind == "event_injected":
        v["vars"] = dict(e["vars"])
        v.setdefault("briefings", []).append([v.get("round", 0), e["fired"]])
    elif kind == "overridden":
        var = e["var"]
        vars_ = v.setdefault("vars", {})
        if v.get("seat", {}).get("role") == "control":
            old = vars_.get(var)
            v.setdefault("overrides", []).append(
                [e["round"], var, old, e["new"], e["reason"]]
            )
        vars_[var] = e["new"]
    elif kind == "bot_set":
        temperament = e.get("temperament")
        bots = v.setdefault("bots", {})
        if temperament is None:
            bots.pop(e["faction"], None)
        else:
            bots[e["faction"]] = temperament
    elif kind == "agent_set":
        agent = e.get("agent")
        agents = v.setdefault("agents", {})
        if agent is None:
            agents.pop(e["faction"], None)
        else:
            agents[e["faction"]] = agent
    elif kind == "chat_held":
        v.setdefault("held", []).append(e["held"])
    elif kind == "held_message_decided":
        for h in v.get("held", []):
            if h.get("faction") == e["faction"] and h.get("id") == e["held"]:
                h["decision"] = e["decision"]
    elif kind == "start_set":
        v["start"] = e["start"]
    elif kind == "annotated":
        v.setdefault("annotations", []).append([e["round"], e["text"]])
    elif kind == "branched":
        v["branch"] = e["branch"]
        v["bots"] = dict(e["bots"])
        # A faction a bot plays in the branch is no agent's.
        v["agents"] = {f: a for f, a in v.get("agents", {}).items() if f not in e["bots"]}
        v["paused"] = True
        v["deadline_at"] = None
        v["ready"] = []
        v["members_ready"] = {}
    elif kind == "message_hidden":
        key = _channel_key(e["channel"])
        for m in v.get("messages", []):
            if m.get("id") == e["message"] and _channel_key(m.get("channel")) == key:
                m["hidden"] = True
                if v.get("seat", {}).get("role") != "control":
                    m["text"] = ""
        v.setdefault("moderation", []).append(
            {
                "kind": "hide_message",
                "round": e["round"],
                "at_ms": e["at_ms"],
                "by": e["by"],
                "reason": e["reason"],
                "channel": e["channel"],
                "message": e["message"],
            }
        )
    elif kind in ("member_muted", "member_unmuted"):
        record: Dict[str, Any] = {
            "kind": "mute" if kind == "member_muted" else "unmute",
            "round": e["round"],
            "at_ms": e["at_ms"],
            "by": e["by"],
            "reason": e.get("reason", ""),
            "faction": e["faction"],
            "member": e["member"],
            "name": e["name"],
        }
        if kind == "member_muted":
            record["until_ms"] = e["until_ms"]
        v.setdefault("moderation", []).append(record)
    elif kind == "adjudicated":
        v.setdefault("reports", []).append(e["report"])
        v["vars"] = dict(e["vars"])
        _set_purses(v, e.get("purses"))
        v["orders"] = {}
        v["ready"] = []
        v["members_ready"] = {}
    elif kind == "game_ended":
        v["phase"] = "ended"
        v["deadline_at"] = None
        v["ending"] = e["ending"]
    # game_created, scheduled_event_set and unknown types: nothing to fold.
