// The BitSieve dashboard: plain JavaScript over the server's own JSON API (/v1, the Qdrant-compatible routes,
// /dashboard/info and /dashboard/bench.json). No framework, no build step, nothing loaded from elsewhere.
"use strict";

const KEY = "bitsieve.apiKey"; // sessionStorage only: the key lives as long as the tab
const THEME = "bitsieve.theme";
const $ = (selector) => document.querySelector(selector);
const state = { info: null, collection: "", collections: [], pointsOffset: null };

// ---- HTTP ----------------------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function headers(json) {
  const h = {};
  const key = sessionStorage.getItem(KEY);
  if (key) h["api-key"] = key;
  if (json) h["content-type"] = "application/json";
  return h;
}

async function api(method, path, body) {
  const response = await fetch(path, { method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    const message = json && json.status && json.status.error ? json.status.error : `${response.status} ${response.statusText}`;
    if (response.status === 401) askForKey(message);
    throw new ApiError(response.status, message);
  }
  return json;
}

function showError(error) {
  const box = $("#error");
  box.textContent = error ? String(error.message || error) : "";
  box.hidden = !error;
}

function say(message) { $("#status").textContent = message; }

// ---- API key -------------------------------------------------------------------------------------------------------

function askForKey(message) {
  $("#key-view").hidden = false;
  const hadKey = sessionStorage.getItem(KEY) !== null;
  showError(new Error(hadKey ? `The API key was refused (${message}). Enter the right key.` : "This server needs an API key."));
  $("#api-key").focus();
}

$("#key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("#api-key").value);
  $("#api-key").value = "";
  await start();
});

// ---- views ---------------------------------------------------------------------------------------------------------

function show(view) {
  for (const tab of document.querySelectorAll(".tab")) {
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
  }
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== `view-${view}`;
  if (view === "documents") loadDocuments().catch(showError);
  if (view === "bench") loadBench().catch(showError);
}

for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => show(tab.dataset.view));

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  const button = $("#theme");
  button.textContent = theme === "dark" ? "Light" : "Dark";
  button.setAttribute("aria-pressed", String(theme === "dark"));
}

applyTheme(localStorage.getItem(THEME) || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"));
$("#theme").addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  localStorage.setItem(THEME, next);
  applyTheme(next);
});

function confirmDialog(text) {
  const dialog = $("#confirm");
  $("#confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    $("#confirm-ok").focus();
  });
}

function cell(row, content, className) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content); else td.textContent = content;
  if (className) td.className = className;
  row.append(td);
  return td;
}

function button(label, className, onClick, accessibleName) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  if (className) b.className = className;
  if (accessibleName) b.setAttribute("aria-label", accessibleName);
  b.addEventListener("click", onClick);
  return b;
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

const number = (n) => Number(n).toLocaleString("en-US");

// ---- collections ---------------------------------------------------------------------------------------------------

async function loadCollections() {
  const list = await api("GET", "/v1/collections");
  state.collections = list.collections;
  const details = await Promise.all(list.collections.map((c) => api("GET", `/v1/collections/${encodeURIComponent(c.name)}`).catch(() => null)));
  const body = $("#collections-table tbody");
  body.replaceChildren();
  list.collections.forEach((c, i) => {
    const info = details[i] ? details[i].info : null;
    const row = document.createElement("tr");
    row.dataset.collection = c.name;
    cell(row, c.name);
    cell(row, number(c.count), "num");
    cell(row, String(c.dimension), "num");
    cell(row, c.metric);
    cell(row, c.model || (c.text_index ? "?" : "(vectors)"));
    cell(row, info ? tierBar(info.bytes_by_tier) : "");
    cell(row, info ? info.index : "");
    cell(row, button("Delete", "danger", () => deleteCollection(c.name), `Delete collection ${c.name}`));
    body.append(row);
  });
  const select = $("#collection");
  select.replaceChildren(new Option("(none)", ""));
  for (const c of list.collections) select.append(new Option(c.name, c.name));
  if (!list.collections.some((c) => c.name === state.collection)) state.collection = list.collections.length ? list.collections[0].name : "";
  select.value = state.collection;
}

function tierBar(tiers) {
  const ram = tiers.t1 + tiers.t2 + tiers.factors;
  const total = ram + tiers.t3 || 1;
  const wrap = document.createElement("div");
  const bar = document.createElement("div");
  bar.className = "tiers";
  bar.setAttribute("role", "img");
  const label = `T1 ${bytes(tiers.t1)} and T2 ${bytes(tiers.t2 + tiers.factors)} in RAM, T3 ${bytes(tiers.t3)} on disk`;
  bar.setAttribute("aria-label", label);
  for (const [tier, value] of [["t1", tiers.t1], ["t2", tiers.t2 + tiers.factors], ["t3", tiers.t3]]) {
    const part = document.createElement("span");
    part.className = `tier-${tier}`;
    part.style.width = `${(100 * value) / total}%`;
    bar.append(part);
  }
  const text = document.createElement("div");
  text.className = "muted";
  text.textContent = `RAM ${bytes(ram)} · disk ${bytes(tiers.t3)}`;
  wrap.append(bar, text);
  return wrap;
}

async function deleteCollection(name) {
  if (!(await confirmDialog(`Delete the collection “${name}” and all its points? This cannot be undone.`))) return;
  try {
    await api("DELETE", `/v1/collections/${encodeURIComponent(name)}`);
    say(`Deleted the collection ${name}.`);
    await loadCollections();
  } catch (e) { showError(e); }
}

for (const radio of document.querySelectorAll('input[name="kind"]')) {
  radio.addEventListener("change", () => {
    const text = $("#kind-text").checked;
    $("#text-fields").hidden = !text;
    $("#vector-fields").hidden = text;
  });
}

$("#create-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError(null);
  const name = $("#new-name").value.trim();
  try {
    if ($("#kind-text").checked) {
      const model = $("#new-model").value.trim();
      const created = await api("PUT", `/v1/collections/${encodeURIComponent(name)}`, model ? { model } : {});
      say(`Created the text collection ${name} (${created.model}, ${created.dimension} dimensions).`);
    } else {
      await api("PUT", `/collections/${encodeURIComponent(name)}`, { vectors: { size: Number($("#new-size").value), distance: $("#new-metric").value } });
      say(`Created the vector collection ${name}.`);
    }
    state.collection = name;
    $("#new-name").value = "";
    await loadCollections();
  } catch (e) { showError(e); }
});

$("#collection").addEventListener("change", () => {
  state.collection = $("#collection").value;
  state.pointsOffset = null;
  if (!$("#view-documents").hidden) loadDocuments().catch(showError);
});

function needCollection() {
  if (!state.collection) throw new Error("Create or choose a collection first.");
  return encodeURIComponent(state.collection);
}

// ---- documents -----------------------------------------------------------------------------------------------------

const FORMATS = { txt: "text", md: "markdown", markdown: "markdown", html: "html", htm: "html", pdf: "pdf" };

async function loadDocuments() {
  const body = $("#documents-table tbody");
  body.replaceChildren();
  if (!state.collection) return;
  const list = await api("GET", `/v1/collections/${needCollection()}/documents`);
  for (const d of list.documents) {
    const row = document.createElement("tr");
    row.dataset.source = d.source;
    cell(row, d.source);
    cell(row, String(d.chunks), "num");
    cell(row, button("Delete", "danger", () => deleteDocument(d.source), `Delete document ${d.source}`));
    body.append(row);
  }
}

async function deleteDocument(source) {
  if (!(await confirmDialog(`Remove “${source}” and its chunks from ${state.collection}?`))) return;
  try {
    const result = await api("DELETE", `/v1/collections/${needCollection()}/documents?source=${encodeURIComponent(source)}`);
    say(`Removed ${source} (${result.chunks_deleted} chunks).`);
    await loadDocuments();
  } catch (e) { showError(e); }
}

function base64(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function upload(file) {
  const item = document.createElement("li");
  const name = document.createElement("span");
  name.textContent = file.name;
  const progress = document.createElement("progress");
  progress.max = 100;
  progress.value = 0;
  progress.setAttribute("aria-label", `Upload of ${file.name}`);
  const status = document.createElement("span");
  status.className = "upload-status";
  status.textContent = "reading…";
  item.append(name, progress, status);
  $("#uploads").append(item);

  const extension = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
  const format = FORMATS[extension];
  if (!format) {
    status.textContent = `not added: .${extension} is not text, Markdown, HTML or PDF`;
    status.className = "upload-status error";
    return Promise.resolve(false);
  }
  let collection;
  try { collection = needCollection(); } catch (e) { status.textContent = e.message; status.className = "upload-status error"; return Promise.resolve(false); }
  return file.arrayBuffer().then((buffer) => new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/v1/collections/${collection}/documents`);
    for (const [header, value] of Object.entries(headers(true))) request.setRequestHeader(header, value);
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) progress.value = Math.round((90 * e.loaded) / e.total);
      status.textContent = "uploading…";
    });
    request.upload.addEventListener("load", () => { progress.value = 90; status.textContent = "indexing…"; });
    request.addEventListener("load", () => {
      let json = null;
      try { json = JSON.parse(request.responseText); } catch { json = null; }
      if (request.status === 200 && json) {
        progress.value = 100;
        status.textContent = `indexed: ${json.chunks} chunks`;
        item.dataset.done = "true";
        resolve(true);
      } else {
        status.textContent = `not added: ${json && json.status ? json.status.error : request.status}`;
        status.className = "upload-status error";
        if (request.status === 401) askForKey(json && json.status ? json.status.error : "401");
        resolve(false);
      }
    });
    request.addEventListener("error", () => { status.textContent = "not added: the server could not be reached"; status.className = "upload-status error"; resolve(false); });
    request.send(JSON.stringify({ documents: [{ source: file.name, format, content_base64: base64(buffer) }] }));
  }));
}

async function uploadAll(files) {
  showError(null);
  const results = [];
  // One file at a time: the server embeds each in turn, so parallel uploads would only queue there.
  for (const file of files) results.push(await upload(file));
  say(`${results.filter(Boolean).length} of ${results.length} files indexed.`);
  await loadDocuments().catch(showError);
  await loadCollections().catch(showError);
}

const drop = $("#drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  uploadAll([...e.dataTransfer.files]);
});
$("#file-input").addEventListener("change", (e) => {
  uploadAll([...e.target.files]);
  e.target.value = "";
});

// ---- ask -----------------------------------------------------------------------------------------------------------

const STOP = new Set("a an and are as at be by do does for from how i in is it of on or the this to what when where which who why with".split(" "));

function terms(question) {
  return [...new Set(question.toLowerCase().match(/[\p{L}\p{N}]+/gu) || [])].filter((t) => t.length > 2 && !STOP.has(t));
}

function highlighted(text, words) {
  const fragment = document.createDocumentFragment();
  if (!words.length) { fragment.append(text); return fragment; }
  const pattern = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "giu");
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    fragment.append(text.slice(last, match.index));
    const mark = document.createElement("mark");
    mark.textContent = match[0];
    fragment.append(mark);
    last = match.index + match[0].length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

function renderPassages(results, question) {
  const list = $("#passages");
  list.replaceChildren();
  const words = terms(question);
  results.forEach((p, i) => {
    const item = document.createElement("li");
    item.id = `passage-${i + 1}`;
    const head = document.createElement("div");
    head.className = "passage-head";
    const source = document.createElement("span");
    source.className = "source";
    source.textContent = p.source + (p.page ? ` (page ${p.page})` : "");
    const path = document.createElement("span");
    path.className = "headings";
    path.textContent = p.headings && p.headings.length ? p.headings.join(" › ") : "";
    const score = document.createElement("span");
    score.className = "score muted";
    score.textContent = `score ${Number(p.score).toFixed(4)}`;
    head.append(source, path, score);
    const text = document.createElement("p");
    text.className = "passage-text";
    text.append(highlighted(p.text, words));
    item.append(head, text);
    list.append(item);
  });
  if (!results.length) list.append(Object.assign(document.createElement("li"), { textContent: "No passage matched." }));
}

// The trace as a funnel: how many vectors each tier looked at and kept, against what exact float32 search reads.
function renderFunnel(trace, mode) {
  const box = $("#funnel");
  box.replaceChildren();
  box.hidden = false;
  const info = state.collections.find((c) => c.name === state.collection);
  const count = info ? info.count : 0;
  const dim = info ? info.dimension : 0;
  const title = document.createElement("h3");
  title.textContent = "Where this query spent its precision";
  box.append(title);
  if (mode === "lexical" || !trace || (trace.t1.seen === 0 && trace.t3.seen === 0)) {
    box.append(Object.assign(document.createElement("p"), { textContent: "A lexical search reads no vectors (BM25 over the text index)." }));
    return;
  }
  const max = Math.max(count, trace.t1.seen, 1);
  const width = (n) => `${n <= 0 ? 0 : Math.max(0.5, (100 * Math.log10(1 + n)) / Math.log10(1 + max))}%`;
  const rows = [
    ["exact", "exact float32", count, `would read ${number(count)} vectors × ${dim * 4} B = ${bytes(count * dim * 4)} of originals`],
    ["t1", "T1 (1 bit)", trace.t1.seen, `seen ${number(trace.t1.seen)}, kept ${number(trace.t1.kept)} · ${number(trace.t1.us)} µs`],
    ["t2", "T2 (extra bits)", trace.t2.seen, `seen ${number(trace.t2.seen)}, kept ${number(trace.t2.kept)} · ${number(trace.t2.us)} µs`],
    ["t3", "T3 (float32)", trace.t3.seen, `read ${number(trace.t3.seen)} originals = ${bytes(trace.t3.seen * dim * 4)} · ${number(trace.t3.us)} µs`],
  ];
  for (const [tier, label, value, detail] of rows) {
    const row = document.createElement("div");
    row.className = "funnel-row";
    row.dataset.tier = tier;
    const name = document.createElement("span");
    name.textContent = label;
    const right = document.createElement("div");
    const bar = document.createElement("div");
    bar.className = `funnel-bar bar-${tier}`;
    bar.style.width = width(value);
    const text = document.createElement("div");
    text.className = "funnel-label";
    text.textContent = detail;
    right.append(bar, text);
    row.append(name, right);
    box.append(row);
  }
  const share = count > 0 ? (100 * trace.t3.seen) / count : 0;
  box.append(Object.assign(document.createElement("p"), {
    className: "muted",
    textContent: `Bars on a log scale. This query read ${share.toFixed(share < 1 ? 2 : 1)} % of the float32 originals that exact search reads.`,
  }));
}

function renderAnswer(answer) {
  const box = $("#answer");
  box.replaceChildren();
  box.hidden = false;
  const kind = document.createElement("div");
  kind.className = "muted";
  kind.textContent = answer.kind === "generated" ? `Answer by ${answer.chat_model || "the chat model"}` : "Extractive answer (the best-matching sentences; the server has no --llm)";
  const text = document.createElement("div");
  // Citations [n] become links to passage n.
  const parts = answer.text.replace(/\*\*/g, "").split(/(\[\d+\])/);
  for (const part of parts) {
    const match = /^\[(\d+)\]$/.exec(part);
    if (match && $(`#passage-${match[1]}`)) {
      const link = document.createElement("a");
      link.href = `#passage-${match[1]}`;
      link.textContent = part;
      link.setAttribute("aria-label", `passage ${match[1]}`);
      link.addEventListener("click", (e) => {
        e.preventDefault();
        const target = $(`#passage-${match[1]}`);
        target.classList.add("cited");
        target.scrollIntoView({ block: "center" });
      });
      text.append(link);
    } else text.append(part);
  }
  box.append(kind, text);
}

async function streamAnswer(collection, question, mode) {
  const response = await fetch(`/v1/collections/${collection}/ask`, {
    method: "POST",
    headers: { ...headers(true), accept: "text/event-stream" },
    body: JSON.stringify({ question, mode, stream: true }),
  });
  if (!response.ok) {
    const json = await response.json().catch(() => null);
    throw new ApiError(response.status, json && json.status ? json.status.error : `${response.status}`);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "", streamed = "";
  const box = $("#answer");
  box.hidden = false;
  box.textContent = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = (/^event: (.*)$/m.exec(block) || [])[1];
      const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      if (!event || !data) continue;
      const payload = JSON.parse(data);
      if (event === "delta") { streamed += payload.text; box.textContent = streamed.replace(/\*\*/g, ""); }
      else if (event === "answer") renderAnswer(payload);
      else if (event === "error") throw new Error(payload.status.error);
    }
  }
}

$("#ask-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError(null);
  const question = $("#question").value.trim();
  const mode = $("#mode").value;
  try {
    const collection = needCollection();
    say("Searching…");
    const found = await api("POST", `/v1/collections/${collection}/search`, { query: question, k: 5, mode });
    renderPassages(found.results, question);
    renderFunnel(found.trace, mode);
    say(`${found.results.length} passages (${found.mode}${found.model ? `, ${found.model}` : ""}).`);
    if (found.results.length) await streamAnswer(collection, question, mode);
  } catch (e) { showError(e); say(""); }
});

// ---- points --------------------------------------------------------------------------------------------------------

async function scrollPoints(offset) {
  showError(null);
  const error = $("#points-error");
  error.hidden = true;
  const request = { limit: 20, with_payload: true, with_vector: false };
  const text = $("#filter").value.trim();
  if (text) {
    try { request.filter = JSON.parse(text); } catch (e) {
      error.textContent = `The filter is not JSON: ${e.message}`;
      error.hidden = false;
      return;
    }
  }
  if (offset !== null && offset !== undefined) request.offset = offset;
  try {
    const page = await api("POST", `/collections/${needCollection()}/points/scroll`, request);
    const body = $("#points-table tbody");
    body.replaceChildren();
    for (const point of page.result.points) {
      const row = document.createElement("tr");
      cell(row, String(point.id));
      const pre = document.createElement("pre");
      const payload = { ...point.payload };
      if (typeof payload.text === "string" && payload.text.length > 240) payload.text = `${payload.text.slice(0, 240)}…`;
      pre.textContent = JSON.stringify(payload, null, 1);
      cell(row, pre);
      body.append(row);
    }
    state.pointsOffset = page.result.next_page_offset;
    $("#points-next").hidden = state.pointsOffset === null || state.pointsOffset === undefined;
    say(`${page.result.points.length} points${$("#points-next").hidden ? "" : " (more on the next page)"}.`);
  } catch (e) {
    error.textContent = e.message;
    error.hidden = false;
    $("#points-next").hidden = true;
  }
}

$("#points-form").addEventListener("submit", (event) => { event.preventDefault(); scrollPoints(null); });
$("#points-next").addEventListener("click", () => scrollPoints(state.pointsOffset));

// ---- bench ---------------------------------------------------------------------------------------------------------

async function loadBench() {
  if (!state.info || !state.info.bench) return;
  const bench = await api("GET", "/dashboard/bench.json");
  $("#bench-none").hidden = true;
  $("#bench-figure").hidden = false;
  const series = [
    { name: "fixed oversampling m", cls: "t2", points: bench.fixed.map((f) => ({ qps: f.qps, recall: f.recall, label: `m=${f.oversampling}` })) },
    { name: "cascade", cls: "t1", points: (bench.cascade_sweep || [bench.cascade]).map((c) => ({ qps: c.qps, recall: c.recall, label: `q=${c.quality}` })) },
    { name: "exact float32", cls: "exact", points: [{ qps: bench.exact.qps, recall: 1, label: "exact" }] },
  ];
  if (bench.graph && bench.graph.sweep) series.splice(2, 0, { name: "graph", cls: "t3", points: bench.graph.sweep.map((g) => ({ qps: g.qps, recall: g.recall, label: `ef=${g.ef}` })) });
  $("#bench-plot").replaceChildren(plot(series));
  $("#bench-caption").textContent = `Recall@${bench.k} against queries per second, ${number(bench.n)} vectors of ${bench.dim} dimensions, ${bench.queries} queries, ${bench.threads} thread(s).`;
}

function plot(series) {
  const ns = "http://www.w3.org/2000/svg";
  const W = 640, H = 400, L = 60, R = 150, T = 20, B = 50;
  const all = series.flatMap((s) => s.points).filter((p) => p.qps > 0);
  const minQ = Math.min(...all.map((p) => p.qps)), maxQ = Math.max(...all.map((p) => p.qps));
  const minR = Math.min(0.5, ...all.map((p) => p.recall));
  const x = (q) => L + ((W - L - R) * (Math.log10(q) - Math.log10(minQ / 1.2))) / (Math.log10(maxQ * 1.2) - Math.log10(minQ / 1.2));
  const y = (r) => T + ((H - T - B) * (1 - (r - minR) / (1 - minR)));
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Recall against queries per second for each method of the bench run");
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  add("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" });
  add("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" });
  add("text", { x: (L + W - R) / 2, y: H - 10, "text-anchor": "middle" }, "queries per second (log)");
  add("text", { x: 14, y: (T + H - B) / 2, transform: `rotate(-90 14 ${(T + H - B) / 2})`, "text-anchor": "middle" }, "recall@k");
  for (let decade = Math.pow(10, Math.floor(Math.log10(minQ))); decade <= maxQ * 1.2; decade *= 10) {
    if (decade < minQ / 1.2) continue;
    add("text", { x: x(decade), y: H - B + 16, "text-anchor": "middle" }, number(decade));
  }
  for (const r of [minR, (minR + 1) / 2, 1]) add("text", { x: L - 6, y: y(r) + 4, "text-anchor": "end" }, r.toFixed(2));
  series.forEach((s, i) => {
    const color = getComputedStyle(document.documentElement).getPropertyValue(`--${s.cls}`).trim();
    const points = s.points.filter((p) => p.qps > 0);
    if (points.length > 1) add("polyline", { points: points.map((p) => `${x(p.qps)},${y(p.recall)}`).join(" "), fill: "none", stroke: color, "stroke-width": 2 });
    for (const p of points) {
      const dot = add("circle", { cx: x(p.qps), cy: y(p.recall), r: 4, fill: color });
      const tip = document.createElementNS(ns, "title");
      tip.textContent = `${s.name} ${p.label}: recall ${p.recall}, ${number(p.qps)} QPS`;
      dot.append(tip);
    }
    add("rect", { x: W - R + 12, y: T + i * 20, width: 12, height: 12, fill: color });
    add("text", { x: W - R + 30, y: T + i * 20 + 11 }, s.name);
  });
  return svg;
}

// ---- start ---------------------------------------------------------------------------------------------------------

async function start() {
  showError(null);
  try {
    state.info = await api("GET", "/dashboard/info");
  } catch (e) {
    if (e.status !== 401) showError(e);
    return;
  }
  $("#key-view").hidden = true;
  $("#new-model").placeholder = state.info.model;
  say(`Connected. New text collections use ${state.info.model}${state.info.llm ? "; answers come from the chat model" : ""}.`);
  await loadCollections().catch(showError);
}

start();
