// A service with `container:` is judged by its own probe and by its
// container's at once. The container's checks come first and its reason wins
// when one fails: a crash-looping API is `container`, not `refused` (the root
// cause first). When the engine cannot be asked, the service fails with that
// reason: its container is unknown, so nothing says it is well.
import { classifyError, describeError } from './classify.js'
import type { BoundProbe, CheckResult, ProbeOutcome } from './probe.js'

export function withContainer(own: BoundProbe, container: BoundProbe): BoundProbe {
  return {
    kind: own.kind,
    target: own.target,
    checkNames: [...container.checkNames, ...own.checkNames],
    async run(ctx) {
      const [mine, box] = await Promise.allSettled([own.run(ctx), container.run(ctx)])
      if (box.status === 'rejected') throw box.reason
      const boxFailed = box.value.checks.some((c) => !c.ok)
      if (mine.status === 'fulfilled') return merge(mine.value, box.value, boxFailed)
      if (!boxFailed) throw mine.reason
      // The container explains the failure: its checks, then the service's own as not evaluated and why.
      const why = `not evaluated: ${classifyError(mine.reason)}: ${describeError(mine.reason)}`
      const ownChecks: CheckResult[] = own.checkNames.map((name) => ({ name, ok: false, detail: why }))
      return { ...box.value, checks: [...box.value.checks, ...ownChecks], reason: 'container' }
    },
  }
}

function merge(mine: ProbeOutcome, box: ProbeOutcome, boxFailed: boolean): ProbeOutcome {
  return {
    ...mine,
    checks: [...box.checks, ...mine.checks],
    reason: boxFailed ? 'container' : mine.reason,
    info: { ...box.info, ...mine.info },
    facts: { ...mine.facts, ...box.facts },
  }
}
