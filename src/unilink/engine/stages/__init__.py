"""The flow of a change, one module and one function per stage (docs/architecture.md):

    validate(snapshot, desired)               → ValidIntent      stages.validate
    diff(snapshot, valid)                     → IntentDiff       stages.diffing
    admit(snapshot, diff)                     → Admission        stages.admit
    price(snapshot, valid, diff)              → Priced           stages.price
    render(snapshot, diff, admission)         → Rendering        stages.rendering
    commit(session, runtime, plan, …)         → Committed        stages.commit
    record(session, runtime, plan, …)         → ApplyResult      stages.record

The pure stages (validate → render) read a frozen `PlanSnapshot` (stages.snapshot) and return
frozen results; they do no I/O. `engine.core.plan()` runs them in order and `engine.core.apply()`
runs commit then record.
"""
