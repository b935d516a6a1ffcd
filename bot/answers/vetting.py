"""What `check` would say about an organiser's change, before it reaches members.

Save and Approve must refuse anything `python -m bot check` would refuse, so they run the
same checks on the knowledge base as it would be after the change: the structural one
(`check_references`: a phrasing under two facts, an unknown related fact) and the engine's
consistency check (a phrasing the matcher would send to another fact than its own). Only
problems that involve the change are reported, each as one sentence an organiser can act on.
"""

from __future__ import annotations

from bot.answers.engine import Engine
from bot.answers.knowledge import Fact, KnowledgeError, Source
from bot.answers.knowledge.files import check_references
from bot.answers.organiser import number_of


def _name(fid: str) -> str:
    number = number_of(fid)
    return f"organiser fact #{number}" if number is not None else f"fact '{fid}'"


def _problems(engine: Engine) -> set[str]:
    errors: list[KnowledgeError] = []
    check_references(engine.kb.facts, errors)
    errors += engine.consistency_problems()
    return {e.reason for e in errors}


def _new_problems(before: Engine, after: Engine, fact_id: str) -> list[str]:
    """`check`'s problems that the change brings and that concern `fact_id`."""
    fresh = sorted(_problems(after) - _problems(before))
    mine = [reason for reason in fresh if f"'{fact_id}'" in reason]
    if number_of(fact_id) is None:
        return mine
    name = _name(fact_id)
    return [reason.replace(f"fact '{fact_id}'", name).replace(f"'{fact_id}'", name) for reason in mine]


def vet_fact(engine: Engine, source: Source, fact: Fact) -> list[str]:
    """Problems `check` would report if `fact` joined the knowledge `engine` answers from."""
    if not fact.phrasings:
        return ["it has no wordings to answer"]
    trial = Engine(engine.kb.with_facts([source], [fact]))
    return _new_problems(engine, trial, fact.id)


def vet_phrasing(engine: Engine, fact_id: str, phrasing: str) -> list[str]:
    """Problems `check` would report if `phrasing` were added to fact `fact_id`."""
    if fact_id not in engine.kb.facts:
        return [f"{_name(fact_id)} no longer exists"]
    trial = Engine(engine.kb.with_phrasings({fact_id: [phrasing]}))
    return _new_problems(engine, trial, fact_id)
