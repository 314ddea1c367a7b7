// The terminal table of `groundtruth check`: one row per service, then the
// migrations and env lines, then the readiness line and every gate failure
// last, where the eye lands when the command returns.
import { percent } from '../gates.js'
import type { ServiceStatus, StatusDocument } from '../exposition/status.js'
import { configuredLine, envFindingLines, explain, latency, migrationLine, summary } from './lines.js'

export function renderTable(doc: StatusDocument, color = false): string {
  const paint = (state: ServiceStatus['state'], text: string) => {
    if (!color) return text
    const code = state === 'ready' ? 32 : state === 'down' ? 31 : 33
    return `\x1b[${code}m${text}\x1b[0m`
  }
  const header = ['SERVICE', 'GROUP', 'PROBE', 'STATE', 'REASON', 'LATENCY', 'DETAIL']
  const rows = doc.services.map((s) => [s.name, s.group, s.probe, s.state, s.reason ?? '-', latency(s), explain(s) || s.target])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[], state?: ServiceStatus['state']) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c : c.padEnd(widths[i]!)
        return i === 3 && state ? paint(state, padded) : padded
      })
      .join('  ')
  const out = doc.services.length ? [line(header), ...rows.map((r, i) => line(r, doc.services[i]!.state)), ''] : ['No services are configured: there is nothing to probe.', '']
  for (const s of doc.services) for (const m of s.migrations) out.push(`Migrations ${s.name} ${migrationLine(m)}`)
  for (const f of doc.env) {
    out.push(`Environment ${f.source} (${f.environment}): ${configuredLine(f)}`)
    for (const line of envFindingLines(f, doc.findings)) out.push(`  - ${line}`)
  }
  if (out.at(-1) !== '') out.push('')
  out.push(`Ready: ${summary(doc)}; gate ${percent(doc.gates.min_ready_ratio)}: ${doc.gates.passed ? 'PASSED' : 'FAILED'}`)
  for (const f of doc.gates.failures) out.push(`  - ${f}`)
  return out.join('\n') + '\n'
}
