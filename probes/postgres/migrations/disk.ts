// Reading a migration directory the same way for every tool: sorted
// entries, and one note when the directory cannot be read (the reader then
// says `disk: undefined`, and nothing is counted from it).
import type { Dirent } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { byCodeUnit } from './compare.js'

/** The entries of `dir`, sorted by name; undefined, with a note, when it cannot be read. */
export function listDir(dir: string, notes: string[]): Promise<Dirent[] | undefined> {
  return orNote(dir, notes, async () => (await readdir(dir, { withFileTypes: true })).sort((a, b) => byCodeUnit(a.name, b.name)))
}

/** Every file below `dir` at any depth, as sorted paths; undefined, with a note, when a directory in it cannot be read. */
export function listTree(dir: string, notes: string[]): Promise<string[] | undefined> {
  return orNote(dir, notes, async () => (await filesBelow(dir)).sort(byCodeUnit))
}

export async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false
}

export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false
}

/** What went wrong reading a file or directory: the errno code (ENOENT, EACCES ...), else the message. */
export function fsReason(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message
}

async function orNote<T>(dir: string, notes: string[], read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read()
  } catch (err) {
    notes.push(`migration directory not readable: ${fsReason(err)} (${dir})`)
    return undefined
  }
}

async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await filesBelow(path)))
    else if (e.isFile()) out.push(path)
  }
  return out
}
