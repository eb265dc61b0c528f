/**
 * Group commit: writes that arrive in the same turn of the event loop, or while one is in flight, go out
 * together in the next one: one statement (one transaction commit) carries many under load, and a write of a
 * quiet period waits for nothing but the end of the current turn. Each caller still learns its own result,
 * or the batch's error, only after its write is done.
 */
export function groupCommit<T, R>(write: (items: T[]) => Promise<R[]>, maxBatch = 200): (item: T) => Promise<R> {
  let queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = []
  let writing = false

  async function drain(): Promise<void> {
    writing = true
    try {
      while (queue.length) {
        const batch = queue.slice(0, maxBatch)
        queue = queue.slice(batch.length)
        try {
          const results = await write(batch.map((b) => b.item))
          batch.forEach((b, k) => b.resolve(results[k]!))
        } catch (e) {
          for (const b of batch) b.reject(e)
        }
      }
    } finally {
      writing = false
    }
  }

  let scheduled = false
  return (item) => new Promise<R>((resolve, reject) => {
    queue.push({ item, resolve, reject })
    if (writing || scheduled) return
    scheduled = true
    // After the requests already read in this turn have queued theirs (a synchronous driver would otherwise
    // write each alone before the next request is even parsed).
    setImmediate(() => {
      scheduled = false
      if (!writing) void drain()
    })
  })
}
