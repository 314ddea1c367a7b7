// The shape the architecture section of the README promises, checked on the
// source itself: imports flow one way (no file-level cycle, type imports
// included), the config layer imports no probe, and the core imports the
// probe registry only from the composition roots.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\s+from\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
}

/** Each source file and the project files it imports (relative specifiers, `.js` meaning the `.ts` beside it). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of [...sources('src'), ...sources('probes')]) {
    const text = readFileSync(join(ROOT, file), 'utf8')
    const deps = [...text.matchAll(IMPORT)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), (m[1] ?? m[2])!)).replace(/\.js$/, '.ts'))
    graph.set(file, deps)
  }
  return graph
}

/** The files of every import cycle (Tarjan's strongly connected components of more than one file, or a file importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string) => {
    index.set(v, index.size)
    low.set(v, index.get(v)!)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

const graph = importGraph()

t.test('the import graph was read', async (t) => {
  t.ok(graph.size > 80, `${graph.size} files`)
  t.ok(graph.get('src/cli.ts')!.includes('probes/index.ts'), 'the CLI imports the registry')
  t.same(cycles(new Map([['a', ['b']], ['b', ['a']], ['c', ['c']], ['d', ['a']]])), [['a', 'b'], ['c']], 'the cycle finder finds cycles')
})

t.test('no file-level import cycle in src/ and probes/', async (t) => {
  t.same(cycles(graph), [])
})

t.test('the config layer and the settings vocabulary import no probe', async (t) => {
  const offending = [...graph].flatMap(([file, deps]) =>
    /^src\/(config|settings)\//.test(file) ? deps.filter((d) => d.startsWith('probes/')).map((d) => `${file} -> ${d}`) : [],
  )
  t.same(offending, [])
})

t.test('only the composition roots know the probe registry', async (t) => {
  const users = [...graph].filter(([file, deps]) => file.startsWith('src/') && deps.includes('probes/index.ts')).map(([file]) => file)
  t.same(users.sort(), ['src/cli.ts', 'src/index.ts'])
})

t.test('probes reach the core only through its contract and shared vocabulary', async (t) => {
  // A probe may use the probe contract, the settings vocabulary, metric
  // declarations and small pure helpers; never the runner, store, scheduler,
  // config loader or HTTP layer that sit around it.
  const forbidden = /^src\/(runner|results|scheduler|jobs|daemon|on-demand|cli|config\/|http\/|presentation\/|alerts\/|dashboards\/)/
  const offending = [...graph].flatMap(([file, deps]) => (file.startsWith('probes/') ? deps.filter((d) => forbidden.test(d)).map((d) => `${file} -> ${d}`) : []))
  t.same(offending, [])
})
