// app.js - the reviewer page: browse models and versions, read cards and reports, move stages.
"use strict";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("modelgov-token") || "";
let current = null; // {model, version}

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: "Bearer " + token } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  const text = await r.text();
  const json = text ? JSON.parse(text) : {};
  if (!r.ok) throw new Error(json.error ? json.error.message : r.status + " " + r.statusText);
  return json;
}

function say(text, ok) {
  $("message").textContent = text;
  $("message").className = ok ? "ok" : "error";
}

function list(ul, items, label, onpick) {
  ul.replaceChildren();
  for (const it of items) {
    const li = document.createElement("li");
    li.textContent = label(it);
    li.onclick = () => {
      for (const x of ul.children) x.classList.remove("sel");
      li.classList.add("sel");
      onpick(it);
    };
    ul.appendChild(li);
  }
}

async function loadModels() {
  try {
    const r = await api("GET", "/api/v1/models");
    list($("models"), r.models || [], (m) => m.name + (m.risk_tier ? " (" + m.risk_tier + ")" : ""), loadVersions);
  } catch (e) { say(e.message); }
}

async function loadVersions(model) {
  try {
    const r = await api("GET", "/api/v1/models/" + encodeURIComponent(model.name) + "/versions");
    list($("versions"), r.versions || [], (v) => "v" + v.version + " — " + v.stage, (v) => loadDetail(model.name, v.version));
  } catch (e) { say(e.message); }
}

async function loadDetail(name, version) {
  current = { name, version };
  try {
    const d = await api("GET", "/api/v1/models/" + encodeURIComponent(name) + "/versions/" + version);
    $("detail-title").textContent = name + " v" + version + " — " + d.stage;
    $("detail").textContent = JSON.stringify(d, null, 2);
    $("actions").hidden = false;
    say("", true);
  } catch (e) { say(e.message); }
}

async function transition(to) {
  if (!current) return;
  try {
    await api("POST", "/api/v1/models/" + encodeURIComponent(current.name) + "/versions/" + current.version + "/transitions",
              { to, comment: $("comment").value });
    say("moved to " + to, true);
    loadDetail(current.name, current.version);
  } catch (e) { say(e.message); }
}

$("login").onsubmit = (ev) => {
  ev.preventDefault();
  token = $("token").value.trim();
  sessionStorage.setItem("modelgov-token", token);
  loadModels();
};
for (const b of document.querySelectorAll("#actions button")) b.onclick = () => transition(b.dataset.to);
fetch("/health").then((r) => r.json()).then((h) => { $("health").textContent = "server " + h.version + ": " + h.status; });
if (token) loadModels();
