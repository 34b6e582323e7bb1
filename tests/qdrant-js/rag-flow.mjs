// A complete RAG flow against BitSieve's Qdrant-compatible API, driven by the official Qdrant JavaScript client.
// Every answer is checked against expectations computed here, in plain JavaScript, over the same vectors.
//
//   BITSIEVE_URL=http://127.0.0.1:6333 [BITSIEVE_API_KEY=…] node rag-flow.mjs
//
// Exits 0 and prints one JSON line of figures when every check passes; otherwise prints the failed check and exits 1.
import { QdrantClient } from '@qdrant/js-client-rest';

const url = process.env.BITSIEVE_URL ?? 'http://127.0.0.1:6333';
const apiKey = process.env.BITSIEVE_API_KEY || undefined;
const collection = process.env.BITSIEVE_COLLECTION ?? 'rag-flow';

const DIM = 96;
const COUNT = 2000;
const UUID_COUNT = 100; // the last 100 points have UUID ids
const BATCH = 250;
const TOPICS = ['storage', 'search', 'ingest', 'server'];

let checks = 0;
function check(condition, message) {
  checks++;
  if (!condition) throw new Error(`check failed: ${message}`);
}
function close(a, b, tolerance, message) {
  check(Math.abs(a - b) <= tolerance, `${message}: ${a} vs ${b}`);
}

// Deterministic data: mulberry32 and Box–Muller.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20241128);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const hex = (n) => Math.floor(random() * 16 ** n).toString(16).padStart(n, '0');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;

// Clustered vectors, as real embeddings are: 16 centres plus noise.
const centres = Array.from({ length: 16 }, () => Array.from({ length: DIM }, gaussian));
const points = [];
for (let i = 0; i < COUNT; i++) {
  const centre = centres[i % centres.length];
  const vector = centre.map((c) => c + 0.6 * gaussian());
  const id = i < COUNT - UUID_COUNT ? i : uuid();
  points.push({
    id,
    vector,
    payload: { topic: TOPICS[i % TOPICS.length], n: i, source: `doc-${Math.floor(i / 10)}.md`, text: `passage ${i}` },
  });
}
const normalize = (v) => {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / norm);
};
const unit = new Map(points.map((p) => [String(p.id), normalize(p.vector)]));
const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);

// Exact cosine search in JavaScript: the reference every answer is checked against.
function exactTop(query, limit, live, where = () => true) {
  const q = normalize(query);
  return live
    .filter(where)
    .map((p) => ({ id: p.id, score: dot(unit.get(String(p.id)), q) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
}
// Same ranking as the reference: the same ids in the same order, where a swap is allowed only between scores that tie
// at float32 precision (the engine scores in float32, this script in float64).
const sameIds = (got, truth) => got.length === truth.length
  && got.every((x, i) => String(x.id) === String(truth[i].id) || Math.abs(x.score - truth[i].score) < 1e-5);
const recall = (got, truth) => {
  const want = new Set(truth.map((t) => String(t.id)));
  return got.filter((g) => want.has(String(g.id))).length / truth.length;
};

const client = new QdrantClient({ url, apiKey, checkCompatibility: true });
const started = Date.now();

// 1. A fresh collection with binary quantization.
if ((await client.collectionExists(collection)).exists) await client.deleteCollection(collection);
check((await client.createCollection(collection, {
  vectors: { size: DIM, distance: 'Cosine' },
  quantization_config: { binary: { always_ram: true } },
})) === true, 'createCollection returns true');
check((await client.collectionExists(collection)).exists === true, 'the collection exists');
let info = await client.getCollection(collection);
check(info.config.params.vectors.size === DIM && info.config.params.vectors.distance === 'Cosine', 'vector params round-trip');
check(info.config.quantization_config?.binary !== undefined, 'binary quantization is reported');
check((await client.getCollections()).collections.some((c) => c.name === collection), 'getCollections lists it');

// 2. Upsert 2,000 points with payloads, in batches, alternating the list and the column form.
for (let start = 0; start < COUNT; start += BATCH) {
  const slice = points.slice(start, start + BATCH);
  const result = (start / BATCH) % 2 === 0
    ? await client.upsert(collection, { wait: true, points: slice })
    : await client.upsert(collection, {
      wait: true,
      batch: { ids: slice.map((p) => p.id), vectors: slice.map((p) => p.vector), payloads: slice.map((p) => p.payload) },
    });
  check(result.status === 'completed', `upsert batch at ${start} completed`);
}
check((await client.count(collection, { exact: true })).count === COUNT, 'count after upserts');

// 3. Payload indexes.
await client.createPayloadIndex(collection, { field_name: 'topic', field_schema: 'keyword', wait: true });
await client.createPayloadIndex(collection, { field_name: 'n', field_schema: 'integer', wait: true });
info = await client.getCollection(collection);
check(info.points_count === COUNT, 'points_count');
check(info.payload_schema.topic?.data_type === 'keyword' && info.payload_schema.topic.points === COUNT, 'keyword index reported');
check(info.payload_schema.n?.data_type === 'integer', 'integer index reported');

// 4. Queries: exact parameters must give exactly the brute-force top k; the cascade and oversampling return exact
//    scores for the ids they return, with high recall.
const queries = [];
for (let i = 0; i < 20; i++) {
  queries.push(i % 2 === 0
    ? Array.from({ length: DIM }, gaussian)
    : points[(i * 97) % COUNT].vector.map((x) => x + 0.3 * gaussian()));
}
let live = points.slice();
let cascadeRecall = 0;
let oversamplingRecall = 0;
for (const query of queries) {
  const truth = exactTop(query, 10, live);
  const exact = (await client.query(collection, { query, limit: 10, params: { exact: true }, with_payload: true })).points;
  check(sameIds(exact, truth), 'params.exact top 10 equals brute force');
  exact.forEach((hit, i) => close(hit.score, truth[i].score, 1e-4, 'exact score'));
  check(exact[0].payload?.topic !== undefined, 'with_payload returns payloads');

  const ignore = (await client.query(collection, { query, limit: 10, params: { quantization: { ignore: true } } })).points;
  check(sameIds(ignore, truth), 'quantization.ignore top 10 equals brute force');
  check(ignore[0].payload === null || ignore[0].payload === undefined, 'payload is not returned by default');

  const cascade = (await client.query(collection, { query: { nearest: query }, limit: 10 })).points;
  cascadeRecall += recall(cascade, truth) / queries.length;
  for (const hit of cascade) close(hit.score, dot(unit.get(String(hit.id)), normalize(query)), 1e-4, 'cascade scores are exact');

  const oversampled = (await client.query(collection, {
    query, limit: 10, params: { quantization: { rescore: true, oversampling: 10.0 } },
  })).points;
  oversamplingRecall += recall(oversampled, truth) / queries.length;
  for (const hit of oversampled) close(hit.score, dot(unit.get(String(hit.id)), normalize(query)), 1e-4, 'oversampling scores are exact');

  // Filtered, exact.
  const filter = { must: [{ key: 'topic', match: { value: 'storage' } }, { key: 'n', range: { lt: 1500 } }] };
  const filtered = (await client.query(collection, { query, filter, limit: 5, params: { exact: true }, with_payload: ['topic', 'n'] })).points;
  const filteredTruth = exactTop(query, 5, live, (p) => p.payload.topic === 'storage' && p.payload.n < 1500);
  check(sameIds(filtered, filteredTruth), `filtered exact top 5 equals brute force: ${JSON.stringify(filtered.map(h=>[h.id,h.score]))} vs ${JSON.stringify(filteredTruth.map(h=>[h.id,h.score]))}`);
  check(filtered.every((h) => h.payload.topic === 'storage' && h.payload.n < 1500 && h.payload.text === undefined), 'with_payload include list');

  // Offset and score threshold.
  const paged = (await client.query(collection, { query, limit: 5, offset: 5, params: { exact: true } })).points;
  check(sameIds(paged, truth.slice(5, 10)), 'offset 5 limit 5 is ranks 5..9');
  const threshold = truth[3].score - 1e-6;
  const above = (await client.query(collection, { query, limit: 10, score_threshold: threshold, params: { exact: true } })).points;
  check(sameIds(above, truth.slice(0, 4)), 'score_threshold keeps the scores at or above it');
}
check(cascadeRecall >= 0.95, `cascade recall@10 ${cascadeRecall} >= 0.95`);
check(oversamplingRecall >= 0.8, `oversampling recall@10 ${oversamplingRecall} >= 0.8`);

// Batch queries.
const batch = await client.queryBatch(collection, {
  searches: queries.slice(0, 3).map((query) => ({ query, limit: 3, params: { exact: true } })),
});
check(batch.length === 3, 'queryBatch answers every search');
batch.forEach((answer, i) => check(sameIds(answer.points, exactTop(queries[i], 3, live)), `queryBatch search ${i}`));

// 5. Retrieve by ids, with payloads and vectors.
const wanted = [points[1], points[5], points[COUNT - 1]];
const retrieved = await client.retrieve(collection, { ids: wanted.map((p) => p.id), with_payload: true, with_vector: true });
check(retrieved.length === 3, 'retrieve returns the three points');
for (const p of wanted) {
  const got = retrieved.find((r) => String(r.id) === String(p.id));
  check(got !== undefined, `retrieve finds ${p.id}`);
  check(JSON.stringify(got.payload) === JSON.stringify(p.payload), `payload of ${p.id} round-trips`);
  const expected = unit.get(String(p.id));
  got.vector.forEach((x, i) => close(x, expected[i], 1e-5, `stored (normalized) vector of ${p.id}`));
}

// 6. Scroll through everything: integers in order, then UUIDs.
const seen = [];
let offset;
do {
  const page = await client.scroll(collection, { limit: 256, offset, with_payload: false });
  for (const p of page.points) {
    check(p.payload === null || p.payload === undefined, 'scroll without payload');
    seen.push(String(p.id));
  }
  offset = page.next_page_offset ?? undefined;
} while (offset !== undefined);
const expectedOrder = [
  ...points.filter((p) => typeof p.id === 'number').map((p) => String(p.id)),
  ...points.filter((p) => typeof p.id === 'string').map((p) => p.id).sort(),
];
check(seen.length === COUNT && seen.every((id, i) => id === expectedOrder[i]), 'scroll visits every point once, in id order');
const storageScroll = await client.scroll(collection, { filter: { must: [{ key: 'topic', match: { value: 'storage' } }] }, limit: 1000 });
check(storageScroll.points.length === COUNT / 4 && storageScroll.next_page_offset == null, 'filtered scroll');

// 7. Count with a filter.
const counted = await client.count(collection, { filter: { must: [{ key: 'n', range: { gte: 100, lt: 300 } }] } });
check(counted.count === 200, 'count with a range filter');

// 8. Payload writes.
const touched = [points[10].id, points[11].id, points[COUNT - 2].id];
await client.setPayload(collection, { payload: { reviewed: true }, points: touched, wait: true });
let got = await client.retrieve(collection, { ids: touched });
check(got.every((p) => p.payload.reviewed === true && p.payload.topic !== undefined), 'setPayload adds a key and keeps the others');
await client.overwritePayload(collection, { payload: { only: 'this' }, points: [touched[0]], wait: true });
got = await client.retrieve(collection, { ids: [touched[0]] });
check(JSON.stringify(got[0].payload) === '{"only":"this"}', 'overwritePayload replaces the payload');
await client.deletePayload(collection, { keys: ['reviewed'], points: touched.slice(1), wait: true });
got = await client.retrieve(collection, { ids: touched.slice(1) });
check(got.every((p) => p.payload.reviewed === undefined && p.payload.topic !== undefined), 'deletePayload removes the key');
await client.clearPayload(collection, { points: [touched[2]], wait: true });
got = await client.retrieve(collection, { ids: [touched[2]] });
check(JSON.stringify(got[0].payload) === '{}', 'clearPayload empties the payload');
await client.setPayload(collection, { payload: { flagged: true }, filter: { must: [{ key: 'source', match: { value: 'doc-7.md' } }] }, wait: true });
check((await client.count(collection, { filter: { must: [{ key: 'flagged', match: { value: true } }] } })).count === 10, 'setPayload by filter');

// 9. Delete by filter and by ids; searches no longer see those points.
await client.delete(collection, { filter: { must: [{ key: 'topic', match: { value: 'ingest' } }] }, wait: true });
live = live.filter((p) => p.payload.topic !== 'ingest' && String(p.id) !== String(touched[2]) && String(p.id) !== String(touched[0]));
// touched[0] and touched[2] lost their topic in step 8, so the filter did not delete them: delete them by id.
await client.delete(collection, { points: [touched[0], touched[2]], wait: true });
check((await client.count(collection)).count === live.length, `count after deletes is ${live.length}`);
for (const query of queries.slice(0, 5)) {
  const hits = (await client.query(collection, { query, limit: 10, params: { exact: true } })).points;
  check(sameIds(hits, exactTop(query, 10, live)), 'exact search after deletes equals brute force over the live points');
}

// 10. Errors come back in Qdrant's shape.
try {
  await client.query(collection, { query: [1, 2, 3], limit: 3 });
  check(false, 'a query of the wrong dimension fails');
} catch (e) {
  check(e.status === 400, `wrong dimension is a 400, got ${e.status}`);
  check(/Vector dimension error: expected dim: 96, got 3/.test(e.data?.status?.error ?? ''), `wrong-dimension message: ${JSON.stringify(e.data)}`);
}
try {
  await client.getCollection('no-such-collection');
  check(false, 'an unknown collection fails');
} catch (e) {
  check(e.status === 404 && e.data?.status?.error === 'Not found: Collection `no-such-collection` doesn\'t exist!', `unknown collection: ${e.status} ${JSON.stringify(e.data)}`);
}

// 11. Delete the collection.
check((await client.deleteCollection(collection)) === true, 'deleteCollection returns true');
check((await client.collectionExists(collection)).exists === false, 'the collection is gone');

console.log(JSON.stringify({
  ok: true, checks, points: COUNT, queries: queries.length,
  cascade_recall_at_10: Number(cascadeRecall.toFixed(4)),
  oversampling_recall_at_10: Number(oversamplingRecall.toFixed(4)),
  seconds: (Date.now() - started) / 1000,
}));
