/** What an upload shows before the dry run: its first rows, how many there are, how wide the widest is. */
export interface TableSummary {
  /** The first `keep` non-empty rows (header included). */
  head: string[][]
  /** Non-empty rows, header included. */
  rowCount: number
  /** The most values any row has. */
  columns: number
}

export function isEmptyRow(row: readonly string[]): boolean {
  return row.every((v) => v.trim() === '')
}

/** Collects a TableSummary row by row, so a large file is summarised without holding its rows. */
export class TableSummarizer {
  private readonly summary: TableSummary = { head: [], rowCount: 0, columns: 0 }
  constructor(private readonly keep: number) {}

  /** Returns false for an empty row (not counted). */
  add(row: string[]): boolean {
    if (isEmptyRow(row)) return false
    const s = this.summary
    s.rowCount++
    s.columns = Math.max(s.columns, row.length)
    if (s.head.length < this.keep) s.head.push(row)
    return true
  }

  result(): TableSummary {
    return this.summary
  }
}

export function summarizeTable(rows: readonly string[][], keep: number): TableSummary {
  const t = new TableSummarizer(keep)
  for (const row of rows) t.add(row)
  return t.result()
}
