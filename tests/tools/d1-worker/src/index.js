// Serves D1's REST API shapes over a D1 binding, so Thread's D1 tests can run against
// Cloudflare's own local D1 engine (`wrangler dev --local`). Each new database id gets
// the next of the eight bound databases, in turn, so a few tests' databases stay apart
// (the tests empty a database when they first connect). The token is checked like the
// real API checks it.
//
//   POST /client/v4/accounts/{account}/d1/database/{database}/query  -> rows as objects
//   POST /client/v4/accounts/{account}/d1/database/{database}/raw    -> {columns, rows}
//   body: {"sql", "params"} or {"batch": [{"sql", "params"}, ...]}

const ROUTE = /^\/client\/v4\/accounts\/[^/]+\/d1\/database\/([^/]+)\/(query|raw)$/;
const BINDINGS = 8;
const assigned = new Map();

function databaseFor(env, id) {
  if (!assigned.has(id)) assigned.set(id, assigned.size % BINDINGS);
  return env["DB" + assigned.get(id)];
}

function envelope(status, result, errors) {
  return new Response(JSON.stringify({ result, success: errors.length === 0, errors, messages: [] }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function statementsOf(body) {
  const one = (entry) => {
    if (typeof entry !== "object" || entry === null || typeof entry.sql !== "string") {
      throw new Error("sql must be a string");
    }
    if (entry.params !== undefined && entry.params !== null && !Array.isArray(entry.params)) {
      throw new Error("params must be an array");
    }
    return { sql: entry.sql, params: entry.params ?? [] };
  };
  if (typeof body !== "object" || body === null) throw new Error("expected a JSON object");
  if (body.batch !== undefined) {
    if (!Array.isArray(body.batch)) throw new Error("batch must be an array");
    return body.batch.map(one);
  }
  return [one(body)];
}

// D1 hands BLOBs back as ArrayBuffers; the REST API shows them as arrays of bytes.
function plain(value) {
  if (value instanceof ArrayBuffer) return Array.from(new Uint8Array(value));
  if (ArrayBuffer.isView(value)) return Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  return value;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const route = ROUTE.exec(url.pathname);
    if (request.method !== "POST" || !route) {
      return envelope(404, null, [{ code: 7003, message: "Could not route to " + url.pathname }]);
    }
    if (env.TOKEN && request.headers.get("authorization") !== "Bearer " + env.TOKEN) {
      return envelope(403, null, [{ code: 10000, message: "Authentication error" }]);
    }
    let statements;
    try {
      statements = statementsOf(JSON.parse(await request.text()));
    } catch (error) {
      return envelope(400, null, [{ code: 7400, message: "The request is malformed: " + error.message }]);
    }
    const raw = route[2] === "raw";
    const db = databaseFor(env, route[1]);
    try {
      // One batch: D1 runs it as one transaction, as the REST API does.
      const outcomes = await db.batch(statements.map((s) => db.prepare(s.sql).bind(...s.params)));
      const results = outcomes.map((outcome) => {
        const rows = (outcome.results ?? []).map((row) => Object.entries(row).map(([k, v]) => [k, plain(v)]));
        // The binding gives rows as objects; /raw's column order is the objects' key order.
        const shaped = raw
          ? { columns: rows.length ? rows[0].map(([k]) => k) : [], rows: rows.map((row) => row.map(([, v]) => v)) }
          : rows.map((row) => Object.fromEntries(row));
        return { results: shaped, success: true, meta: outcome.meta };
      });
      return envelope(200, results, []);
    } catch (error) {
      const message = String(error.message ?? error);
      return envelope(400, null, [{ code: 7500, message }]);
    }
  },
};
