/**
 * Node flags the production server runs with (`npm start`, and the bench that measures it). V8 sizes its heap
 * for the machine, so on a large host it lets garbage pile up to hundreds of MB before collecting; a bounded
 * heap keeps the server's footprint near what it really holds. The ceiling is sized to the largest input the
 * app accepts (a 20 MB XLSX, 100,000 rows) with room to spare: test/server/heap-ceiling.test.ts proves it.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-old-space-size=256']
