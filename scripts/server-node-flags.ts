/**
 * Node flags the production server runs with (`npm start`, and the bench that measures it). V8 sizes its heap
 * for the machine, so on a large host it lets garbage pile up to hundreds of MB before collecting. A small
 * young generation and an old-generation ceiling keep the server's footprint near what it really holds
 * (bench/results.md shows both ways). The ceiling leaves room for the largest input the app accepts
 * (100,000 rows in a file of up to 20 MB, CSV or XLSX), whole-file work running one at a time per instance
 * (server/invites/invite-service.ts); test/server/heap-ceiling.test.ts runs such files through a server
 * started with these flags.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-old-space-size=384', '--max-semi-space-size=2']
